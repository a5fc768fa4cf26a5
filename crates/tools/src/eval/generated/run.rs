//! Running the regression check: generating the set, loading it, asking every
//! selected opportunity of both systems, summarising.

use std::{collections::HashMap, path::Path, time::Instant};

use super::{EvalConfig, EvalReport, KindSummary, QueryResult, QueryScore, System, SystemSummary, Timings};
use crate::{
    datagen::{GenConfig, Generator, Label, Relevance, Vocabulary, write_dataset},
    domain::{Alumnus, Opportunity, OpportunityKind},
    engine::{Engine, EngineConfig, MatchOptions, MatchQuery, MatchTarget, for_each_jsonl_chunk},
    eval::{EvalError, INDEX_TIMEOUT, K, judge_ranking, metrics, wait_for_index},
    ranking::{Component, RankingProfiles},
};

/// Records read per chunk when reading the generated files back.
const READ_CHUNK: usize = 1_000;

/// Generates the judged set, loads it into a fresh engine in a scratch directory
/// (removed afterwards), ranks and scores. Blocking: call it off async executors.
pub fn run(config: &EvalConfig) -> Result<EvalReport, EvalError> {
    if config.alumni == 0 || config.opportunities_per_kind == 0 {
        return Err(EvalError::Config(
            "alumni and opportunities per kind must be at least 1".into(),
        ));
    }
    if let Some(path) = &config.taxonomy_path
        && !path.exists()
    {
        // The engine would fall back to no aliases with a warning; numbers that
        // silently depend on the working directory are not worth reporting.
        return Err(EvalError::Config(format!(
            "skill taxonomy {} not found",
            path.display()
        )));
    }
    let started = Instant::now();
    let vocab = Vocabulary::embedded()?;
    let scratch = tempfile::Builder::new()
        .prefix("alumni-match-eval-")
        .tempdir()
        .map_err(EvalError::Scratch)?;
    let dataset_dir = scratch.path().join("dataset");
    let mut gen_config = GenConfig {
        alumni: config.alumni,
        opportunities: 0,
        seed: config.seed,
        japanese_share: config.japanese_share,
        ..GenConfig::default()
    };
    gen_config.opportunities = opportunities_needed(&vocab, &gen_config, config.opportunities_per_kind)?;
    tracing::info!(
        alumni = gen_config.alumni,
        opportunities = gen_config.opportunities,
        seed = gen_config.seed,
        "generating the judged set"
    );
    write_dataset(&vocab, &gen_config, &dataset_dir, |_| {})?;
    let judged = JudgedSet::read(&dataset_dir)?;
    let generate_secs = started.elapsed().as_secs_f64();

    let loading = Instant::now();
    let mut engine_config = EngineConfig::new(scratch.path().join("engine"));
    engine_config.taxonomy_path = config.taxonomy_path.clone();
    engine_config.occupations_path = config.occupations_path.clone();
    engine_config.japanese_dictionary = config.japanese_dictionary.clone();
    engine_config.profiles = config.profiles.clone();
    engine_config.retrieval_pool = config.retrieval_pool;
    let engine = Engine::open(engine_config)?;
    engine.load_dataset(&dataset_dir)?;
    wait_for_index(&engine, INDEX_TIMEOUT)?;
    let load_secs = loading.elapsed().as_secs_f64();
    tracing::info!(load_secs, "judged set loaded and indexed");

    let evaluating = Instant::now();
    let selected = select_opportunities(&judged.opportunities, config.opportunities_per_kind)?;
    let mut systems = vec![System::Model, System::Bm25];
    if config.ablation {
        systems.extend(Component::all().into_iter().map(System::Without));
    }
    let mut queries = Vec::with_capacity(selected.len());
    for opportunity in selected {
        queries.push(evaluate_query(
            &engine,
            &vocab,
            &judged,
            &config.profiles,
            &systems,
            opportunity,
        )?);
    }
    let evaluate_secs = evaluating.elapsed().as_secs_f64();
    // The engine holds files in the scratch directory: stop it before removal.
    engine.shutdown();
    drop(engine);
    drop(scratch);

    let kinds: Vec<KindSummary> = OpportunityKind::ALL
        .into_iter()
        .map(|kind| {
            let of_kind: Vec<&QueryResult> = queries.iter().filter(|q| q.kind == kind).collect();
            summarise(kind.as_str(), &of_kind)
        })
        .collect();
    let overall = summarise("all", &queries.iter().collect::<Vec<_>>());
    let gate_violations = overall.systems.iter().map(|s| s.gate_violations).sum();
    Ok(EvalReport {
        alumni: config.alumni,
        opportunities_generated: gen_config.opportunities,
        opportunities_per_kind: config.opportunities_per_kind,
        seed: config.seed,
        k: K,
        taxonomy: config.taxonomy_path.as_ref().map(|p| p.display().to_string()),
        kinds,
        overall,
        gate_violations,
        queries,
        timings: Timings {
            generate_secs,
            load_secs,
            evaluate_secs,
            total_secs: started.elapsed().as_secs_f64(),
        },
    })
}

