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

mod dataset;
mod fit;
pub(crate) mod japanese;
mod judge;
mod report;
mod sources;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    time::Instant,
};

use serde::Serialize;

pub use report::{profiles_toml, render};

use self::{
    dataset::{JudgedSet, grade},
    fit::{CachedQuery, coordinate_ascent, normalise_with_floors},
    japanese::JAPANESE_TITLES,
    sources::Sources,
};
use super::{EvalError, INDEX_TIMEOUT, K, judge_ranking, metrics};
use crate::{
    datagen::sources::singular,
    domain::{Alumnus, Opportunity, OpportunityKind},
    engine::{Cancellation, Engine, EngineConfig, MatchOptions, MatchQuery, MatchTarget},
    ranking::{Component, RankingProfiles, WeightProfile, kinds, shared::TEXT_RELEVANCE},
};

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

/// Grades of every alumnus eligible for `kind` for an opening in `code`.
fn grades_for<'a>(set: &'a JudgedSet, code: &str, kind: OpportunityKind, sources: &Sources) -> HashMap<&'a str, u8> {
    set.alumni
        .iter()
        .filter(|a| a.passes_gates(kind))
        .map(|a| (a.id.as_str(), grade(&set.careers[&a.id], code, &sources.judge)))
        .collect()
}

fn precision_strict(gains: &[u8]) -> f64 {
    gains.iter().take(K).filter(|&&g| g >= 2).count() as f64 / K as f64
}

fn open_engine(config: &IndependentConfig, dir: PathBuf, with_occupations: bool) -> Result<Engine, EvalError> {
    let mut engine_config = EngineConfig::new(dir);
    engine_config.taxonomy_path = config.taxonomy_path.clone();
    engine_config.occupations_path = if with_occupations {
        config.occupations_path.clone()
    } else {
        None
    };
    engine_config.japanese_dictionary = config.japanese_dictionary.clone();
    engine_config.profiles = config.profiles.clone();
    engine_config.retrieval_pool = config.retrieval_pool;
    Ok(Engine::open(engine_config)?)
}

fn load(engine: &Engine, set: &JudgedSet) -> Result<(), EvalError> {
    let mut last = 0;
    for chunk in set.alumni.chunks(1_000) {
        let mut chunk: Vec<Alumnus> = chunk.to_vec();
        last = engine.write_alumni(&mut chunk)?;
    }
    engine.write_opportunities(set.openings.iter().map(|o| o.opportunity.clone()).collect())?;
    if !engine.wait_indexed_blocking(last, INDEX_TIMEOUT) {
        return Err(EvalError::IndexTimeout {
            indexed: engine.indexed_seq(),
            stored: last,
            timeout: INDEX_TIMEOUT,
        });
    }
    Ok(())
}

/// Weights that make a profile text relevance alone.
fn bm25_weights(profile: &WeightProfile) -> HashMap<String, f64> {
    profile
        .weights()
        .iter()
        .map(|(c, _)| (c.name().to_owned(), if *c == TEXT_RELEVANCE { 1.0 } else { 0.0 }))
        .chain(std::iter::once((TEXT_RELEVANCE.name().to_owned(), 1.0)))
        .collect()
}

/// The ranked ids (and component values in `components` order) of a Match.
fn ranking(
    engine: &Engine,
    target: MatchTarget,
    limit: usize,
    weights: HashMap<String, f64>,
    components: &[Component],
) -> Result<Vec<(String, Vec<f64>)>, EvalError> {
    let page = engine.match_alumni(
        MatchQuery {
            target,
            options: MatchOptions {
                limit: limit as u32,
                weights,
                ..MatchOptions::default()
            },
        },
        &Cancellation::new(),
    )?;
    Ok(page
        .candidates
        .into_iter()
        .map(|r| {
            let values = components
                .iter()
                .map(|c| {
                    r.candidate
                        .components
                        .iter()
                        .find(|s| s.component == *c)
                        .map_or(0.0, |s| s.value)
                })
                .collect();
            (r.candidate.alumnus_id, values)
        })
        .collect())
}

