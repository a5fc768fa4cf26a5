//! One module per kind of opportunity: the components only that kind weighs by
//! default, and its part of the reason line. The gate a kind adds (REHIRE's
//! rehire eligibility) is part of the kind's definition in the domain, because
//! the store and the index apply it too.
//!
//! A new kind is its variant in `domain::OpportunityKind`, a module here
//! (added to [`model`], which matches on every kind, so nothing compiles until
//! it exists), a table in `data/ranking.toml` (checked when loaded), and its
//! value in the proto.

mod mentoring;
mod partnership;
mod referral;
mod rehire;

use super::{Component, Features};
use crate::domain::OpportunityKind;

/// What one kind adds to the shared model.
pub trait KindModel: Sync {
    /// The components this kind weighs beyond the shared ones. Its weight profile
    /// must name each of them.
    fn components(&self) -> &'static [Component];

    /// The kind's part of a candidate's reason line ("3 yrs at the company; left
    /// 2 yrs ago"), built from skills, dates and opt-ins only, never from the
    /// reason for leaving.
    fn reason(&self, features: &Features<'_>, parts: &mut Vec<String>);
}

/// The model of a kind.
pub fn model(kind: OpportunityKind) -> &'static dyn KindModel {
    match kind {
        OpportunityKind::Rehire => &rehire::Rehire,
        OpportunityKind::Referral => &referral::Referral,
        OpportunityKind::Mentoring => &mentoring::Mentoring,
        OpportunityKind::Partnership => &partnership::Partnership,
    }
}
