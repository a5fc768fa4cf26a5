//! The judged set: alumni whose careers run through real O*NET occupations
//! and openings of each kind, built from [`Sources`] alone (not from the
//! project's generator or vocabulary).
//!
//! - An alumnus has a main occupation (some occupations are far more common
//!   than others), held in the latest role; earlier roles
//!   are the same occupation (a promotion), one related to it, or one of the
//!   same SOC major group. Titles are the occupation's alumni titles, written as
//!   people write them about half the time (seniority, "(Contract)", "Manager,
//!   Marketing", lower case). Skills are the occupations' technologies with
//!   years within the role and the role's last year as last use; some alumni
//!   list a stray skill of another occupation. Interest statements are in
//!   English, some in Japanese, some missing; about 15 % of alumni fail a gate
//!   of each kind (not opted in, no contact, not rehire-eligible).
//! - An opening has an occupation (any, evenly), a title from its opening
//!   titles (never an alumnus's title, sometimes one several occupations share), three to four of its technologies as required skills
//!   (hot ones first), one or two preferred, and half the time the O*NET
//!   description.
//! - The grade of an alumnus for an opening is the judge's grade of the main
//!   occupation, or of an earlier one less one, whichever is higher.

use std::collections::HashMap;

use serde_json::json;

use super::{japanese::JAPANESE_STATEMENTS, judge::Judge, sources::EvalOccupation};
use crate::{
    datagen::rng::{Rng, mix64},
    domain::{Alumnus, Opportunity, OpportunityKind},
    eval::EvalError,
};

/// The day the set describes.
pub(crate) const AS_OF_YEAR: u16 = 2026;
const AS_OF_MONTH: u8 = 6;
/// Seconds since the epoch of the set's "now" (2026-06-01).
const AS_OF_SECONDS: i64 = 1_780_272_000;

/// Exponent of the Zipf law of main occupations.
const ZIPF_EXPONENT: f64 = 0.8;

/// An alumnus's occupations: the main one first.
pub(crate) type Career = Vec<String>;

/// A stored opening with its occupation and its split.
#[derive(Debug, Clone)]
pub(crate) struct Opening {
    pub(crate) opportunity: Opportunity,
    pub(crate) code: String,
    /// In the half the weights are fitted on.
    pub(crate) train: bool,
}

/// The whole set.
pub(crate) struct JudgedSet {
    pub(crate) alumni: Vec<Alumnus>,
    pub(crate) careers: HashMap<String, Career>,
    pub(crate) openings: Vec<Opening>,
}

pub(crate) fn rng(seed: u64, stream: u64, index: u64) -> Rng {
    Rng::from_seed(mix64(seed ^ mix64(stream.wrapping_mul(0x9e37_79b9) ^ index)))
}

/// Words that end a title and may be put first after a comma ("Manager, Marketing").
const ROLE_WORDS: &[&str] = &[
    "Manager",
    "Director",
    "Engineer",
    "Analyst",
    "Specialist",
    "Supervisor",
    "Coordinator",
];

/// A title as people write it: unchanged about half the time.
pub(crate) fn as_written(title: &str, rng: &mut Rng) -> String {
    let roll = rng.unit();
    let title = title.trim();
    if roll < 0.12 {
        format!("Senior {title}")
    } else if roll < 0.18 {
        format!("Sr. {title}")
    } else if roll < 0.23 {
        format!("Lead {title}")
    } else if roll < 0.27 {
        format!("Junior {title}")
    } else if roll < 0.33 {
        format!("{title} (Contract)")
    } else if roll < 0.37 {
        format!("{title} II")
    } else if roll < 0.45 {
        match title.rsplit_once(' ') {
            Some((rest, last)) if ROLE_WORDS.contains(&last) => format!("{last}, {rest}"),
            _ => title.to_lowercase(),
        }
    } else if roll < 0.53 {
        title.to_lowercase()
    } else {
        title.to_owned()
    }
}

/// Technologies to list for one role: hot ones twice as likely.
pub(crate) fn pick_technologies(occupation: &EvalOccupation, n: usize, rng: &mut Rng) -> Vec<String> {
    let weights: Vec<f64> = occupation
        .technologies
        .iter()
        .map(|(_, hot)| if *hot { 2.0 } else { 1.0 })
        .collect();
    let mut chosen: Vec<String> = Vec::new();
    let mut w = weights.clone();
    for _ in 0..n.min(occupation.technologies.len()) {
        let i = rng.weighted(&w);
        w[i] = 0.0;
        chosen.push(occupation.technologies[i].0.clone());
    }
    chosen
}

