//! PARTNERSHIP: collaboration with the organisation the alumnus works at now.
//! Whether that organisation fits the opportunity's domain, whether they can
//! decide (seniority, shared), and whether they say they want to collaborate.

use super::KindModel;
use crate::ranking::{
    Component, ComponentDef, Features,
    career::{current_position, overlap, statement_mentions, token_set},
    shared::SENIORITY,
};

pub(super) struct Partnership;

impl KindModel for Partnership {
    fn components(&self) -> &'static [Component] {
        &[INDUSTRY_FIT, SENIORITY, COLLABORATION_INTEREST]
    }

    fn reason(&self, f: &Features<'_>, parts: &mut Vec<String>) {
        if let Some(position) = current_position(f.alumnus) {
            match (position.title.trim(), position.organization.trim()) {
                ("", "") => {}
                (title, "") => parts.push(format!("now {title}")),
                ("", organization) => parts.push(format!("now at {organization}")),
                (title, organization) => parts.push(format!("now {title} at {organization}")),
            }
        }
    }
}

/// The current organisation's fit with the opportunity's domain.
pub const INDUSTRY_FIT: Component = Component(&ComponentDef {
    name: "industry_fit",
    summary: "the current organisation and role against the opening's domain (title, department, description)",
    value: industry_fit,
});

/// Stated interest in collaboration.
pub const COLLABORATION_INTEREST: Component = Component(&ComponentDef {
    name: "collaboration_interest",
    summary: "stated interest in collaboration or partnership",
    value: collaboration_interest,
});

/// The partner is the organisation they work at now: its name, their title,
/// department and work against the opportunity's domain.
fn industry_fit(f: &Features<'_>) -> f64 {
    match current_position(f.alumnus) {
        Some(position) => {
            let have = token_set([
                position.organization.as_str(),
                position.title.as_str(),
                position.department.as_str(),
                position.description.as_str(),
            ]);
            overlap(&have, &f.opportunity.context_terms)
        }
        None => 0.0,
    }
}

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

/// What saying so earns (the rest: a statement on the opportunity's subject).
const STATED_SHARE: f64 = 0.6;

fn collaboration_interest(f: &Features<'_>) -> f64 {
    let stated = if statement_mentions(f.alumnus, &COLLABORATION_WORDS) {
        STATED_SHARE
    } else {
        0.0
    };
    let have = token_set([f.alumnus.interests.statement.as_str()]);
    stated + (1.0 - STATED_SHARE) * overlap(&have, &f.opportunity.focus_terms)
}
