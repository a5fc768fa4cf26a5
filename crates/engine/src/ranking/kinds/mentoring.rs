//! MENTORING: mentoring or knowledge sharing. Depth of expertise in what the
//! mentees need, a stated wish to mentor, a shared language, and time for work
//! on the side.

use super::KindModel;
use crate::{
    domain::{Alumnus, EmploymentType, Opportunity},
    ranking::{
        Component, ComponentDef, Features, SkillMatch,
        career::{overlap, statement_mentions, token_set},
        shared::current_seniority,
        skills::MATCH_FLOOR,
    },
};

pub(super) struct Mentoring;

impl KindModel for Mentoring {
    fn components(&self) -> &'static [Component] {
        &[
            EXPERTISE_DEPTH,
            MENTORING_INTEREST,
            LANGUAGE_FIT,
            SIDE_WORK_AVAILABILITY,
        ]
    }

    fn reason(&self, f: &Features<'_>, parts: &mut Vec<String>) {
        if !f.alumnus.languages.is_empty() {
            parts.push(format!("speaks {}", f.alumnus.languages.join("/")));
        }
    }
}

/// Depth of expertise in the required skills.
pub const EXPERTISE_DEPTH: Component = Component(&ComponentDef {
    name: "expertise_depth",
    summary: "years, recency and level in the required skills, and seniority",
    value: |f| expertise_depth(f.required, f.preferred, f.alumnus),
});

/// Stated interest in mentoring or knowledge sharing.
pub const MENTORING_INTEREST: Component = Component(&ComponentDef {
    name: "mentoring_interest",
    summary: "stated interest in mentoring or knowledge sharing, and topics on the opening's subject",
    value: mentoring_interest,
});

/// A language shared with the mentees.
pub const LANGUAGE_FIT: Component = Component(&ComponentDef {
    name: "language_fit",
    summary: "a language shared with the mentees (the opening's, or the one its text is written in)",
    value: |f| language_fit(f.alumnus, &f.opportunity.opportunity),
});

/// Availability for side work.
pub const SIDE_WORK_AVAILABILITY: Component = Component(&ComponentDef {
    name: "side_work_availability",
    summary: "side jobs, freelance or part-time work accepted",
    value: |f| side_work_availability(f.alumnus),
});

/// Share of expertise that skill depth makes (the rest: seniority).
const DEPTH_SHARE: f64 = 0.7;

/// Over the wanted skills the alumnus has: how long, how recently and at what
/// level (the skill strengths above the floor a bare match earns); and the
/// seniority of the latest role.
fn expertise_depth(required: &[SkillMatch], preferred: &[SkillMatch], alumnus: &Alumnus) -> f64 {
    let wanted: &[SkillMatch] = if required.is_empty() { preferred } else { required };
    let depth = if wanted.is_empty() {
        0.0
    } else {
        wanted
            .iter()
            .map(|m| ((m.strength() - MATCH_FLOOR) / (1.0 - MATCH_FLOOR)).max(0.0))
            .sum::<f64>()
            / wanted.len() as f64
    };
    DEPTH_SHARE * depth + (1.0 - DEPTH_SHARE) * current_seniority(alumnus)
}

/// Words that show an interest in mentoring or knowledge sharing.
const MENTORING_WORDS: [&str; 14] = [
    "mentor",
    "mentoring",
    "coach",
    "coaching",
    "teach",
    "teaching",
    "share",
    "sharing",
    "メンター",
    "育成",
    "教え",
    "勉強会",
    "登壇",
    "共有",
];

/// What saying so earns (the rest: topics on the opening's subject).
const STATED_SHARE: f64 = 0.5;

fn mentoring_interest(f: &Features<'_>) -> f64 {
    let alumnus = f.alumnus;
    let stated = if statement_mentions(alumnus, &MENTORING_WORDS) {
        STATED_SHARE
    } else {
        0.0
    };
    let have = token_set(
        std::iter::once(alumnus.interests.statement.as_str())
            .chain(alumnus.interests.topics.iter().map(String::as_str)),
    );
    stated + (1.0 - STATED_SHARE) * overlap(&have, &f.opportunity.focus_terms)
}