/// Builds the set, loads it into a model engine and a BM25 engine, ranks every
/// opening and Japanese query with both, fits the weights on the training half.
/// Blocking.
pub fn run(config: &IndependentConfig) -> Result<IndependentReport, EvalError> {
    if config.alumni == 0 || config.openings_per_kind < 2 {
        return Err(EvalError::Config("at least 1 alumnus and 2 openings per kind".into()));
    }
    let started = Instant::now();
    let sources = Sources::load(&config.shared_data_dir, config.seed)?;
    let codes: HashSet<&str> = sources.occupations.iter().map(|o| o.code.as_str()).collect();
    let japanese: HashMap<&str, &str> = JAPANESE_TITLES
        .iter()
        .copied()
        .filter(|(code, _)| codes.contains(code))
        .collect();
    let set = dataset::build(
        &sources.occupations,
        &sources.judge,
        &japanese,
        config.alumni,
        config.openings_per_kind,
        config.seed,
    )?;
    let gate_failures: usize = OpportunityKind::ALL
        .iter()
        .map(|k| set.alumni.iter().filter(|a| !a.passes_gates(*k)).count())
        .sum();
    let build_secs = started.elapsed().as_secs_f64();
    tracing::info!(
        alumni = set.alumni.len(),
        occupations = sources.occupations.len(),
        "independent set built"
    );

    let loading = Instant::now();
    let scratch = tempfile::Builder::new()
        .prefix("alumni-match-independent-")
        .tempdir()
        .map_err(EvalError::Scratch)?;
    let model = open_engine(config, scratch.path().join("model"), true)?;
    load(&model, &set)?;
    let bm25 = open_engine(config, scratch.path().join("bm25"), false)?;
    load(&bm25, &set)?;
    let load_secs = loading.elapsed().as_secs_f64();
    tracing::info!(load_secs, "independent set loaded into both engines");

    let querying = Instant::now();
    let by_id: HashMap<String, Alumnus> = set.alumni.iter().map(|a| (a.id.clone(), a.clone())).collect();
    let mut gate_violations = 0;
    // Per opening: cached pool for the model, BM25 gains, whether train.
    struct Evaluated {
        kind: OpportunityKind,
        train: bool,
        cached: CachedQuery,
        bm25_gains: Vec<u8>,
        matched: usize,
    }
    let mut evaluated: Vec<Evaluated> = Vec::new();
    for opening in &set.openings {
        let kind = opening.opportunity.kind;
        let profile = config.profiles.profile(kind);
        let components: Vec<Component> = profile.weights().iter().map(|(c, _)| *c).collect();
        let grades = grades_for(&set, &opening.code, kind, &sources);
        let target = || MatchTarget::Stored(opening.opportunity.id.clone());
        let pool = ranking(&model, target(), config.retrieval_pool, HashMap::new(), &components)?;
        let ids: Vec<&str> = pool.iter().map(|(id, _)| id.as_str()).collect();
        let (gains, violations) = judge_ranking(&ids, &by_id, &grades, kind);
        gate_violations += violations;
        let baseline = ranking(&bm25, target(), K, bm25_weights(profile), &[])?;
        let ids: Vec<&str> = baseline.iter().map(|(id, _)| id.as_str()).collect();
        let (bm25_gains, violations) = judge_ranking(&ids, &by_id, &grades, kind);
        gate_violations += violations;
        evaluated.push(Evaluated {
            kind,
            train: opening.train,
            matched: pool.len(),
            cached: CachedQuery {
                candidates: gains.into_iter().zip(pool.into_iter().map(|(_, v)| v)).collect(),
                ideal: grades.values().copied().collect(),
            },
            bm25_gains,
        });
    }

    // Fit each kind on its training half.
    let mut fitted: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut fitted_weights: HashMap<OpportunityKind, Vec<f64>> = HashMap::new();
    for kind in OpportunityKind::ALL {
        let profile = config.profiles.profile(kind);
        let own = kinds::model(kind).components();
        let start: Vec<f64> = profile.weights().iter().map(|(_, w)| *w).collect();
        let floors: Vec<f64> = profile
            .weights()
            .iter()
            .map(|(c, _)| if own.contains(c) { KIND_COMPONENT_FLOOR } else { 0.0 })
            .collect();
        let train: Vec<&CachedQuery> = evaluated
            .iter()
            .filter(|e| e.kind == kind && e.train)
            .map(|e| &e.cached)
            .collect();
        let mut weights = coordinate_ascent(&train, &start, &floors);
        normalise_with_floors(&mut weights, &floors);
        fitted.insert(
            kind.as_str().to_owned(),
            profile
                .weights()
                .iter()
                .zip(&weights)
                .map(|((c, _), w)| (c.name().to_owned(), (w * 1000.0).round() / 1000.0))
                .collect(),
        );
        fitted_weights.insert(kind, weights);
    }

    let scores = |items: &[&Evaluated], system: &dyn Fn(&Evaluated) -> (Option<f64>, f64)| -> Scores {
        let results: Vec<(Option<f64>, f64)> = items.iter().map(|e| system(e)).collect();
        let ndcg: Vec<f64> = results.iter().filter_map(|r| r.0).collect();
        let precision: Vec<f64> = results.iter().map(|r| r.1).collect();
        Scores {
            ndcg: metrics::mean(&ndcg).unwrap_or(0.0),
            precision: metrics::mean(&precision).unwrap_or(0.0),
            queries: items.len(),
        }
    };
    let current = |e: &Evaluated| {
        let weights: Vec<f64> = config
            .profiles
            .profile(e.kind)
            .weights()
            .iter()
            .map(|(_, w)| *w)
            .collect();
        let gains = e.cached.ranked_gains(&weights);
        (metrics::ndcg_at(&gains, &e.cached.ideal, K), precision_strict(&gains))
    };
    let fitted_system = |e: &Evaluated| {
        let gains = e.cached.ranked_gains(&fitted_weights[&e.kind]);
        (metrics::ndcg_at(&gains, &e.cached.ideal, K), precision_strict(&gains))
    };
    let baseline = |e: &Evaluated| {
        (
            metrics::ndcg_at(&e.bm25_gains, &e.cached.ideal, K),
            precision_strict(&e.bm25_gains),
        )
    };
    let mut kinds_out = Vec::new();
    for kind in OpportunityKind::ALL.into_iter().map(Some).chain([None]) {
        let all: Vec<&Evaluated> = evaluated.iter().filter(|e| kind.is_none_or(|k| e.kind == k)).collect();
        let test: Vec<&Evaluated> = all.iter().copied().filter(|e| !e.train).collect();
        kinds_out.push(KindResult {
            kind: kind.map_or("all", OpportunityKind::as_str).to_owned(),
            test_model: scores(&test, &current),
            test_fitted: scores(&test, &fitted_system),
            test_bm25: scores(&test, &baseline),
            all_model: scores(&all, &current),
            all_bm25: scores(&all, &baseline),
            mean_matched: all.iter().map(|e| e.matched as f64).sum::<f64>() / all.len().max(1) as f64,
        });
    }

    let japanese_result = japanese_queries(
        config,
        &sources,
        &set,
        &japanese,
        &model,
        &bm25,
        &by_id,
        &mut gate_violations,
    )?;
    let query_secs = querying.elapsed().as_secs_f64();
    model.shutdown();
    bm25.shutdown();
    drop((model, bm25));
    drop(scratch);
    Ok(IndependentReport {
        alumni: set.alumni.len(),
        occupations: sources.occupations.len(),
        openings_per_kind: config.openings_per_kind,
        seed: config.seed,
        gate_failure_share: gate_failures as f64 / (set.alumni.len() * OpportunityKind::ALL.len()).max(1) as f64,
        kinds: kinds_out,
        japanese: japanese_result,
        gate_violations,
        fitted,
        timings: [build_secs, load_secs, query_secs],
    })
}

