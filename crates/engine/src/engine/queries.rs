//! The engine's requests and results, as typed values. A request arrives here
//! already checked against every rule that needs no stored data (the service
//! converts and validates at its edge, once); the engine checks only what needs
//! the store: page tokens against the list they page, mentor opportunities'
//! kinds, unknown ids.

use std::collections::HashMap;

use crate::{
    domain::{Opportunity, OpportunityKind, OpportunityStatus, Timestamp},
    ranking::ScoredCandidate,
};

/// What to match against.
#[derive(Debug, Clone)]
pub enum MatchTarget {
    /// A stored opportunity, by id.
    Stored(String),
    /// An ad-hoc opportunity (validated, not stored).
    AdHoc(Box<Opportunity>),
}

/// Options of a match.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Page size; 0 = the default.
    pub limit: u32,
    /// From the previous page; empty for the first.
    pub page_token: String,
    /// Weight overrides by component name.
    pub weights: HashMap<String, f64>,
    /// Only alumni with every required skill.
    pub require_all_required_skills: bool,
}

/// A Match request.
#[derive(Debug, Clone)]
pub struct MatchQuery {
    /// The opportunity.
    pub target: MatchTarget,
    /// Paging, weights and filters.
    pub options: MatchOptions,
}

/// A candidate with its 1-based position in the whole ranking (not the page).
#[derive(Debug, Clone, PartialEq)]
pub struct RankedCandidate {
    /// 1-based.
    pub rank: u32,
    /// The scored, explained candidate.
    pub candidate: ScoredCandidate,
}

/// One page of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchPage {
    /// Best first.
    pub candidates: Vec<RankedCandidate>,
    /// Alumni that pass every gate and filter.
    pub total_eligible: u64,
    /// Ranked alumni with evidence for the opportunity: the whole ranking's length.
    pub total_matched: u64,
    /// Token for the next page; empty when there is none.
    pub next_page_token: String,
    /// The tenant's ranking-profile version that ranked it.
    pub profile_version: u32,
}

/// A MatchForAlumnus request.
#[derive(Debug, Clone)]
pub struct AlumnusMatchQuery {
    /// The alumnus.
    pub alumnus_id: String,
    /// Kinds to consider, each once; empty = every kind.
    pub kinds: Vec<OpportunityKind>,
    /// 0 = the default.
    pub limit: u32,
}

/// One opportunity ranked for an alumnus.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityMatch {
    /// 1-based.
    pub rank: u32,
    /// The opportunity.
    pub opportunity: Opportunity,
    /// The alumnus as Match scores them for it.
    pub candidate: ScoredCandidate,
}

/// An AssignMentors request.
#[derive(Debug, Clone)]
pub struct MentorQuery {
    /// Distinct MENTORING opportunities.
    pub opportunity_ids: Vec<String>,
    /// 0 = 1.
    pub max_assignments_per_alumnus: u32,
    /// 0 = the default.
    pub candidates_per_opportunity: u32,
}

/// One mentor for one opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct MentorAssignment {
    /// The opportunity.
    pub opportunity_id: String,
    /// The mentor's rank in the opportunity's Match ranking.
    pub rank: u32,
    /// The mentor, explained.
    pub mentor: ScoredCandidate,
}

/// How full one opportunity is after an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpportunityFill {
    /// Mentors wanted.
    pub capacity: u32,
    /// Mentors assigned.
    pub assigned: u32,
}

/// The result of a mentor assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct MentorAssignmentPlan {
    /// By opportunity in request order, then score.
    pub assignments: Vec<MentorAssignment>,
    /// Sum of the assigned pairs' scores (the maximum possible).
    pub total_score: f64,
    /// `(opportunity id, fill)` in request order.
    pub fills: Vec<(String, OpportunityFill)>,
}

/// A ListOpportunities request.
#[derive(Debug, Clone, Default)]
pub struct OpportunityQuery {
    /// Only this kind, when set.
    pub kind: Option<OpportunityKind>,
    /// Only this status, when set.
    pub status: Option<OpportunityStatus>,
    /// 0 = the default.
    pub page_size: u32,
    /// From the previous page; empty for the first.
    pub page_token: String,
}

/// One page of opportunities, in id order.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityPage {
    /// The page.
    pub opportunities: Vec<Opportunity>,
    /// Token for the next page; empty when there is none.
    pub next_page_token: String,
}

/// A GetShortlist request.
#[derive(Debug, Clone, Default)]
pub struct ShortlistQuery {
    /// The opportunity.
    pub opportunity_id: String,
    /// 0 = the default.
    pub page_size: u32,
    /// From the previous page; empty for the first.
    pub page_token: String,
}

/// One page of a stored shortlist.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortlistPage {
    /// Best first, with explanations as stored.
    pub candidates: Vec<RankedCandidate>,
    /// When the shortlist was computed.
    pub computed_at: Timestamp,
    /// Whether alumni or the opportunity changed since.
    pub stale: bool,
    /// Candidates in the whole shortlist.
    pub total: u32,
    /// Token for the next page; empty when there is none.
    pub next_page_token: String,
    /// The tenant's ranking-profile version that ranked it.
    pub profile_version: u32,
}
