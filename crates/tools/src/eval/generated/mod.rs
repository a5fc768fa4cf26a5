//! The regression check: the ranking on a set made by the project's own data
//! generator, judged by the generator's labels. It can only say whether a change
//! moved the ranking on that set; how well the ranking does on anyone else's
//! data is [`super::independent`]'s job.
//!
//! [`run`] generates alumni and opportunities with [`crate::datagen`] into a
//! scratch directory, loads them into a fresh [`Engine`] (no server, no
//! network), and ranks every selected opportunity with the full model and with a
//! BM25-only baseline that shares the model's retrieval and gates. Relevance is
//! judged from the generator's occupation labels ([`Vocabulary::relevance`]),
//! never from the model's features, so the model cannot grade its own homework.
//!
//! Reported per kind and overall (every query weighs the same):
//! - NDCG@[`K`] with gains highly = 2, partly = 1, not relevant = 0, against the
//!   ideal ranking of every alumnus who passes the kind's gates (including those
//!   retrieval never finds, so recall losses show); queries with no relevant
//!   eligible alumnus have no NDCG and are left out of its mean and counted;
//! - precision@[`K`], relevant = highly or partly, over every query;
//! - gate violations: a returned alumnus who fails [`Alumnus::passes_gates`] for
//!   the opportunity's kind, or who is not in the loaded data. Any violation is
//!   a defect; the command exits non-zero on one.

mod report;
mod run;

use std::{collections::HashMap, path::PathBuf};

use serde::Serialize;

pub use report::render_table;
pub use run::run;

use super::{EvalError, K};
use crate::{
    datagen::GenConfig,
    domain::OpportunityKind,
    engine::EngineConfig,
    ranking::{Component, RankingProfiles, WeightProfile, shared::TEXT_RELEVANCE},
};

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Alumni to generate.
    pub alumni: usize,
    /// Opportunities evaluated per kind (more are generated when the generator's
    /// kinds come out uneven; only the first this-many of each kind are queried).
    pub opportunities_per_kind: usize,
    /// Generator seed: the same seed gives the same judged set.
    pub seed: u64,
    /// Share of Japanese-language records, as in [`GenConfig::japanese_share`].
    pub japanese_share: f64,
    /// Skill alias table for the engine; `None` evaluates without aliases.
    pub taxonomy_path: Option<PathBuf>,
    /// Occupation tables for the engine; `None` evaluates without them.
    pub occupations_path: Option<PathBuf>,
    /// Japanese dictionary for the engine; `None` matches Japanese by bigrams only.
    pub japanese_dictionary: Option<PathBuf>,
    /// The weight profiles under evaluation.
    pub profiles: RankingProfiles,
    /// Also rank with each model component removed in turn.
    pub ablation: bool,
    /// Alumni re-ranked per query, as [`EngineConfig::retrieval_pool`].
    pub retrieval_pool: usize,
}

impl EvalConfig {
    /// The default profiles, no taxonomy, no ablation, the generator's default
    /// language mix.
    pub fn new(alumni: usize, opportunities_per_kind: usize, seed: u64) -> Self {
        Self {
            alumni,
            opportunities_per_kind,
            seed,
            japanese_share: GenConfig::default().japanese_share,
            taxonomy_path: None,
            occupations_path: None,
            japanese_dictionary: None,
            profiles: RankingProfiles::defaults(),
            ablation: false,
            retrieval_pool: EngineConfig::new("").retrieval_pool,
        }
    }
}

/// A ranking system under comparison: the model, or a re-weighting of it. All
/// share retrieval, gates and the pool; only the weights differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// The kind's weight profile as configured.
    Model,
    /// Text relevance alone: every other component weighted 0.
    Bm25,
    /// The model without one component (its weight set to 0, the rest renormalised).
    Without(Component),
}

impl System {
    /// Name in reports: "model", "bm25", "model-<component>".
    pub fn name(self) -> String {
        match self {
            Self::Model => "model".into(),
            Self::Bm25 => "bm25".into(),
            Self::Without(component) => format!("model-{}", component.name()),
        }
    }

