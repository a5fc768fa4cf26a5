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

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Instant,
};

use serde::Serialize;

pub use report::render_table;

use crate::{
    datagen::{GenConfig, Generator, Label, Relevance, Vocabulary, write_dataset},
    domain::{Alumnus, Opportunity, OpportunityKind},
    engine::{Engine, EngineConfig, MatchOptions, MatchQuery, MatchTarget, for_each_jsonl_chunk},
    ranking::{Component, RankingProfiles, WeightProfile, shared::TEXT_RELEVANCE},
};

use super::{EvalError, INDEX_TIMEOUT, K, judge_ranking, metrics, wait_for_index};

/// Records read per chunk when reading the generated files back.
const READ_CHUNK: usize = 1_000;

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
struct JudgedSet {
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
fn opportunities_needed(vocab: &Vocabulary, config: &GenConfig, per_kind: usize) -> Result<usize, EvalError> {
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
fn select_opportunities(opportunities: &[Opportunity], per_kind: usize) -> Result<Vec<&Opportunity>, EvalError> {
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

fn evaluate_query(
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

fn summarise(label: &str, queries: &[&QueryResult]) -> KindSummary {
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

#[cfg(test)]
mod tests;
