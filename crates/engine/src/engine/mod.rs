//! The engine: store, index and ranking wired together behind one synchronous API.
//!
//! This is alumni-match without gRPC: the service layer calls it from blocking
//! tasks, and tests and tools can call it directly. It owns the write path
//! (validate, write durably, signal the indexer) and the read path (retrieve with
//! gates, re-check against the store, rank).

mod indexer;
mod paging;
mod rescore;
mod tenant_id;
mod tenants;

use std::{
    collections::HashMap,
    fs,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::Duration,
};

use rayon::prelude::*;
use tokio::sync::watch;

use crate::{
    domain::{
        Alumnus, Opportunity, OpportunityKind, OpportunityStatus, Timestamp, Violations,
        validation::{MAX_BATCH_ITEMS, validate_alumnus, validate_opportunity},
    },
    index::{AlumniIndex, IndexError, JapaneseMorphology, PurgeReport, RetrievalQuery},
    ranking::{self, PoolEntry, PreparedOpportunity, RankingContext, RankingProfiles, ScoredCandidate},
    store::{OpportunityFilter, Store, StoreError},
    taxonomy::{Taxonomy, TaxonomyError},
};
use alumni_match_assignment::{AssignmentProblem, assign_optimal};
use indexer::{Indexer, Signal};
pub use paging::PageToken;
pub use rescore::{DEFAULT_SHORTLIST_SIZE, JobState, RescoreProgress, RescoreRequest, ShortlistView, from_entry};
pub use tenant_id::{InvalidTenant, TenantId};
pub use tenants::{Tenants, migrate_single_tenant_layout};

/// Candidates per page when the request does not say.
pub const DEFAULT_MATCH_LIMIT: u32 = 20;
/// Most candidates per page.
pub const MAX_MATCH_LIMIT: u32 = 1_000;
/// Opportunities per page when the request does not say.
pub const DEFAULT_LIST_PAGE_SIZE: u32 = 50;
/// Most opportunities per page.
pub const MAX_LIST_PAGE_SIZE: u32 = 1_000;

/// Errors of the engine, as the service maps them to status codes.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request breaks input rules; nothing was written.
    #[error("invalid request: {} violation(s)", .0.items().len())]
    Invalid(Violations),
    /// A referenced record does not exist.
    #[error("{entity} {id:?} not found")]
    NotFound {
        /// "alumnus" or "opportunity".
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The system of record failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The skill taxonomy could not be loaded.
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyError),
    /// A data file could not be read.
    #[error("{path}: {message}")]
    DataFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// An internal invariant failed (a bug): reported, never a panic.
    #[error("internal error: {0}")]
    Internal(String),
    /// The engine is shutting down.
    #[error("the engine is shutting down")]
    ShuttingDown,
}

impl From<Violations> for EngineError {
    fn from(violations: Violations) -> Self {
        Self::Invalid(violations)
    }
}

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory for the store file and the index directory.
    pub data_dir: PathBuf,
    /// The skill alias table; `None` or a missing file means no aliases.
    pub taxonomy_path: Option<PathBuf>,
    /// Weight profiles per kind.
    pub profiles: RankingProfiles,
    /// How many alumni retrieval hands to ranking per query.
    pub retrieval_pool: usize,
    /// Longest time between an acknowledged write and its index commit (plus the commit itself).
    pub commit_interval: Duration,
    /// Index writer threads.
    pub indexer_threads: usize,
    /// Index writer memory budget, in bytes.
    pub indexer_memory_bytes: usize,
    /// The Japanese dictionary built by `alumni-match data build-ja-dictionary`;
    /// `None` or a missing or unreadable one means Japanese is matched by
    /// character bigrams only.
    pub japanese_dictionary: Option<PathBuf>,
}

impl EngineConfig {
    /// Defaults for a data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            taxonomy_path: None,
            profiles: RankingProfiles::defaults(),
            retrieval_pool: 300,
            commit_interval: Duration::from_millis(250),
            indexer_threads: 1,
            indexer_memory_bytes: 128 * 1024 * 1024,
            japanese_dictionary: None,
        }
    }
}

