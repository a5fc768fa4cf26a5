//! What is computed once per candidate and read by every component.

use super::{OccupationFit, PreparedOpportunity, SkillMatch};
use crate::domain::{Alumnus, PartialDate, ReferralRecord, Timestamp};

/// The inputs of every component for one candidate: the alumnus, the prepared
/// opportunity, how the alumnus covers its skills, and the text relevance.
#[derive(Debug)]
pub struct Features<'a> {
    /// The candidate's current stored record.
    pub alumnus: &'a Alumnus,
    /// The opportunity, resolved once per query.
    pub opportunity: &'a PreparedOpportunity,
    /// How the alumnus covers each required skill.
    pub required: &'a [SkillMatch],
    /// How the alumnus covers each preferred skill.
    pub preferred: &'a [SkillMatch],
    /// BM25 relative to the best candidate of the ranking, in [0, 1].
    pub text_relevance: f64,
    /// How the career fits the opportunity's occupation.
    pub occupation: OccupationFit,
    /// Today, fixed for the whole ranking.
    pub today: PartialDate,
    /// Now, fixed for the whole ranking.
    pub now: Timestamp,
    /// The alumnus's recorded referrals and what came of them.
    pub referrals: ReferralRecord,
    /// The tenant's mean hire rate of referrals, which a short record is
    /// shrunk towards.
    pub referral_hire_rate: f64,
}
