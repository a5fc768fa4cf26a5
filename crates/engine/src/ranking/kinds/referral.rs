//! REFERRAL: asking the alumnus to refer people. People refer from the network
//! of their current field, so what counts is how close their current role is to
//! the opening, their seniority (shared), and their record as a referrer: how
//! many people they referred, weighed by how often those were hired, with a
//! short record shrunk towards the tenant's mean.

use super::KindModel;
use crate::domain::ReferralRecord;
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
        let recorded = f.referrals;
        if recorded.submitted.max(recorded.hired) > 0 {
            let submitted = recorded.submitted.max(recorded.hired);
            parts.push(format!("{submitted} referrals recorded, {} hired", recorded.hired));
        } else if f.alumnus.engagement.referrals_made > 0 {
            parts.push(format!("{} referrals made", f.alumnus.engagement.referrals_made));
        }
    }
}

/// The current role's closeness to the opening.
pub const NETWORK_PROXIMITY: Component = Component(&ComponentDef {
    name: "network_proximity",
    summary: "the current role's closeness to the opening (people refer from the network of their field)",
    value: network_proximity,
});

/// Referrals made before, and what came of them.
pub const REFERRAL_HISTORY: Component = Component(&ComponentDef {
    name: "referral_history",
    summary: "referrals made before, weighed by how often they were hired (shrunk towards the tenant's mean)",
    value: |f| referral_history(f.alumnus.engagement.referrals_made, f.referrals, f.referral_hire_rate),
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

/// The number of referrals (the profile's count or the recorded one, whichever
/// is larger) weighed by the alumnus's shrunk hire rate relative to the
/// tenant's mean, then saturated. Without a recorded referral the weight is 1,
/// so the value is the profile's count alone.
fn referral_history(referrals_made: u32, recorded: ReferralRecord, mean_rate: f64) -> f64 {
    let count = f64::from(referrals_made.max(recorded.submitted.max(recorded.hired)));
    let quality = if mean_rate > 0.0 {
        recorded.shrunk_hire_rate(mean_rate) / mean_rate
    } else {
        1.0
    };
    1.0 - (-count * quality / REFERRALS_SCALE).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_hires_raise_the_history_and_failures_lower_it() {
        let none = ReferralRecord::default();
        let base = referral_history(4, none, 0.2);
        assert!(
            (base - (1.0 - (-2.0f64).exp())).abs() < 1e-12,
            "unchanged without a record"
        );
        let hired = ReferralRecord { submitted: 4, hired: 3 };
        let never = ReferralRecord { submitted: 4, hired: 0 };
        assert!(referral_history(4, hired, 0.2) > base);
        assert!(referral_history(4, never, 0.2) < base);
        // One referral hired is less telling than ten of which eight were.
        let lucky = ReferralRecord { submitted: 1, hired: 1 };
        let proven = ReferralRecord {
            submitted: 10,
            hired: 8,
        };
        assert!(referral_history(0, lucky, 0.2) < referral_history(0, proven, 0.2));
        assert_eq!(referral_history(0, none, 0.2), 0.0);
    }
}