/// Loads the Japanese dictionary, degrading to bigram-only matching with one
/// warning: a server without it is less precise on Japanese, not broken.
fn load_morphology(path: Option<&Path>) -> Option<JapaneseMorphology> {
    let Some(path) = path else {
        tracing::info!("no Japanese dictionary configured; Japanese is matched by character bigrams only");
        return None;
    };
    match JapaneseMorphology::load(path) {
        Ok(morphology) => {
            tracing::info!(path = %path.display(), id = morphology.id(), "Japanese dictionary loaded");
            Some(morphology)
        }
        Err(error) => {
            tracing::warn!(
                %error,
                "Japanese dictionary unavailable; Japanese is matched by character bigrams only \
                 (less precise: 京都 also matches 東京都). Run scripts/setup.sh to build it"
            );
            None
        }
    }
}

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
    /// Page size; 0 = [`DEFAULT_MATCH_LIMIT`].
    pub limit: u32,
    /// From the previous page; empty for the first.
    pub page_token: String,
    /// Weight overrides by component name.
    pub weights: HashMap<String, f64>,
    /// Only alumni with every required skill.
    pub require_all_required_skills: bool,
}

/// One page of a ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchPage {
    /// Candidates with their 1-based rank in the whole ranking.
    pub candidates: Vec<(u32, ScoredCandidate)>,
    /// Alumni that pass every gate and filter.
    pub total_eligible: u64,
    /// Token for the next page; empty when there is none.
    pub next_page_token: String,
}

/// Most opportunities in one mentor assignment.
pub const MAX_ASSIGNMENT_OPPORTUNITIES: usize = 100;
/// Most assignments one alumnus may take in one mentor assignment.
pub const MAX_ASSIGNMENTS_PER_ALUMNUS: u32 = 100;

/// The result of [`Engine::assign_mentors`].
#[derive(Debug, Clone, PartialEq)]
pub struct MentorAssignmentPlan {
    /// `(opportunity id, the mentor's rank in the opportunity's Match ranking, the
    /// mentor with explanation)`, by opportunity in request order, then score.
    pub assignments: Vec<(String, u32, ScoredCandidate)>,
    /// Sum of the assigned pairs' scores (the maximum possible).
    pub total_score: f64,
    /// `(opportunity id, capacity, assigned)` in request order.
    pub fills: Vec<(String, u32, u32)>,
}

/// The matching engine. Share it behind an `Arc`.
pub struct Engine {
    store: Arc<Store>,
    index: Arc<AlumniIndex>,
    taxonomy: Arc<Taxonomy>,
    profiles: RankingProfiles,
    retrieval_pool: usize,
    signals: Mutex<Option<mpsc::Sender<Signal>>>,
    applied: watch::Receiver<u64>,
    indexer: Mutex<Option<thread::JoinHandle<()>>>,
    in_flight: rescore::InFlight,
    jobs: rescore::Jobs,
}

