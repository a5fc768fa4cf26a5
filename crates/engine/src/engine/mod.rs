//! The engine: store, index and ranking wired together behind one synchronous API.
//!
//! This is alumni-match without gRPC: the service layer calls it from blocking
//! tasks, and tests and tools can call it directly. One file per job:
//! - `open.rs`: opening and recovery (the checks that refuse to start over lost
//!   data, the index brought up to date with the store), health, shutdown;
//! - `writes.rs`: the write path (validate, write durably, signal the indexer)
//!   and single-record reads;
//! - `matching.rs`: ranking alumni for an opportunity, and opportunities for an
//!   alumnus;
//! - `mentors.rs`: optimal mentor assignment;
//! - `shortlists.rs`: stored shortlists as analysts read them;
//! - `rescore.rs`: batch re-scoring runs and background jobs;
//! - `stats.rs`: sizes, lag and re-score progress for operators' metrics;
//! - `outcomes.rs`: recording and listing outcomes, the tenant's referral mean;
//! - `etiquette.rs`: the contact policy applied to every ranking handed out;
//! - `shown.rs`: the background writer of what pages showed;
//! - `funnel.rs`: shown → contacted → replied → interviewed → hired;
//! - `profiles.rs`, `tuning.rs`: the tenant's versioned ranking profiles and
//!   fitting them to its outcomes;
//! - `indexer.rs`: the background thread that applies the store's change log to
//!   the index;
//! - `tenants.rs`: one engine per tenant.

mod backup;
mod config;
mod error;
mod etiquette;
mod funnel;
mod indexer;
mod jsonl;
mod matching;
mod mentors;
mod open;
mod outcomes;
mod paging;
mod profiles;
mod queries;
mod rescore;
mod shortlists;
mod shown;
mod stats;
mod tenant_id;
mod tenants;
mod tuning;
mod writes;

use std::sync::{Arc, Mutex, RwLock, atomic::AtomicBool, mpsc};

use tokio::sync::watch;

pub use config::EngineConfig;
pub use error::EngineError;
pub use funnel::{Funnel, FunnelCounts, FunnelQuery};
pub use jsonl::for_each_jsonl_chunk;
pub use open::{EngineHealth, INDEX_DIR, STORE_FILE, indexed_documents};
pub use outcomes::{OutcomeSubject, RecordReport};
pub use paging::{Cursor, Listing, PageToken};
pub use profiles::ActiveProfiles;
pub use queries::{
    AlumnusMatchQuery, MatchOptions, MatchPage, MatchQuery, MatchTarget, MentorAssignment, MentorAssignmentPlan,
    MentorQuery, OpportunityFill, OpportunityMatch, OpportunityPage, OpportunityQuery, RankedCandidate, ShortlistPage,
    ShortlistQuery,
};
pub use rescore::{JobState, RescoreProgress, RescoreRequest};
pub use shortlists::{ShortlistView, from_entry};
pub use stats::EngineStats;
pub use tenant_id::{InvalidTenant, TenantId};
pub use tenants::{Tenants, migrate_single_tenant_layout};
pub use tuning::{DEFAULT_HOLDOUT, KindTuning, MIN_IMPROVEMENT, TUNE_K, TuneOptions, TuneReport};

pub use crate::cancel::{Cancellation, Stop};
pub use crate::limits::{
    DEFAULT_LIST_PAGE_SIZE, DEFAULT_MATCH_LIMIT, DEFAULT_SHORTLIST_SIZE, MAX_ASSIGNMENT_OPPORTUNITIES,
    MAX_ASSIGNMENTS_PER_ALUMNUS, MAX_LIST_PAGE_SIZE, MAX_MATCH_LIMIT,
};

use crate::{domain::ContactPolicy, index::AlumniIndex, store::Store, taxonomy::Taxonomy};

/// The matching engine of one tenant. Share it behind an `Arc`.
pub struct Engine {
    /// The tenant's directory.
    data_dir: std::path::PathBuf,
    store: Arc<Store>,
    index: Arc<AlumniIndex>,
    taxonomy: Arc<Taxonomy>,
    /// The ranking profiles in force (swapped whole when `tune` installs a version).
    profiles: RwLock<Arc<ActiveProfiles>>,
    /// The contact policy in force.
    policy: RwLock<ContactPolicy>,
    /// The tenant's referral hire rate, until referral outcomes change.
    referral_rate: Mutex<Option<f64>>,
    /// What pages showed, written in the background.
    shown: shown::ShownLog,
    retrieval_pool: usize,
    signals: Mutex<Option<mpsc::Sender<indexer::Signal>>>,
    applied: watch::Receiver<u64>,
    /// Set by the indexer while its last update failed.
    index_failing: Arc<AtomicBool>,
    indexer: Mutex<Option<std::thread::JoinHandle<()>>>,
    in_flight: rescore::InFlight,
    jobs: rescore::Jobs,
    rescore_meter: stats::RescoreMeter,
    outcome_meter: stats::OutcomeMeter,
}

impl Engine {
    /// The store (for consistent backups taken while serving).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
