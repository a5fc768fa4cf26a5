//! REFERRAL: asking the alumnus to refer people. People refer from the network
//! of their current field, so what counts is how close their current role is to
//! the opening, their seniority (shared), and whether they referred before.

use super::KindModel;
use crate::ranking::{
    Component, ComponentDef, Features,
    career::{current_position, overlap, token_set},
    shared::SENIORITY,
};

pub(super) struct Referral;

impl KindModel for Referral {
    fn components(&self) -> &'static [Component] {
        &[NETWORK_PROXIMITY, SENIORITY, REFERRAL_HISTORY]
    }

    fn reason(&self, f: &Features<'_>, parts: &mut Vec<String>) {
        if let Some(position) = current_position(f.alumnus).filter(|p| !p.title.trim().is_empty()) {
            parts.push(format!("now {}", position.title.trim()));
        }
        let referrals = f.alumnus.engagement.referrals_made;
        if referrals > 0 {
            parts.push(format!("{referrals} referrals made"));
        }
    }
}

/// The current role's closeness to the opening.
pub const NETWORK_PROXIMITY: Component = Component(&ComponentDef {
    name: "network_proximity",
    summary: "the current role's closeness to the opening (people refer from the network of their field)",
    value: network_proximity,
});

/// Referrals made before.
pub const REFERRAL_HISTORY: Component = Component(&ComponentDef {
    name: "referral_history",
    summary: "referrals made before",
    value: |f| referral_history(f.alumnus.engagement.referrals_made),
});

/// What any current role outside the company earns, before its closeness counts.
const CURRENT_ROLE_FLOOR: f64 = 0.3;

/// The current title, department and work against the opening's title and
/// skills; no current role outside the company means no network signal.
fn network_proximity(f: &Features<'_>) -> f64 {
    match current_position(f.alumnus) {
        Some(position) => {
            let have = token_set([
                position.title.as_str(),
                position.department.as_str(),
                position.description.as_str(),
            ]);
            CURRENT_ROLE_FLOOR + (1.0 - CURRENT_ROLE_FLOOR) * overlap(&have, &f.opportunity.focus_terms)
        }
        None => 0.0,
    }
}

/// Referrals at which the history reaches 63 % (two is already a strong signal).
const REFERRALS_SCALE: f64 = 2.0;

fn referral_history(referrals_made: u32) -> f64 {
    1.0 - (-f64::from(referrals_made) / REFERRALS_SCALE).exp()
}