impl Engine {
    /// Opens the store and index under `config.data_dir`, brings the index up to
    /// date with the store (replaying the change log, or rebuilding when the index
    /// is missing, damaged or too far behind), and starts the indexer.
    pub fn open(config: EngineConfig) -> Result<Self, EngineError> {
        fs::create_dir_all(&config.data_dir).map_err(|e| EngineError::DataFile {
            path: config.data_dir.display().to_string(),
            message: e.to_string(),
        })?;
        let taxonomy = match &config.taxonomy_path {
            Some(path) if path.exists() => Taxonomy::load(path)?,
            Some(path) => {
                tracing::warn!(path = %path.display(), "skill taxonomy not found; matching skills by normalised text only");
                Taxonomy::empty()
            }
            None => Taxonomy::empty(),
        };
        tracing::info!(skills = taxonomy.len(), "skill taxonomy loaded");
        let store = Arc::new(Store::open(&config.data_dir.join("store.redb"))?);
        let morphology = load_morphology(config.japanese_dictionary.as_deref());
        let (index, payload) = AlumniIndex::open(&config.data_dir.join("index"), morphology)?;
        let index = Arc::new(index);
        let taxonomy = Arc::new(taxonomy);
        let mut writer = index.writer(config.indexer_threads, config.indexer_memory_bytes)?;

        let store_seq = store.alumni_seq()?;
        let replayable = |from: u64| -> Result<bool, EngineError> {
            Ok(from == store_seq || store.oldest_change()?.is_some_and(|oldest| oldest <= from + 1))
        };
        let applied = match payload {
            Some(p) if p.alumni_seq <= store_seq && replayable(p.alumni_seq)? => p.alumni_seq,
            None if store_seq == 0 => 0,
            _ => {
                tracing::info!(
                    alumni = store.count_alumni()?,
                    "rebuilding the search index from the store"
                );
                index.clear(&mut writer)?;
                let mut done = 0usize;
                let seq = store.scan_alumni(10_000, |batch| -> Result<(), EngineError> {
                    for alumnus in &batch {
                        index.stage(&writer, &taxonomy, &alumnus.id, Some(alumnus))?;
                    }
                    done += batch.len();
                    tracing::info!(done, "rebuilding the search index");
                    Ok(())
                })?;
                index.commit(&mut writer, seq)?;
                seq
            }
        };
        let (applied_tx, applied_rx) = watch::channel(applied);
        let mut indexer = Indexer {
            store: store.clone(),
            index: index.clone(),
            taxonomy: taxonomy.clone(),
            writer,
            applied: applied_tx,
            commit_interval: config.commit_interval,
        };
        indexer.catch_up()?;
        tracing::info!(
            documents = index.num_docs(),
            seq = *applied_rx.borrow(),
            "search index is current"
        );
        let (signals_tx, signals_rx) = mpsc::channel();
        let handle = indexer.spawn(signals_rx);
        Ok(Self {
            store,
            index,
            taxonomy,
            profiles: config.profiles,
            retrieval_pool: config.retrieval_pool.max(1),
            signals: Mutex::new(Some(signals_tx)),
            applied: applied_rx,
            indexer: Mutex::new(Some(handle)),
            in_flight: rescore::InFlight::default(),
            jobs: rescore::Jobs::default(),
        })
    }

    fn signal_indexer(&self) {
        if let Ok(guard) = self.signals.lock()
            && let Some(sender) = guard.as_ref()
        {
            // A send fails only when the indexer has stopped, i.e. during shutdown;
            // the write is durable and the next start-up replays it.
            let _ = sender.send(Signal::Changed);
        }
    }

    /// Validates and durably writes alumni (all or none). Returns the change-log
    /// sequence to wait for with [`Engine::wait_indexed`].
    pub fn upsert_alumni(&self, mut alumni: Vec<Alumnus>, path: &str) -> Result<u64, EngineError> {
        let mut violations = Violations::new();
        validate_alumni_batch(&alumni, path, &mut violations);
        violations.into_result()?;
        self.write_alumni(&mut alumni)
    }

    /// Durably writes alumni that the caller has already validated.
    pub fn write_alumni(&self, alumni: &mut [Alumnus]) -> Result<u64, EngineError> {
        let now = Timestamp::now();
        for alumnus in alumni.iter_mut() {
            alumnus.updated_at.get_or_insert(now);
        }
        let seq = self.store.upsert_alumni(alumni)?;
        self.signal_indexer();
        Ok(seq)
    }

    /// Deletes alumni by id: `(deleted ids, unknown ids, sequence)`.
    pub fn delete_alumni(&self, ids: Vec<String>) -> Result<(Vec<String>, Vec<String>, u64), EngineError> {
        let mut violations = Violations::new();
        if ids.is_empty() {
            violations.add("ids", "must contain at least one id");
        }
        violations.check_count("ids", ids.len(), MAX_BATCH_ITEMS);
        for (i, id) in ids.iter().enumerate() {
            violations.check_id(&format!("ids[{i}]"), id);
        }
        violations.into_result()?;
        let outcome = self.store.delete_alumni(&ids)?;
        self.signal_indexer();
        Ok((outcome.deleted, outcome.not_found, outcome.seq))
    }