/// Builds `alumni` alumni and `per_kind` openings of each kind.
pub(crate) fn build(
    occupations: &[EvalOccupation],
    judge: &Judge,
    japanese: &HashMap<&str, &str>,
    alumni: usize,
    per_kind: usize,
    seed: u64,
) -> Result<JudgedSet, EvalError> {
    let codes: Vec<String> = occupations.iter().map(|o| o.code.clone()).collect();
    let by_code: HashMap<&str, &EvalOccupation> = occupations.iter().map(|o| (o.code.as_str(), o)).collect();
    let related: HashMap<&str, Vec<&String>> = codes
        .iter()
        .map(|c| (c.as_str(), judge.most_related(c, &codes, 10)))
        .collect();
    let mut by_major: HashMap<&str, Vec<&String>> = HashMap::new();
    for c in &codes {
        by_major.entry(&c[..2]).or_default().push(c);
    }

    // A company's alumni are not spread evenly over occupations: main
    // occupations follow a Zipf law over a shuffled order, so some openings
    // have dozens of alumni in their occupation and many have few or none,
    // and then related occupations decide.
    let mut order: Vec<usize> = (0..codes.len()).collect();
    let mut shuffle = rng(seed, 3, 0);
    for i in (1..order.len()).rev() {
        order.swap(i, shuffle.below(i + 1));
    }
    let mut popularity = vec![0.0; codes.len()];
    for (rank, &i) in order.iter().enumerate() {
        popularity[i] = 1.0 / (rank as f64 + 1.0).powf(ZIPF_EXPONENT);
    }

    let mut records = Vec::with_capacity(alumni);
    let mut careers = HashMap::with_capacity(alumni);
    for i in 0..alumni {
        let mut r = rng(seed, 1, i as u64);
        let main = &codes[r.weighted(&popularity)];
        let roles = 1 + r.weighted(&[0.2, 0.35, 0.3, 0.15]);
        // Latest first.
        let mut career: Vec<&String> = vec![main];
        for _ in 1..roles {
            let roll = r.unit();
            let next = if roll < 0.45 {
                main
            } else if roll < 0.8 {
                related[main.as_str()].get(r.below(10)).copied().unwrap_or(main)
            } else {
                let group = &by_major[&main[..2]];
                group[r.below(group.len())]
            };
            career.push(next);
        }
        let current = roles > 1 && r.chance(0.85);
        // Dates, latest role first, going back.
        let mut end_month: i64 = i64::from(AS_OF_YEAR) * 12 + i64::from(AS_OF_MONTH) - 1;
        if !current {
            end_month -= r.range(0, 24);
        }
        let company_role = if roles == 1 { 0 } else { 1 + r.below(roles - 1) };
        let mut positions = Vec::new();
        let mut skills: HashMap<String, (f64, u16)> = HashMap::new();
        let mut left_on = None;
        for (k, code) in career.iter().enumerate() {
            let occupation = by_code[code.as_str()];
            let months = r.range(8, 96);
            let start_month = end_month - months;
            let date = |m: i64| format!("{:04}-{:02}-01", m / 12, m % 12 + 1);
            let is_current = k == 0 && current;
            let at_company = k == company_role;
            let title = &occupation.alumni_titles[r.below(occupation.alumni_titles.len())];
            let title = if r.chance(0.5) {
                as_written(title, &mut r)
            } else {
                title.clone()
            };
            let description = if r.chance(0.3) {
                occupation.description.split(". ").next().unwrap_or_default().to_owned()
            } else {
                String::new()
            };
            let mut position = json!({
                "organization": if at_company { "Asterwood Technologies".to_owned() } else { format!("Company {}", r.below(5000)) },
                "title": title,
                "description": description,
                "start": date(start_month),
                "at_company": at_company,
            });
            if !is_current {
                position["end"] = json!(date(end_month));
            }
            if at_company {
                left_on = Some(date(end_month));
            }
            positions.push(position);
            let years = months as f64 / 12.0;
            let last_used = if is_current {
                AS_OF_YEAR
            } else {
                (end_month / 12) as u16
            };
            let n = 3 + r.below(5);
            for name in pick_technologies(occupation, n, &mut r) {
                let used = (years * (0.3 + 0.7 * r.unit()) * 2.0).round() / 2.0;
                let slot = skills.entry(name).or_insert((0.0, 0));
                slot.0 = (slot.0 + used.max(0.5)).min(40.0);
                slot.1 = slot.1.max(last_used);
            }
            end_month = start_month - r.range(0, 6);
        }
        if r.chance(0.2) {
            let other = &occupations[r.below(occupations.len())];
            for name in pick_technologies(other, 1, &mut r) {
                skills.entry(name).or_insert((1.0, AS_OF_YEAR - r.below(6) as u16));
            }
        }
        let mut skills: Vec<(String, (f64, u16))> = skills.into_iter().collect();
        skills.sort_by(|a, b| a.0.cmp(&b.0));
        let skills: Vec<serde_json::Value> = skills
            .into_iter()
            .map(|(name, (years, last))| json!({"name": name, "years": years, "last_used_year": last}))
            .collect();
        let main_occupation = by_code[main.as_str()];
        let headline = if r.chance(0.55) {
            positions[0]["title"].as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        };
        let statement = match (r.unit(), japanese.get(main.as_str())) {
            (roll, Some(ja)) if roll < 0.35 => {
                JAPANESE_STATEMENTS[r.below(JAPANESE_STATEMENTS.len())].replace("{}", ja)
            }
            (roll, _) if roll < 0.85 => format!(
                "Experienced in {} work; happy to help with {}.",
                main_occupation.title.to_lowercase(),
                main_occupation.technologies[r.below(main_occupation.technologies.len())].0
            ),
            _ => String::new(),
        };
        let open_to: Vec<&str> = OpportunityKind::ALL
            .iter()
            .filter(|_| r.chance(0.88))
            .map(|k| k.as_str())
            .collect();
        let value = json!({
            "id": format!("ind-{i:06}"),
            "display_name": format!("Alumnus {i}"),
            "headline": headline,
            "skills": skills,
            "positions": positions,
            "departure": {"left_on": left_on, "reason": "undisclosed", "rehire_eligible": r.chance(0.95)},
            "interests": {"open_to": open_to, "statement": statement, "topics": []},
            "languages": if r.chance(0.3) { json!(["ja", "en"]) } else { json!(["en"]) },
            "engagement": {
                "last_active_at": {"seconds": AS_OF_SECONDS - r.range(0, 400) * 86_400, "nanos": 0},
                "events_attended_12m": r.below(6),
                "referrals_made": r.below(3),
            },
            "consent": {"contact_allowed": r.chance(0.98)},
        });
        let alumnus: Alumnus =
            serde_json::from_value(value).map_err(|e| EvalError::Data(format!("alumnus {i}: {e}")))?;
        careers.insert(alumnus.id.clone(), career.into_iter().cloned().collect());
        records.push(alumnus);
    }

    let mut openings = Vec::new();
    for (k, kind) in OpportunityKind::ALL.into_iter().enumerate() {
        for j in 0..per_kind {
            let mut r = rng(seed, 2, (k * 100_000 + j) as u64);
            let occupation = &occupations[r.below(occupations.len())];
            let title = &occupation.opening_titles[r.below(occupation.opening_titles.len())];
            let title = if r.chance(0.5) {
                as_written(title, &mut r)
            } else {
                title.clone()
            };
            let mut technologies = pick_technologies(occupation, 5 + r.below(2), &mut r);
            // Hot technologies first: what a posting names as required.
            technologies.sort_by_key(|t| !occupation.technologies.iter().any(|(n, hot)| n == t && *hot));
            let required_count = (3 + r.below(2)).min(technologies.len());
            let preferred: Vec<String> = technologies.split_off(required_count);
            let description = if r.chance(0.5) {
                occupation.description.clone()
            } else {
                String::new()
            };
            let opportunity: Opportunity = serde_json::from_value(json!({
                "id": format!("ind-{}-{j:03}", kind.as_str()),
                "kind": kind.as_str(),
                "title": title,
                "description": description,
                "required_skills": technologies,
                "preferred_skills": preferred,
            }))
            .map_err(|e| EvalError::Data(format!("opening: {e}")))?;
            openings.push(Opening {
                opportunity,
                code: occupation.code.clone(),
                train: j % 2 == 0,
            });
        }
    }
    Ok(JudgedSet {
        alumni: records,
        careers,
        openings,
    })
}

/// The grade of a career for an opening in occupation `wanted`.
pub(crate) fn grade(career: &Career, wanted: &str, judge: &Judge) -> u8 {
    career
        .iter()
        .enumerate()
        .map(|(i, held)| {
            let g = judge.grade(held, wanted);
            if i == 0 { g } else { g.saturating_sub(1) }
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_written_as_people_write_them_about_half_the_time() {
        let mut r = Rng::from_seed(7);
        let written: Vec<String> = (0..400).map(|_| as_written("Marketing Manager", &mut r)).collect();
        let changed = written.iter().filter(|t| *t != "Marketing Manager").count();
        assert!((120..=280).contains(&changed), "{changed} of 400 changed");
        assert!(written.iter().any(|t| t == "Manager, Marketing"));
        assert!(written.iter().any(|t| t == "Senior Marketing Manager"));
        assert!(written.iter().any(|t| t == "marketing manager"));
    }
}