/// Fit when the alumnus states no languages.
const UNKNOWN_LANGUAGE_FIT: f64 = 0.5;

/// The languages the mentoring will happen in: the opportunity's, or the script
/// of its text when none are given (Japanese text means "ja", otherwise "en").
fn language_fit(alumnus: &Alumnus, opportunity: &Opportunity) -> f64 {
    if alumnus.languages.is_empty() {
        return UNKNOWN_LANGUAGE_FIT;
    }
    let wanted: Vec<String> = if opportunity.languages.is_empty() {
        let text = format!("{} {}", opportunity.title, opportunity.description);
        let japanese = text
            .chars()
            .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'));
        vec![if japanese { "ja".to_owned() } else { "en".to_owned() }]
    } else {
        opportunity.languages.iter().map(|l| primary_language(l)).collect()
    };
    let spoken: Vec<String> = alumnus.languages.iter().map(|l| primary_language(l)).collect();
    if wanted.iter().any(|w| spoken.contains(w)) {
        1.0
    } else {
        0.0
    }
}

fn primary_language(tag: &str) -> String {
    tag.split('-').next().unwrap_or_default().to_ascii_lowercase()
}

/// Availability when only full time or contracts are accepted, and when unstated.
const FULL_TIME_ONLY: f64 = 0.3;
const UNKNOWN_AVAILABILITY: f64 = 0.5;

fn side_work_availability(alumnus: &Alumnus) -> f64 {
    let types = &alumnus.preferences.employment_types;
    if types.is_empty() {
        UNKNOWN_AVAILABILITY
    } else if types.iter().any(|t| {
        matches!(
            t,
            EmploymentType::SideJob | EmploymentType::Freelance | EmploymentType::PartTime
        )
    }) {
        1.0
    } else {
        FULL_TIME_ONLY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(json: serde_json::Value) -> Alumnus {
        let mut base = serde_json::json!({"id": "a", "display_name": "A"});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), json.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn language_fit_infers_the_language_of_japanese_text() {
        let opportunity: Opportunity =
            serde_json::from_value(serde_json::json!({"id": "o", "kind": "mentoring", "title": "機械学習のメンター"}))
                .unwrap();
        assert_eq!(
            language_fit(&alumnus(serde_json::json!({"languages": ["ja"]})), &opportunity),
            1.0
        );
        assert_eq!(
            language_fit(&alumnus(serde_json::json!({"languages": ["en-US"]})), &opportunity),
            0.0
        );
        assert_eq!(language_fit(&alumnus(serde_json::json!({})), &opportunity), 0.5);
    }

    #[test]
    fn interests_are_read_in_both_languages() {
        let opportunity: Opportunity =
            serde_json::from_value(serde_json::json!({"id": "o", "kind": "mentoring", "title": "データ基盤"})).unwrap();
        let prepared = crate::ranking::PreparedOpportunity::new(opportunity, &crate::taxonomy::Taxonomy::empty());
        let interest = |a: &Alumnus| {
            mentoring_interest(&Features {
                alumnus: a,
                opportunity: &prepared,
                required: &[],
                preferred: &[],
                text_relevance: 0.0,
                occupation: crate::ranking::OccupationFit::default(),
                today: crate::domain::PartialDate {
                    year: 2026,
                    month: 6,
                    day: None,
                },
                now: crate::domain::Timestamp { seconds: 0, nanos: 0 },
                referrals: Default::default(),
                referral_hire_rate: crate::domain::DEFAULT_REFERRAL_HIRE_RATE,
            })
        };
        let ja = alumnus(serde_json::json!({"interests": {"statement": "データ基盤の勉強会で登壇したい"}}));
        let en = alumnus(serde_json::json!({"interests": {"statement": "I would love to mentor juniors"}}));
        assert!(interest(&ja) > 0.5 + 0.4, "keyword and topic");
        assert_eq!(interest(&en), 0.5, "keyword only");
    }
}
