//! Features drawn from career history, interests and preferences: the signals that
//! distinguish the four kinds of opportunity.
//!
//! Each function maps to [0, 1]. None reads the reason for leaving, age, gender,
//! nationality or family situation.

use std::collections::HashSet;

use super::seniority::title_seniority;
use crate::{
    domain::{Alumnus, EmploymentType, Opportunity, PartialDate, Position},
    index::tokenize,
    taxonomy::normalize,
};

/// Distinct tokens of a text (the index's tokenizer, so Japanese and English agree).
pub fn token_set<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    let mut set = HashSet::new();
    for text in texts {
        tokenize(text, |term, _, _| {
            set.insert(term.to_owned());
        });
    }
    set
}

/// Share of `wanted` found in `have`, softened with a square root so that partial
/// overlap of short texts still counts; 0 when nothing is wanted.
pub fn overlap(have: &HashSet<String>, wanted: &HashSet<String>) -> f64 {
    if wanted.is_empty() {
        return 0.0;
    }
    let hits = wanted.iter().filter(|t| have.contains(*t)).count();
    (hits as f64 / wanted.len() as f64).sqrt()
}

/// The position held now outside the company, if any (the latest-starting open one).
pub fn current_position(alumnus: &Alumnus) -> Option<&Position> {
    alumnus
        .positions
        .iter()
        .filter(|p| p.end.is_none() && !p.at_company)
        .max_by_key(|p| p.start)
}

/// The last position held at the company.
pub fn last_company_position(alumnus: &Alumnus) -> Option<&Position> {
    alumnus
        .positions
        .iter()
        .filter(|p| p.at_company)
        .max_by_key(|p| p.start)
}

/// When the alumnus left: the recorded date, else the end of the last company role.
pub fn left_on(alumnus: &Alumnus) -> Option<PartialDate> {
    alumnus
        .departure
        .left_on
        .or_else(|| last_company_position(alumnus).and_then(|p| p.end))
}

/// REHIRE: years at the company (saturating near eight) and whether they worked in
/// the opportunity's department (60/40).
pub fn company_history(alumnus: &Alumnus, opportunity: &Opportunity, today: PartialDate) -> f64 {
    let years: f64 = alumnus
        .positions
        .iter()
        .filter(|p| p.at_company)
        .map(|p| p.years(&today))
        .sum();
    let tenure = 1.0 - (-years / 3.0).exp();
    let department = normalize(&opportunity.department);
    let same_department = !department.is_empty()
        && alumnus.positions.iter().filter(|p| p.at_company).any(|p| {
            let d = normalize(&p.department);
            !d.is_empty() && (d.contains(&department) || department.contains(&d))
        });
    let department_fit = if department.is_empty() {
        0.5
    } else if same_department {
        1.0
    } else {
        0.0
    };
    0.6 * tenure + 0.4 * department_fit
}

/// REHIRE: the boomerang window. Returning within months is rare and often too soon;
/// one to five years out is the sweet spot; after that the company and the person
/// have both moved on, and the value declines towards 0.3.
pub fn boomerang_window(alumnus: &Alumnus, today: PartialDate) -> f64 {
    let Some(left) = left_on(alumnus) else { return 0.5 };
    let years = left.years_until(&today);
    if years < 0.5 {
        0.3
    } else if years < 1.0 {
        0.3 + 0.7 * (years - 0.5) / 0.5
    } else if years <= 5.0 {
        1.0
    } else if years <= 10.0 {
        1.0 - 0.7 * (years - 5.0) / 5.0
    } else {
        0.3
    }
}

