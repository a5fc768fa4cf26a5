//! Ranking: turns a retrieved pool of alumni into an ordered, explained shortlist.
//!
//! Retrieval (the index) finds alumni by BM25 with the gates applied inside the
//! query; here each candidate is re-checked against the gates on its current
//! stored record (the index may lag the store by up to a commit interval), its
//! features are computed once, and the score is the weighted sum of the kind's
//! components, so every explanation adds up to the score. A candidate with no
//! evidence at all (no wanted skill, no related occupation, no word of the
//! opportunity) is not returned. One file per job:
//! - `prepared.rs`: the opportunity resolved once per query, the ranking context;
//! - `features.rs`: what is computed once per candidate;
//! - `component.rs`: score components and their registry;
//! - `shared.rs`: the components every kind may weigh;
//! - `kinds/`: one module per kind, with its own components and reason line;
//! - `profile.rs`: weight profiles and overrides;
//! - `skills.rs`: skill evidence and how it covers wanted skills;
//! - `occupation.rs`: how the career fits the opportunity's occupation;
//! - `career.rs`, `seniority.rs`: reading a career;
//! - `rank.rs`: the scoring loop, the order and the reason line;
//! - `fitting.rs`: NDCG and coordinate ascent, to fit weights to judgments.

mod career;
mod component;
mod features;
pub mod fitting;
pub mod kinds;
mod occupation;
mod prepared;
mod profile;
mod rank;
pub mod seniority;
pub mod shared;
mod skills;
mod wording;

pub use component::{Component, ComponentDef};
pub use features::Features;
pub use occupation::OccupationFit;
pub use prepared::{PoolEntry, PreparedOpportunity, RankingContext, skill_weight};
pub use profile::{DEFAULT_PROFILES_TOML, MAX_WEIGHT, RankingProfiles, WeightError, WeightProfile, check_overrides};
pub use rank::{ScoreComponent, Scored, ScoredCandidate, rank, rank_against, score_against};
pub use skills::{RELATED_SKILL_CREDIT, SkillEvidence, SkillMatch, coverage, skill_strength};

#[cfg(test)]
mod tests;