/// The English twin of a Japanese title: the O*NET name, singular, without
/// its qualifying clause ("Elementary School Teachers, Except Special
/// Education" → "Elementary School Teacher").
fn english_title(onet_title: &str) -> String {
    let head = onet_title.split(',').next().unwrap_or(onet_title).trim();
    // "Accountants and Auditors" names two occupations: keep the first. In
    // "Financial and Investment Analysts" the "and" joins modifiers: keep all.
    let head = match head.split_once(" and ") {
        Some((first, _)) if !first.contains(' ') && first.ends_with('s') && first != "Sales" => first,
        _ => head,
    };
    singular(head)
}

/// The random stream of the Japanese queries' skills (the dataset uses others).
const JAPANESE_QUERY_STREAM: u64 = 0x6a61;

#[allow(clippy::too_many_arguments)]
fn japanese_queries(
    config: &IndependentConfig,
    sources: &Sources,
    set: &JudgedSet,
    japanese: &HashMap<&str, &str>,
    model: &Engine,
    bm25: &Engine,
    by_id: &HashMap<String, Alumnus>,
    gate_violations: &mut usize,
) -> Result<JapaneseResult, EvalError> {
    let mut ndcg: [Vec<f64>; 8] = Default::default();
    let mut same: [Vec<f64>; 2] = Default::default();
    let mut asked: Vec<(&str, &str)> = japanese.iter().map(|(c, j)| (*c, *j)).collect();
    asked.sort();
    for (n, (code, ja_title)) in asked.iter().enumerate() {
        let Some(occupation) = sources.occupations.iter().find(|o| o.code == *code) else {
            continue;
        };
        let kind = OpportunityKind::ALL[n % OpportunityKind::ALL.len()];
        let grades = grades_for(set, code, kind, sources);
        let ideal: Vec<u8> = grades.values().copied().collect();
        // Picked as the openings' skills are (hot technologies twice as
        // likely), the same three for both languages: software is named the
        // same way in Japanese postings.
        let skills = dataset::pick_technologies(
            occupation,
            3,
            &mut dataset::rng(config.seed, JAPANESE_QUERY_STREAM, n as u64),
        );
        let english = english_title(&occupation.title);
        for (variant, required) in [(0usize, Vec::new()), (1, skills)] {
            let mut top_ids: Vec<Vec<String>> = Vec::new();
            for (language, title) in [(0usize, ja_title.to_string()), (1, english.clone())] {
                let opportunity: Opportunity = serde_json::from_value(serde_json::json!({
                    "id": format!("ja-query-{n}"),
                    "kind": kind.as_str(),
                    "title": title,
                    "required_skills": required,
                }))
                .map_err(|e| EvalError::Data(e.to_string()))?;
                let profile = config.profiles.profile(kind);
                for (engine_index, engine, weights) in
                    [(0usize, model, HashMap::new()), (1, bm25, bm25_weights(profile))]
                {
                    let ranked = ranking(
                        engine,
                        MatchTarget::AdHoc(Box::new(opportunity.clone())),
                        K,
                        weights,
                        &[],
                    )?;
                    let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
                    let (gains, violations) = judge_ranking(&ids, by_id, &grades, kind);
                    *gate_violations += violations;
                    if let Some(value) = metrics::ndcg_at(&gains, &ideal, K) {
                        ndcg[variant * 4 + engine_index * 2 + language].push(value);
                    }
                    if engine_index == 0 {
                        top_ids.push(ranked.into_iter().map(|(id, _)| id).collect());
                    }
                }
            }
            let english_top: HashSet<&String> = top_ids[1].iter().collect();
            if !english_top.is_empty() {
                let shared = top_ids[0].iter().filter(|id| english_top.contains(id)).count();
                same[variant].push(shared as f64 / english_top.len() as f64);
            }
        }
    }
    let m = |v: &Vec<f64>| metrics::mean(v).unwrap_or(0.0);
    Ok(JapaneseResult {
        occupations: asked.len(),
        title_only: [m(&ndcg[0]), m(&ndcg[1]), m(&ndcg[2]), m(&ndcg[3])],
        with_skills: [m(&ndcg[4]), m(&ndcg[5]), m(&ndcg[6]), m(&ndcg[7])],
        same_people_title_only: m(&same[0]),
        same_people_with_skills: m(&same[1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_twins_are_singular_names_without_qualifiers() {
        assert_eq!(english_title("Registered Nurses"), "Registered Nurse");
        assert_eq!(
            english_title("Elementary School Teachers, Except Special Education"),
            "Elementary School Teacher"
        );
        assert_eq!(english_title("Accountants and Auditors"), "Accountant");
        assert_eq!(english_title("Software Developers"), "Software Developer");
        assert_eq!(
            english_title("Financial and Investment Analysts"),
            "Financial and Investment Analyst"
        );
    }
}
