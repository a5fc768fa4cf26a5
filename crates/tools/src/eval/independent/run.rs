//! Running the independent evaluation: building the set, loading it into the
//! model and the BM25 engine, asking every opening, fitting the weights.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    time::Instant,
};

use super::{
    IndependentConfig, IndependentReport, KIND_COMPONENT_FLOOR, KindResult, Scores,
    ask::{bm25_weights, grades_for, ranking},
    bilingual::japanese_queries,
    dataset::{self, JudgedSet},
    fit::{CachedQuery, coordinate_ascent, normalise_with_floors},
    japanese::JAPANESE_TITLES,
    sources::Sources,
};
use crate::{
    domain::{Alumnus, OpportunityKind},
    engine::{Engine, EngineConfig, MatchTarget},
    eval::{EvalError, INDEX_TIMEOUT, K, judge_ranking, metrics},
    ranking::{Component, kinds},
};

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
        let gains = e.cached.ranked_gains(&weights, K);
        (metrics::ndcg_at(&gains, &e.cached.ideal, K), precision_strict(&gains))
    };
    let fitted_system = |e: &Evaluated| {
        let gains = e.cached.ranked_gains(&fitted_weights[&e.kind], K);
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