/// The generated records read back from disk, with their labels.
pub(super) struct JudgedSet {
    alumni: HashMap<String, Alumnus>,
    /// Per alumnus: ESCO occupation codes held.
    held: HashMap<String, Vec<String>>,
    /// In file order.
    opportunities: Vec<Opportunity>,
    /// Per opportunity: the ESCO occupation code it was drawn from.
    target: HashMap<String, String>,
}

impl JudgedSet {
    fn read(dir: &Path) -> Result<Self, EvalError> {
        let mut alumni = HashMap::new();
        for_each_jsonl_chunk::<Alumnus>(&dir.join("alumni.jsonl"), READ_CHUNK, |chunk, _| {
            alumni.extend(chunk.into_iter().map(|a| (a.id.clone(), a)));
            Ok(())
        })?;
        let mut opportunities = Vec::new();
        for_each_jsonl_chunk::<Opportunity>(&dir.join("opportunities.jsonl"), READ_CHUNK, |chunk, _| {
            opportunities.extend(chunk);
            Ok(())
        })?;
        let mut held = HashMap::new();
        let mut target = HashMap::new();
        for_each_jsonl_chunk::<Label>(&dir.join("labels.jsonl"), READ_CHUNK, |chunk, _| {
            for label in chunk {
                match label {
                    Label::Alumnus { id, occupation_ids } => {
                        held.insert(id, occupation_ids);
                    }
                    Label::Opportunity { id, occupation_id } => {
                        target.insert(id, occupation_id);
                    }
                }
            }
            Ok(())
        })?;
        if let Some(id) = alumni.keys().find(|id| !held.contains_key(*id)) {
            return Err(EvalError::Data(format!("alumnus {id} has no occupation label")));
        }
        if let Some(o) = opportunities.iter().find(|o| !target.contains_key(&o.id)) {
            return Err(EvalError::Data(format!("opportunity {} has no occupation label", o.id)));
        }
        Ok(Self {
            alumni,
            held,
            opportunities,
            target,
        })
    }
}

/// How many opportunities to generate so that every kind gets `per_kind`: the
/// generator picks kinds at random past its first few records.
pub(super) fn opportunities_needed(
    vocab: &Vocabulary,
    config: &GenConfig,
    per_kind: usize,
) -> Result<usize, EvalError> {
    let generator = Generator::new(vocab, config)?;
    let mut counts = [0usize; OpportunityKind::ALL.len()];
    // Kinds are drawn uniformly, so this bound is only reached if that changes.
    let limit = per_kind.saturating_mul(200).saturating_add(100);
    for j in 0..limit {
        let kind = generator.opportunity(j).opportunity.kind;
        if let Some(i) = OpportunityKind::ALL.iter().position(|&k| k == kind) {
            counts[i] += 1;
        }
        if counts.iter().all(|&c| c >= per_kind) {
            return Ok(j + 1);
        }
    }
    Err(EvalError::Config(format!(
        "the generator made fewer than {per_kind} opportunities of some kind in {limit} draws: {counts:?}"
    )))
}

/// The first `per_kind` opportunities of each kind, kinds in [`OpportunityKind::ALL`] order.
pub(super) fn select_opportunities(
    opportunities: &[Opportunity],
    per_kind: usize,
) -> Result<Vec<&Opportunity>, EvalError> {
    let mut selected = Vec::with_capacity(per_kind * OpportunityKind::ALL.len());
    for kind in OpportunityKind::ALL {
        let of_kind: Vec<&Opportunity> = opportunities.iter().filter(|o| o.kind == kind).take(per_kind).collect();
        if of_kind.len() < per_kind {
            return Err(EvalError::Data(format!(
                "{} {} opportunities generated, {per_kind} needed",
                of_kind.len(),
                kind.as_str()
            )));
        }
        selected.extend(of_kind);
    }
    Ok(selected)
}

