//! Components every kind may weigh: skills, text, interests, conditions,
//! engagement and seniority. Which of them a kind uses, and how much, is its
//! weight profile; a Match request may weigh any of them for any kind.

use super::{
    Component, ComponentDef, Features,
    career::{self, overlap, token_set},
    seniority::title_seniority,
    skills::coverage,
};
use crate::{
    domain::{Alumnus, EmploymentType, Opportunity, WorkMode},
    taxonomy::normalize,
};

/// The shared components, in profile order.
pub const COMPONENTS: &[Component] = &[
    OCCUPATION_FIT,
    REQUIRED_SKILLS,
    PREFERRED_SKILLS,
    TEXT_RELEVANCE,
    INTEREST_RELEVANCE,
    CONDITIONS_FIT,
    ENGAGEMENT,
    SENIORITY,
];

/// How the career fits the occupation the opportunity's title names.
pub const OCCUPATION_FIT: Component = Component(&ComponentDef {
    name: "occupation_fit",
    summary: "the career's best role (by time in it and how recent) against the opportunity's occupation: \
              the same occupation, or a similar one by O*NET skills, tasks and codes",
    value: |f| f.occupation.value,
});

/// Coverage of the required skills, each weighted by years, recency and level.
pub const REQUIRED_SKILLS: Component = Component(&ComponentDef {
    name: "required_skills",
    summary: "coverage of the required skills, each weighted by years, recency and level of use, \
              and by how telling the skill is (rare across occupations and among the alumni)",
    value: |f| coverage(f.required, &f.opportunity.required_weights),
});

/// Coverage of the preferred skills.
pub const PREFERRED_SKILLS: Component = Component(&ComponentDef {
    name: "preferred_skills",
    summary: "coverage of the preferred skills, weighted as the required ones",
    value: |f| coverage(f.preferred, &f.opportunity.preferred_weights),
});

/// BM25 relevance relative to the best retrieved candidate.
pub const TEXT_RELEVANCE: Component = Component(&ComponentDef {
    name: "text_relevance",
    summary: "full-text relevance of the profile, relative to the best candidate",
    value: |f| f.text_relevance,
});

/// The alumnus's interest statement and topics against the opportunity.
pub const INTEREST_RELEVANCE: Component = Component(&ComponentDef {
    name: "interest_relevance",
    summary: "the alumnus's own words about what they want, against the opportunity",
    value: interest_relevance,
});

/// Work mode, employment type and location fit.
pub const CONDITIONS_FIT: Component = Component(&ComponentDef {
    name: "conditions_fit",
    summary: "work mode, employment type and location against the stated preferences",
    value: |f| conditions_fit(f.alumnus, &f.opportunity.opportunity),
});

/// Recency of activity in the alumni programme.
pub const ENGAGEMENT: Component = Component(&ComponentDef {
    name: "engagement",
    summary: "recency of activity in the alumni programme, events attended",
    value: engagement,
});

/// Seniority of the current role (decision-making level).
pub const SENIORITY: Component = Component(&ComponentDef {
    name: "seniority",
    summary: "seniority of the current role (decision-making level)",
    value: |f| current_seniority(f.alumnus),
});

fn interest_relevance(f: &Features<'_>) -> f64 {
    let have = token_set(
        std::iter::once(f.alumnus.interests.statement.as_str())
            .chain(f.alumnus.interests.topics.iter().map(String::as_str)),
    );
    overlap(&have, &f.opportunity.focus_terms)
}

/// Fit when a side is between two others (hybrid work; flexible arrangements
/// that stand in for each other).
const HALF_FIT: f64 = 0.5;

/// Fit of the opportunity's stated conditions with the alumnus's preferences:
/// the mean over the conditions the opportunity states; a preference the
/// alumnus did not state counts as a fit.
pub fn conditions_fit(alumnus: &Alumnus, opportunity: &Opportunity) -> f64 {
    let preferences = &alumnus.preferences;
    let mut fits = Vec::with_capacity(3);
    if let Some(mode) = opportunity.work_mode {
        fits.push(
            if preferences.work_modes.is_empty() || preferences.work_modes.contains(&mode) {
                1.0
            } else if preferences.work_modes.contains(&WorkMode::Hybrid) || mode == WorkMode::Hybrid {
                // Hybrid sits between on-site and remote: half a fit either way.
                HALF_FIT
            } else {
                0.0
            },
        );
    }
    if let Some(employment) = opportunity.employment_type {
        let types = &preferences.employment_types;
        let flexible = |t: &EmploymentType| {
            matches!(
                t,
                EmploymentType::SideJob | EmploymentType::Freelance | EmploymentType::PartTime
            )
        };
        fits.push(if types.is_empty() || types.contains(&employment) {
            1.0
        } else if flexible(&employment) && types.iter().any(flexible) {
            // Flexible arrangements substitute for one another better than for full time.
            HALF_FIT
        } else {
            0.0
        });
    }
    let location = normalize(&opportunity.location);
    if !location.is_empty() {
        let remote_ok = opportunity.work_mode == Some(WorkMode::Remote);
        fits.push(
            if remote_ok
                || preferences.locations.is_empty()
                || preferences.locations.iter().any(|l| {
                    let l = normalize(l);
                    !l.is_empty() && (l.contains(&location) || location.contains(&l))
                })
            {
                1.0
            } else {
                0.0
            },
        );
    }
    if fits.is_empty() {
        1.0
    } else {
        fits.iter().sum::<f64>() / fits.len() as f64
    }
}

/// Share of engagement that recency of activity makes (the rest: events).
const RECENCY_SHARE: f64 = 0.7;
/// Days over which recency decays by 1/e (about halving every eight months).
const RECENCY_DAYS: f64 = 365.0;
/// Events attended in a year at which that part saturates.
const EVENTS_FOR_FULL: f64 = 4.0;

/// Recency of activity and events attended in the last year.
fn engagement(f: &Features<'_>) -> f64 {
    let engagement = &f.alumnus.engagement;
    let recency = engagement
        .last_active_at
        .map(|at| (-at.days_until(&f.now) / RECENCY_DAYS).exp())
        .unwrap_or(0.0);
    let events = (f64::from(engagement.events_attended_12m) / EVENTS_FOR_FULL).min(1.0);
    RECENCY_SHARE * recency + (1.0 - RECENCY_SHARE) * events
}

/// Seniority of the current role outside the company (a decision-maker can open
/// doors); the last company role when there is none.
pub fn current_seniority(alumnus: &Alumnus) -> f64 {
    career::current_position(alumnus)
        .or_else(|| career::last_company_position(alumnus))
        .map(|p| title_seniority(&p.title))
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_fit_counts_stated_conditions_only() {
        let mut alumnus: Alumnus = serde_json::from_value(serde_json::json!({"id": "a", "display_name": "A"})).unwrap();
        let mut opportunity: Opportunity = serde_json::from_value(serde_json::json!({
            "id": "o", "kind": "rehire", "title": "t", "location": "Tokyo", "work_mode": "onsite"
        }))
        .unwrap();
        assert_eq!(conditions_fit(&alumnus, &opportunity), 1.0, "unstated preferences fit");
        alumnus.preferences.work_modes = vec![WorkMode::Remote];
        alumnus.preferences.locations = vec!["Osaka".into()];
        assert_eq!(conditions_fit(&alumnus, &opportunity), 0.0);
        opportunity.work_mode = Some(WorkMode::Remote);
        assert_eq!(
            conditions_fit(&alumnus, &opportunity),
            1.0,
            "remote work fits any location"
        );
    }
}