    /// The weight overrides that turn `profile` into this system, or `None` when
    /// the system does not apply to it (the component is absent or already 0, or
    /// removing it would leave no weight).
    pub fn overrides(self, profile: &WeightProfile) -> Option<HashMap<String, f64>> {
        let has = |component: Component| profile.weights().iter().any(|(c, _)| *c == component);
        match self {
            Self::Model => Some(HashMap::new()),
            // Built from Component::ALL so a new component is switched off too; only
            // the profile's own components may be named in an override.
            Self::Bm25 => has(TEXT_RELEVANCE).then(|| {
                Component::all()
                    .into_iter()
                    .filter(|&c| has(c))
                    .map(|c| (c.name().to_owned(), if c == TEXT_RELEVANCE { 1.0 } else { 0.0 }))
                    .collect()
            }),
            Self::Without(component) => {
                let weight = profile.weight(component);
                (weight > 0.0 && weight < 1.0).then(|| HashMap::from([(component.name().to_owned(), 0.0)]))
            }
        }
    }
}

/// One system's result on one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryScore {
    /// [`System::name`].
    pub system: String,
    /// NDCG@K; `None` when no eligible alumnus is relevant.
    pub ndcg: Option<f64>,
    /// Precision@K.
    pub precision: f64,
    /// Candidates returned (at most K).
    pub returned: usize,
    /// Returned alumni that fail the gates or are unknown.
    pub gate_violations: usize,
}

/// Every system's result on one opportunity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// The opportunity.
    pub opportunity_id: String,
    /// Its kind.
    pub kind: OpportunityKind,
    /// Alumni passing the kind's gates.
    pub eligible_alumni: usize,
    /// Of which relevant (partly or highly).
    pub relevant_eligible_alumni: usize,
    /// One entry per system that applies to the kind.
    pub systems: Vec<QueryScore>,
}

/// One system's means over a set of queries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemSummary {
    /// [`System::name`].
    pub system: String,
    /// Queries it was run on.
    pub queries: usize,
    /// Mean NDCG@K over the queries where it is defined.
    pub ndcg: Option<f64>,
    /// Mean precision@K over every query.
    pub precision: Option<f64>,
    /// Total gate violations.
    pub gate_violations: usize,
}

/// Means for one kind, or for all kinds together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindSummary {
    /// The kind's name, or "all".
    pub kind: String,
    /// Opportunities queried.
    pub queries: usize,
    /// Queries with no relevant eligible alumnus, left out of NDCG means.
    pub queries_without_relevant: usize,
    /// Mean relevant eligible alumni per query: how much there is to find.
    pub mean_relevant_eligible: Option<f64>,
    /// Per system, model and BM25 first.
    pub systems: Vec<SystemSummary>,
}

impl KindSummary {
    /// The summary of a system, by name.
    pub fn system(&self, name: &str) -> Option<&SystemSummary> {
        self.systems.iter().find(|s| s.system == name)
    }
}

/// Wall-clock time of each phase, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timings {
    /// Generating the judged set.
    pub generate_secs: f64,
    /// Loading it and waiting for the index.
    pub load_secs: f64,
    /// Ranking and scoring every query with every system.
    pub evaluate_secs: f64,
    /// The whole run.
    pub total_secs: f64,
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Alumni generated and loaded.
    pub alumni: usize,
    /// Opportunities generated (at least 4 x `opportunities_per_kind`).
    pub opportunities_generated: usize,
    /// Opportunities queried per kind.
    pub opportunities_per_kind: usize,
    /// Generator seed.
    pub seed: u64,
    /// The rank cut-off.
    pub k: usize,
    /// The skill alias table used, if any.
    pub taxonomy: Option<String>,
    /// Per kind, in [`OpportunityKind::ALL`] order.
    pub kinds: Vec<KindSummary>,
    /// Over every query.
    pub overall: KindSummary,
    /// Gate violations of every system together; anything but 0 is a defect.
    pub gate_violations: usize,
    /// Per opportunity.
    pub queries: Vec<QueryResult>,
    /// Phase durations.
    pub timings: Timings,
}

impl EvalReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, EvalError> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

#[cfg(test)]
mod tests;