    /// Reads one alumnus.
    pub fn get_alumnus(&self, id: &str) -> Result<Alumnus, EngineError> {
        check_id_argument("id", id)?;
        self.store.get_alumnus(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "alumnus",
            id: id.to_owned(),
        })
    }

    /// Number of stored alumni.
    pub fn count_alumni(&self) -> Result<u64, EngineError> {
        Ok(self.store.count_alumni()?)
    }

    /// The store's latest alumni change-log sequence: once [`Engine::indexed_seq`]
    /// reaches it, the index reflects every write made so far.
    pub fn alumni_seq(&self) -> Result<u64, EngineError> {
        Ok(self.store.alumni_seq()?)
    }

    /// The change-log sequence the index has applied.
    pub fn indexed_seq(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Waits until the index reflects every write up to `seq`, or `timeout` passes.
    /// Returns whether it got there.
    pub async fn wait_indexed(&self, seq: u64, timeout: Duration) -> bool {
        let mut applied = self.applied.clone();
        tokio::time::timeout(timeout, applied.wait_for(|&applied| applied >= seq))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Validates and durably writes opportunities (all or none).
    pub fn upsert_opportunities(&self, opportunities: Vec<Opportunity>) -> Result<usize, EngineError> {
        let mut violations = Violations::new();
        validate_opportunity_batch(&opportunities, &mut violations);
        violations.into_result()?;
        self.store.upsert_opportunities(&opportunities, Timestamp::now())?;
        Ok(opportunities.len())
    }

    /// Reads one opportunity.
    pub fn get_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
        check_id_argument("id", id)?;
        self.store.get_opportunity(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        })
    }

    /// Lists opportunities in id order: `(page, next page token)`.
    pub fn list_opportunities(
        &self,
        kind: Option<OpportunityKind>,
        status: Option<OpportunityStatus>,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Opportunity>, String), EngineError> {
        let mut violations = Violations::new();
        if page_size > MAX_LIST_PAGE_SIZE {
            violations.add("page_size", format!("must be at most {MAX_LIST_PAGE_SIZE}"));
        }
        let after = if page_token.is_empty() {
            None
        } else {
            match paging::decode_list_token(page_token) {
                Some(after) => Some(after),
                None => {
                    violations.add("page_token", "is not a token returned by ListOpportunities");
                    None
                }
            }
        };
        violations.into_result()?;
        let size = if page_size == 0 {
            DEFAULT_LIST_PAGE_SIZE
        } else {
            page_size
        } as usize;
        let (page, more) = self
            .store
            .list_opportunities(OpportunityFilter { kind, status }, after.as_deref(), size)?;
        let next = match (more, page.last()) {
            (true, Some(last)) => paging::encode_list_token(&last.id),
            _ => String::new(),
        };
        Ok((page, next))
    }

    /// Closes an opportunity.
    pub fn close_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
        check_id_argument("id", id)?;
        self.store.close_opportunity(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        })
    }

    /// Ranks alumni for a stored or ad-hoc opportunity.
    pub fn match_alumni(&self, target: MatchTarget, options: MatchOptions) -> Result<MatchPage, EngineError> {
        let mut violations = Violations::new();
        let opportunity = match target {
            MatchTarget::Stored(id) => {
                violations.check_id("opportunity_id", &id);
                violations.into_result()?;
                violations = Violations::new();
                self.get_opportunity(&id)?
            }
            MatchTarget::AdHoc(opportunity) => {
                validate_opportunity(&opportunity, "opportunity", false, &mut violations);
                *opportunity
            }
        };
        if options.limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        let fingerprint = paging::fingerprint(&opportunity, &options);
        let offset = match PageToken::decode(&options.page_token, fingerprint) {
            Ok(token) => token.offset,
            Err(message) => {
                violations.add("page_token", message);
                0
            }
        };
        // Checked last, so every other violation is already collected when it fails.
        let profile = match self.profiles.profile(opportunity.kind).with_overrides(&options.weights) {
            Ok(profile) => profile,
            Err(error) => {
                let field = match &error {
                    ranking::WeightError::UnknownComponent { name, .. }
                    | ranking::WeightError::InvalidWeight { name, .. } => format!("weights[{name}]"),
                    _ => "weights".to_owned(),
                };
                violations.add(field, error.to_string());
                return Err(violations.into());
            }
        };
        violations.into_result()?;
        let limit = if options.limit == 0 {
            DEFAULT_MATCH_LIMIT
        } else {
            options.limit
        } as usize;

        let prepared = PreparedOpportunity::new(opportunity, &self.taxonomy);
        let searcher = self.index.searcher();
        let (total_eligible, ranked) = self.rank_opportunity(
            &searcher,
            &prepared,
            &profile,
            options.require_all_required_skills,
            Timestamp::now(),
        )?;
        // The offset comes from a client's page token: saturate rather than overflow.
        let end = offset.saturating_add(limit).min(ranked.len());
        let next_page_token = if end < ranked.len() {
            PageToken {
                fingerprint,
                offset: end,
            }
            .encode()
        } else {
            String::new()
        };
        let candidates = ranked
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit)
            .map(|(i, c)| (u32::try_from(i + 1).unwrap_or(u32::MAX), c))
            .collect();
        Ok(MatchPage {
            candidates,
            total_eligible,
            next_page_token,
        })
    }

    /// Retrieves and ranks the whole pool for one opportunity on `searcher`:
    /// `(alumni passing the gates, ranked candidates)`.
    fn rank_opportunity(
        &self,
        searcher: &tantivy::Searcher,
        prepared: &PreparedOpportunity,
        profile: &ranking::WeightProfile,
        require_all_required_skills: bool,
        now: Timestamp,
    ) -> Result<(u64, Vec<ScoredCandidate>), EngineError> {
        let query = RetrievalQuery::for_opportunity(
            &prepared.opportunity,
            &self.taxonomy,
            require_all_required_skills,
            self.index.morphology(),
        );
        let retrieved = self.index.retrieve(searcher, &query, self.retrieval_pool)?;
        let ids: Vec<&str> = retrieved.hits.iter().map(|h| h.id.as_str()).collect();
        let records = self.store.get_alumni(&ids)?;
        let pool: Vec<PoolEntry> = retrieved
            .hits
            .iter()
            .zip(records)
            .filter_map(|(hit, record)| {
                record.map(|alumnus| PoolEntry {
                    alumnus,
                    bm25: hit.bm25,
                })
            })
            .collect();
        let context = RankingContext {
            opportunity: prepared,
            profile,
            taxonomy: &self.taxonomy,
            now,
            require_all_required_skills,
        };
        Ok((retrieved.total_eligible, ranking::rank(&context, pool)))
    }

    /// The retrieval stage of [`Engine::match_alumni`] alone (the BM25 query with the
    /// gates, top `retrieval_pool`), without reading records or re-ranking: for
    /// benchmarks that separate retrieval cost from ranking and transport cost.
    /// Returns the number of eligible alumni and of retrieved candidates.
    pub fn retrieve_only(&self, opportunity_id: &str) -> Result<(u64, usize), EngineError> {
        let opportunity = self.get_opportunity(opportunity_id)?;
        let query = RetrievalQuery::for_opportunity(&opportunity, &self.taxonomy, false, self.index.morphology());
        let retrieved = self
            .index
            .retrieve(&self.index.searcher(), &query, self.retrieval_pool)?;
        Ok((retrieved.total_eligible, retrieved.hits.len()))
    }

    /// The open opportunities that fit one alumnus best, scored exactly as
    /// [`Engine::match_alumni`] would score the alumnus for each of them.
    pub fn match_for_alumnus(
        &self,
        alumnus_id: &str,
        kinds: Vec<OpportunityKind>,
        limit: u32,
    ) -> Result<Vec<(u32, Opportunity, ScoredCandidate)>, EngineError> {
        let mut violations = Violations::new();
        violations.check_id("alumnus_id", alumnus_id);
        if limit > MAX_MATCH_LIMIT {
            violations.add("limit", format!("must be at most {MAX_MATCH_LIMIT}"));
        }
        violations.into_result()?;
        let alumnus = self.get_alumnus(alumnus_id)?;
        let wanted: Vec<OpportunityKind> = if kinds.is_empty() {
            OpportunityKind::ALL.to_vec()
        } else {
            kinds
        };
        let eligible: Vec<OpportunityKind> = wanted.into_iter().filter(|kind| alumnus.passes_gates(*kind)).collect();
        let mut opportunities = Vec::new();
        for kind in &eligible {
            let filter = OpportunityFilter {
                kind: Some(*kind),
                status: Some(OpportunityStatus::Open),
            };
            opportunities.extend(self.store.all_opportunities(filter)?);
        }
        let searcher = self.index.searcher();
        let now = Timestamp::now();
        let mut scored: Vec<(Opportunity, ScoredCandidate)> = opportunities
            .into_par_iter()
            .map(
                |opportunity| -> Result<Option<(Opportunity, ScoredCandidate)>, EngineError> {
                    let profile = self.profiles.profile(opportunity.kind);
                    let prepared = PreparedOpportunity::new(opportunity, &self.taxonomy);
                    let query = RetrievalQuery::for_opportunity(
                        &prepared.opportunity,
                        &self.taxonomy,
                        false,
                        self.index.morphology(),
                    );
                    let best = self
                        .index
                        .retrieve(&searcher, &query, 1)?
                        .hits
                        .first()
                        .map(|h| h.bm25)
                        .unwrap_or(0.0);
                    let own = self.index.score_of(&searcher, &query, &alumnus.id)?.unwrap_or(0.0);
                    let context = RankingContext {
                        opportunity: &prepared,
                        profile,
                        taxonomy: &self.taxonomy,
                        now,
                        require_all_required_skills: false,
                    };
                    let entry = PoolEntry {
                        alumnus: alumnus.clone(),
                        bm25: own,
                    };
                    let candidate = ranking::rank_against(&context, vec![entry], best.max(own))
                        .into_iter()
                        .next();
                    Ok(candidate.map(|c| (prepared.opportunity, c)))
                },
            )
            .filter_map(Result::transpose)
            .collect::<Result<_, _>>()?;
        scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then_with(|| a.0.id.cmp(&b.0.id)));
        let limit = if limit == 0 { DEFAULT_MATCH_LIMIT } else { limit } as usize;
        Ok(scored
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(i, (o, c))| (u32::try_from(i + 1).unwrap_or(u32::MAX), o, c))
            .collect())
    }

    /// Assigns mentors to MENTORING opportunities so that the total score is the
    /// highest possible; see [`MentorAssignmentPlan`].
    pub fn assign_mentors(
        &self,
        opportunity_ids: Vec<String>,
        max_assignments_per_alumnus: u32,
        candidates_per_opportunity: u32,
    ) -> Result<MentorAssignmentPlan, EngineError> {
        let mut violations = Violations::new();
        if opportunity_ids.is_empty() {
            violations.add("opportunity_ids", "must contain at least one id");
        }
        violations.check_count("opportunity_ids", opportunity_ids.len(), MAX_ASSIGNMENT_OPPORTUNITIES);
        let mut seen = HashMap::new();
        for (i, id) in opportunity_ids.iter().enumerate() {
            violations.check_id(&format!("opportunity_ids[{i}]"), id);
            if let Some(first) = seen.insert(id.as_str(), i) {
                violations.add(
                    format!("opportunity_ids[{i}]"),
                    format!("duplicates opportunity_ids[{first}]"),
                );
            }
        }
        if max_assignments_per_alumnus > MAX_ASSIGNMENTS_PER_ALUMNUS {
            violations.add(
                "max_assignments_per_alumnus",
                format!("must be at most {MAX_ASSIGNMENTS_PER_ALUMNUS}"),
            );
        }
        if candidates_per_opportunity > MAX_MATCH_LIMIT {
            violations.add(
                "candidates_per_opportunity",
                format!("must be at most {MAX_MATCH_LIMIT}"),
            );
        }
        violations.into_result()?;
        let mut violations = Violations::new();
        let mut opportunities = Vec::with_capacity(opportunity_ids.len());
        for (i, id) in opportunity_ids.iter().enumerate() {
            let opportunity = self.get_opportunity(id)?;
            if opportunity.kind != OpportunityKind::Mentoring {
                violations.add(
                    format!("opportunity_ids[{i}]"),
                    format!("is a {} opportunity, not mentoring", opportunity.kind.as_str()),
                );
            } else if opportunity.status != OpportunityStatus::Open {
                violations.add(format!("opportunity_ids[{i}]"), "is closed");
            }
            opportunities.push(opportunity);
        }
        violations.into_result()?;

        let per_opportunity = if candidates_per_opportunity == 0 {
            100
        } else {
            candidates_per_opportunity
        };
        let mut alumni: Vec<String> = Vec::new();
        let mut alumnus_index: HashMap<String, usize> = HashMap::new();
        let mut edges = Vec::new();
        let mut explanations: HashMap<(usize, usize), (u32, ScoredCandidate)> = HashMap::new();
        for (j, opportunity) in opportunities.iter().enumerate() {
            let page = self.match_alumni(
                MatchTarget::Stored(opportunity.id.clone()),
                MatchOptions {
                    limit: per_opportunity,
                    ..MatchOptions::default()
                },
            )?;
            for (rank, candidate) in page.candidates {
                // A zero score cannot improve the total; the solver takes scores in (0, 1].
                if candidate.score <= 0.0 {
                    continue;
                }
                let i = *alumnus_index.entry(candidate.alumnus_id.clone()).or_insert_with(|| {
                    alumni.push(candidate.alumnus_id.clone());
                    alumni.len() - 1
                });
                edges.push((i, j, candidate.score.min(1.0)));
                explanations.insert((i, j), (rank, candidate));
            }
        }
        let problem = AssignmentProblem {
            alumni,
            opportunities: opportunities
                .iter()
                .map(|o| (o.id.clone(), o.capacity.max(1)))
                .collect(),
            max_per_alumnus: max_assignments_per_alumnus.max(1),
            limit_overrides: Vec::new(),
            edges,
        };
        let solution = assign_optimal(&problem).map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut assignments: Vec<(String, u32, ScoredCandidate)> = solution
            .pairs
            .iter()
            .filter_map(|&(i, j, _)| {
                explanations
                    .remove(&(i, j))
                    .map(|(r, c)| (opportunities[j].id.clone(), r, c))
            })
            .collect();
        let order: HashMap<&str, usize> = opportunity_ids
            .iter()
            .enumerate()
            .map(|(k, id)| (id.as_str(), k))
            .collect();
        assignments.sort_by(|a, b| {
            order[a.0.as_str()]
                .cmp(&order[b.0.as_str()])
                .then(b.2.score.total_cmp(&a.2.score))
                .then(a.2.alumnus_id.cmp(&b.2.alumnus_id))
        });
        let fills = opportunities
            .iter()
            .map(|o| {
                let assigned = assignments.iter().filter(|(id, _, _)| *id == o.id).count() as u32;
                (o.id.clone(), o.capacity.max(1), assigned)
            })
            .collect();
        Ok(MentorAssignmentPlan {
            assignments,
            total_score: solution.total_score,
            fills,
        })
    }

    /// Loads `alumni.jsonl` and `opportunities.jsonl` from `dir` (the project's JSONL
    /// format: one domain record per line). Every record is validated; a bad line
    /// stops the load with its line number. Returns `(alumni, opportunities)` loaded.
    pub fn load_dataset(&self, dir: &Path) -> Result<(usize, usize), EngineError> {
        let mut alumni_count = 0;
        for_each_jsonl_chunk::<Alumnus>(&dir.join("alumni.jsonl"), MAX_BATCH_ITEMS, |chunk, first_line| {
            alumni_count += chunk.len();
            self.upsert_alumni(chunk, &format!("alumni.jsonl:{first_line}+"))?;
            Ok(())
        })?;
        let mut opportunity_count = 0;
        for_each_jsonl_chunk::<Opportunity>(&dir.join("opportunities.jsonl"), MAX_BATCH_ITEMS, |chunk, _| {
            opportunity_count += chunk.len();
            self.upsert_opportunities(chunk)?;
            Ok(())
        })?;
        Ok((alumni_count, opportunity_count))
    }

    /// Makes deleted alumni physically absent from the index: applies pending
    /// changes, merges the segments without deleted documents and removes the old
    /// segment files. Blocks until done.
    pub fn purge_deleted(&self) -> Result<PurgeReport, EngineError> {
        let (reply, answer) = mpsc::channel();
        {
            let guard = self
                .signals
                .lock()
                .map_err(|_| EngineError::Internal("indexer channel poisoned".into()))?;
            let sender = guard.as_ref().ok_or(EngineError::ShuttingDown)?;
            sender
                .send(Signal::Purge(reply))
                .map_err(|_| EngineError::ShuttingDown)?;
        }
        answer.recv().map_err(|_| EngineError::ShuttingDown)?
    }

    /// Applies what the indexer has pending and stops it. Idempotent.
    pub fn shutdown(&self) {
        if let Ok(mut signals) = self.signals.lock()
            && let Some(sender) = signals.take()
        {
            let _ = sender.send(Signal::Shutdown);
        }
        if let Ok(mut handle) = self.indexer.lock()
            && let Some(handle) = handle.take()
            && handle.join().is_err()
        {
            tracing::error!("the indexer thread panicked");
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Checks a batch of alumni for a unary write: 1 to [`MAX_BATCH_ITEMS`] items,
/// each valid, ids unique. Reports under `path` ("alumni").
pub fn validate_alumni_batch(alumni: &[Alumnus], path: &str, violations: &mut Violations) {
    if alumni.is_empty() {
        violations.add(path, "must contain at least one alumnus");
    }
    violations.check_count(path, alumni.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, alumnus) in alumni.iter().enumerate() {
        validate_alumnus(alumnus, &format!("{path}[{i}]"), violations);
        if let Some(first) = seen.insert(alumnus.id.as_str(), i) {
            violations.add(
                format!("{path}[{i}].id"),
                format!("duplicates the id of {path}[{first}]"),
            );
        }
    }
}

/// Checks a batch of opportunities for a write, like [`validate_alumni_batch`].
pub fn validate_opportunity_batch(opportunities: &[Opportunity], violations: &mut Violations) {
    if opportunities.is_empty() {
        violations.add("opportunities", "must contain at least one opportunity");
    }
    violations.check_count("opportunities", opportunities.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, opportunity) in opportunities.iter().enumerate() {
        validate_opportunity(opportunity, &format!("opportunities[{i}]"), true, violations);
        if let Some(first) = seen.insert(opportunity.id.as_str(), i) {
            violations.add(
                format!("opportunities[{i}].id"),
                format!("duplicates the id of opportunities[{first}]"),
            );
        }
    }
}

fn check_id_argument(field: &str, id: &str) -> Result<(), EngineError> {
    let mut violations = Violations::new();
    violations.check_id(field, id);
    Ok(violations.into_result()?)
}

/// Reads a JSONL file in chunks of `chunk` records, calling `visit(records, first line number)`.
pub fn for_each_jsonl_chunk<T: serde::de::DeserializeOwned>(
    path: &Path,
    chunk: usize,
    mut visit: impl FnMut(Vec<T>, usize) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let file_error = |message: String| EngineError::DataFile {
        path: path.display().to_string(),
        message,
    };
    let file = fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
    let mut batch = Vec::with_capacity(chunk);
    let mut first_line = 1;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| file_error(format!("line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        if batch.is_empty() {
            first_line = i + 1;
        }
        batch.push(serde_json::from_str(&line).map_err(|e| file_error(format!("line {}: {e}", i + 1)))?);
        if batch.len() == chunk {
            visit(std::mem::take(&mut batch), first_line)?;
        }
    }
    if !batch.is_empty() {
        visit(batch, first_line)?;
    }
    Ok(())
}