/// REHIRE: growth since leaving — seniority gained (current role against the last
/// role at the company) and skills used since leaving that were picked up after it
/// (used for fewer years than have passed since leaving).
pub fn growth_since_leaving(alumnus: &Alumnus, today: PartialDate) -> f64 {
    let Some(left) = left_on(alumnus) else { return 0.0 };
    let since = left.years_until(&today).max(0.0);
    let before = last_company_position(alumnus)
        .map(|p| title_seniority(&p.title))
        .unwrap_or(0.0);
    let now = alumnus
        .positions
        .iter()
        .filter(|p| !p.at_company && p.start >= left)
        .map(|p| title_seniority(&p.title))
        .fold(before, f64::max);
    let seniority_gain = ((now - before) * 3.0).clamp(0.0, 1.0);
    let new_skills = alumnus
        .skills
        .iter()
        .filter(|s| s.last_used_year.is_some_and(|y| y >= left.year) && f64::from(s.years) < since)
        .count();
    0.5 * seniority_gain + 0.5 * (new_skills as f64 / 5.0).min(1.0)
}

/// REFERRAL: how close the alumnus's current field is to the opening — people refer
/// from their own network, which follows their current role. Current title and
/// organisation against the opening's title and skills; no current role outside the
/// company means a weaker network signal.
pub fn network_proximity(alumnus: &Alumnus, opportunity_terms: &HashSet<String>) -> f64 {
    match current_position(alumnus) {
        Some(position) => {
            let have = token_set([
                position.title.as_str(),
                position.department.as_str(),
                position.description.as_str(),
            ]);
            0.3 + 0.7 * overlap(&have, opportunity_terms)
        }
        None => 0.0,
    }
}

/// REFERRAL and PARTNERSHIP: seniority of the current role outside the company (a
/// decision-maker can open doors); the last company role when there is none.
pub fn current_seniority(alumnus: &Alumnus) -> f64 {
    current_position(alumnus)
        .or_else(|| last_company_position(alumnus))
        .map(|p| title_seniority(&p.title))
        .unwrap_or(0.0)
}

