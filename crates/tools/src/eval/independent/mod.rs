//! The independent evaluation: does the ranking find the right people on data
//! it was not made from, better than plain full-text search?
//!
//! - **Data** ([`dataset`]): 20,000 alumni and 40 openings per kind built from
//!   real O*NET 29.2 occupations (titles, descriptions, technology skills),
//!   not from the project's generator or vocabulary; openings' titles are never
//!   an alumnus's title.
//! - **Judgments** ([`judge`]): from ESCO's occupation-skill relations and ISCO
//!   groups, which nothing in the ranking reads (the occupation similarity it
//!   uses comes from O*NET technology skills, descriptions, titles and SOC
//!   codes).
//! - **Japanese** ([`japanese`]): hand-written Japanese titles of 80
//!   occupations, asked with the title alone and with required skills, against
//!   their English twins.
//! - **Baseline**: BM25 over the same tantivy fields with the same gates and
//!   taxonomy, without the occupation tables: an engine whose weights are text
//!   relevance alone.
//! - **Weights** ([`fit`]): fitted per kind by coordinate ascent on the even
//!   openings (the training half); figures are given for the odd ones (the test
//!   half) and for all.

mod ask;
mod bilingual;
mod dataset;
mod fit;
pub(crate) mod japanese;
mod judge;
mod report;
mod run;
mod sources;

use std::{collections::BTreeMap, path::PathBuf};

use serde::Serialize;

use crate::{engine::EngineConfig, ranking::RankingProfiles};

pub use report::{profiles_toml, render};
pub use run::run;

/// What to run.
#[derive(Debug, Clone)]
pub struct IndependentConfig {
    /// The reference data (`../shared/data`).
    pub shared_data_dir: PathBuf,
    /// Alumni in the set.
    pub alumni: usize,
    /// Openings per kind (half for fitting, half for testing).
    pub openings_per_kind: usize,
    /// Seed of the set.
    pub seed: u64,
    /// Skill alias table.
    pub taxonomy_path: Option<PathBuf>,
    /// Occupation tables.
    pub occupations_path: Option<PathBuf>,
    /// Japanese dictionary.
    pub japanese_dictionary: Option<PathBuf>,
    /// The profiles under evaluation (and the starting point of the fit).
    pub profiles: RankingProfiles,
    /// Alumni re-ranked per query.
    pub retrieval_pool: usize,
}

impl IndependentConfig {
    /// The sizes the issue describes: 20,000 alumni, 40 openings per kind.
    pub fn new(shared_data_dir: PathBuf) -> Self {
        Self {
            shared_data_dir,
            alumni: 20_000,
            openings_per_kind: 40,
            seed: 2026,
            taxonomy_path: None,
            occupations_path: None,
            japanese_dictionary: None,
            profiles: RankingProfiles::defaults(),
            retrieval_pool: EngineConfig::new("").retrieval_pool,
        }
    }
}

/// Least weight a kind's own components keep in a fitted profile: the judge
/// cannot see boomerang windows or mentoring interest, and a fit would
/// otherwise switch off what makes the kinds differ.
pub const KIND_COMPONENT_FLOOR: f64 = 0.02;

/// One system on a set of queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Mean NDCG@K over the queries where it is defined.
    pub ndcg: f64,
    /// Mean precision@K, relevant = grade 2 or 3.
    pub precision: f64,
    /// Queries.
    pub queries: usize,
}

/// One kind's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindResult {
    /// The kind, or "all".
    pub kind: String,
    /// Test half: the profiles given, the fitted profiles, BM25.
    pub test_model: Scores,
    pub test_fitted: Scores,
    pub test_bm25: Scores,
    /// Every opening: the profiles given, BM25.
    pub all_model: Scores,
    pub all_bm25: Scores,
    /// Mean candidates returned per query by the model (the relevance floor
    /// drops those with no evidence).
    pub mean_matched: f64,
}

/// The Japanese queries' results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JapaneseResult {
    /// Occupations asked.
    pub occupations: usize,
    /// Title only: Japanese, English, BM25 Japanese, BM25 English (mean NDCG@K).
    pub title_only: [f64; 4],
    /// Title and required skills.
    pub with_skills: [f64; 4],
    /// Mean share of the English query's top K the Japanese one also returns (title only).
    pub same_people_title_only: f64,
    /// The same with skills.
    pub same_people_with_skills: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct IndependentReport {
    /// Alumni.
    pub alumni: usize,
    /// O*NET occupations in the set.
    pub occupations: usize,
    /// Openings per kind.
    pub openings_per_kind: usize,
    /// Seed.
    pub seed: u64,
    /// Share of alumni failing each kind's gates.
    pub gate_failure_share: f64,
    /// Per kind, then "all".
    pub kinds: Vec<KindResult>,
    /// Japanese against English.
    pub japanese: JapaneseResult,
    /// Returned alumni failing a gate, every system together.
    pub gate_violations: usize,
    /// Fitted weights per kind (component → weight).
    pub fitted: BTreeMap<String, BTreeMap<String, f64>>,
    /// Seconds: building the set, loading both engines, querying and fitting.
    pub timings: [f64; 3],
}