pub(super) fn evaluate_query(
    engine: &Engine,
    vocab: &Vocabulary,
    judged: &JudgedSet,
    profiles: &RankingProfiles,
    systems: &[System],
    opportunity: &Opportunity,
) -> Result<QueryResult, EvalError> {
    let kind = opportunity.kind;
    let target = judged
        .target
        .get(&opportunity.id)
        .ok_or_else(|| EvalError::Data(format!("opportunity {} has no occupation label", opportunity.id)))?;
    // Grades of eligible alumni only: an ineligible one must not be returned, so
    // it earns nothing when it is and cannot raise the ideal.
    let mut by_occupation: HashMap<&str, Relevance> = HashMap::new();
    let mut grades: HashMap<&str, u8> = HashMap::new();
    for (id, alumnus) in &judged.alumni {
        if !alumnus.passes_gates(kind) {
            continue;
        }
        let held = judged.held.get(id).map(Vec::as_slice).unwrap_or_default();
        // The grade over all occupations held is the best grade of any one of them
        // (see Vocabulary::relevance); grading one occupation at a time lets the
        // few distinct occupations be graded once per opportunity.
        let grade = held
            .iter()
            .map(|occupation| {
                *by_occupation
                    .entry(occupation.as_str())
                    .or_insert_with(|| vocab.relevance(std::slice::from_ref(occupation), target))
            })
            .max()
            .unwrap_or(Relevance::NotRelevant);
        grades.insert(id.as_str(), grade as u8);
    }
    let ideal: Vec<u8> = grades.values().copied().collect();
    let profile = profiles.profile(kind);

    let mut scores = Vec::with_capacity(systems.len());
    for &system in systems {
        let Some(weights) = system.overrides(profile) else {
            if system == System::Bm25 {
                return Err(EvalError::Config(format!(
                    "the {} profile has no text_relevance component, so there is no BM25 baseline",
                    kind.as_str()
                )));
            }
            continue;
        };
        let query = MatchQuery {
            target: MatchTarget::Stored(opportunity.id.clone()),
            options: MatchOptions {
                limit: K as u32,
                weights,
                ..MatchOptions::default()
            },
        };
        let page = engine.match_alumni(query, &crate::engine::Cancellation::new())?;
        let returned: Vec<&str> = page
            .candidates
            .iter()
            .map(|r| r.candidate.alumnus_id.as_str())
            .collect();
        let (ranked, gate_violations) = judge_ranking(&returned, &judged.alumni, &grades, kind);
        scores.push(QueryScore {
            system: system.name(),
            ndcg: metrics::ndcg_at(&ranked, &ideal, K),
            precision: metrics::precision_at(&ranked, K),
            returned: ranked.len(),
            gate_violations,
        });
    }
    Ok(QueryResult {
        opportunity_id: opportunity.id.clone(),
        kind,
        eligible_alumni: ideal.len(),
        relevant_eligible_alumni: ideal.iter().filter(|&&g| g > 0).count(),
        systems: scores,
    })
}

pub(super) fn summarise(label: &str, queries: &[&QueryResult]) -> KindSummary {
    let mut names: Vec<&str> = Vec::new();
    for query in queries {
        for score in &query.systems {
            if !names.contains(&score.system.as_str()) {
                names.push(&score.system);
            }
        }
    }
    let systems = names
        .into_iter()
        .map(|name| {
            let scores: Vec<&QueryScore> = queries
                .iter()
                .filter_map(|q| q.systems.iter().find(|s| s.system == name))
                .collect();
            let ndcg: Vec<f64> = scores.iter().filter_map(|s| s.ndcg).collect();
            let precision: Vec<f64> = scores.iter().map(|s| s.precision).collect();
            SystemSummary {
                system: name.to_owned(),
                queries: scores.len(),
                ndcg: metrics::mean(&ndcg),
                precision: metrics::mean(&precision),
                gate_violations: scores.iter().map(|s| s.gate_violations).sum(),
            }
        })
        .collect();
    let relevant: Vec<f64> = queries.iter().map(|q| q.relevant_eligible_alumni as f64).collect();
    KindSummary {
        kind: label.to_owned(),
        queries: queries.len(),
        queries_without_relevant: queries.iter().filter(|q| q.relevant_eligible_alumni == 0).count(),
        mean_relevant_eligible: metrics::mean(&relevant),
        systems,
    }
}