/// REFERRAL: referrals made before, saturating (two is already a strong signal).
pub fn referral_history(alumnus: &Alumnus) -> f64 {
    1.0 - (-f64::from(alumnus.engagement.referrals_made) / 2.0).exp()
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

/// Words that show an interest in collaboration or business partnership.
const COLLABORATION_WORDS: [&str; 13] = [
    "partner",
    "partnership",
    "collaborate",
    "collaboration",
    "alliance",
    "business",
    "joint",
    "協業",
    "提携",
    "連携",
    "共同",
    "パートナー",
    "ビジネス",
];

fn statement_mentions(alumnus: &Alumnus, words: &[&str]) -> bool {
    let statement = normalize(&alumnus.interests.statement);
    let topics = alumnus
        .interests
        .topics
        .iter()
        .map(|t| normalize(t))
        .collect::<Vec<_>>()
        .join(" ");
    words.iter().any(|w| statement.contains(w) || topics.contains(w))
}

/// MENTORING: stated interest in mentoring or knowledge sharing (half) and topics or
/// statement on the opportunity's subject (half).
pub fn mentoring_interest(alumnus: &Alumnus, opportunity_terms: &HashSet<String>) -> f64 {
    let keyword = if statement_mentions(alumnus, &MENTORING_WORDS) {
        0.5
    } else {
        0.0
    };
    let have = token_set(
        std::iter::once(alumnus.interests.statement.as_str())
            .chain(alumnus.interests.topics.iter().map(String::as_str)),
    );
    keyword + 0.5 * overlap(&have, opportunity_terms)
}

/// PARTNERSHIP: stated interest in collaboration (0.6) plus any statement on the
/// opportunity's subject (0.4).
pub fn collaboration_interest(alumnus: &Alumnus, opportunity_terms: &HashSet<String>) -> f64 {
    let keyword = if statement_mentions(alumnus, &COLLABORATION_WORDS) {
        0.6
    } else {
        0.0
    };
    let have = token_set([alumnus.interests.statement.as_str()]);
    keyword + 0.4 * overlap(&have, opportunity_terms)
}

/// Interest-statement relevance for every kind: the alumnus's own words about what
/// they want, against the opportunity's title and skills.
pub fn interest_relevance(alumnus: &Alumnus, opportunity_terms: &HashSet<String>) -> f64 {
    let have = token_set(
        std::iter::once(alumnus.interests.statement.as_str())
            .chain(alumnus.interests.topics.iter().map(String::as_str)),
    );
    overlap(&have, opportunity_terms)
}

/// MENTORING: the languages the mentoring will happen in, shared or not. The
/// opportunity's languages, or the script of its text when none are given
/// (Japanese text means "ja", otherwise "en"). Unstated alumni languages: 0.5.
pub fn language_fit(alumnus: &Alumnus, opportunity: &Opportunity) -> f64 {
    if alumnus.languages.is_empty() {
        return 0.5;
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

/// MENTORING: availability for work on the side. Side jobs, freelance or part-time
/// accepted: 1; only full-time or contract: 0.3; unstated: 0.5.
pub fn side_work_availability(alumnus: &Alumnus) -> f64 {
    let types = &alumnus.preferences.employment_types;
    if types.is_empty() {
        0.5
    } else if types.iter().any(|t| {
        matches!(
            t,
            EmploymentType::SideJob | EmploymentType::Freelance | EmploymentType::PartTime
        )
    }) {
        1.0
    } else {
        0.3
    }
}

/// PARTNERSHIP: fit of the alumnus's current organisation and work with the
/// opportunity's domain (its title, department and description), since the partner
/// is the organisation they work at now.
pub fn industry_fit(alumnus: &Alumnus, opportunity_context_terms: &HashSet<String>) -> f64 {
    match current_position(alumnus) {
        Some(position) => {
            let have = token_set([
                position.organization.as_str(),
                position.title.as_str(),
                position.department.as_str(),
                position.description.as_str(),
            ]);
            overlap(&have, opportunity_context_terms)
        }
        None => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> PartialDate {
        PartialDate {
            year: 2026,
            month: 6,
            day: None,
        }
    }

    fn alumnus(json: serde_json::Value) -> Alumnus {
        let mut base = serde_json::json!({"id": "a", "display_name": "A"});
        if let (Some(base), Some(extra)) = (base.as_object_mut(), json.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn boomerang_window_peaks_between_one_and_five_years() {
        let left = |date: &str| alumnus(serde_json::json!({"departure": {"left_on": date}}));
        let recent = boomerang_window(&left("2026-03"), today());
        let sweet = boomerang_window(&left("2023-06"), today());
        let long_ago = boomerang_window(&left("2010-01"), today());
        assert!(sweet > recent && sweet > long_ago, "{recent} {sweet} {long_ago}");
        assert_eq!(sweet, 1.0);
    }

    #[test]
    fn growth_counts_promotion_and_new_skills() {
        let base = serde_json::json!({
            "departure": {"left_on": "2020-03"},
            "positions": [
                {"title": "Engineer", "start": "2015-04", "end": "2020-03", "at_company": true},
                {"title": "Engineer", "start": "2020-04"}
            ]
        });
        let mut grown = base.clone();
        grown["positions"][1]["title"] = "Engineering Manager".into();
        grown["skills"] = serde_json::json!([{"name": "Go", "years": 3.0, "last_used_year": 2026}]);
        assert!(growth_since_leaving(&alumnus(grown), today()) > growth_since_leaving(&alumnus(base), today()));
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
        let terms = token_set(["データ基盤"]);
        let ja = alumnus(serde_json::json!({"interests": {"statement": "データ基盤の勉強会で登壇したい"}}));
        let en = alumnus(serde_json::json!({"interests": {"statement": "I would love to mentor juniors"}}));
        assert!(mentoring_interest(&ja, &terms) > 0.5 + 0.4, "keyword and topic");
        assert_eq!(mentoring_interest(&en, &terms), 0.5, "keyword only");
    }
}
