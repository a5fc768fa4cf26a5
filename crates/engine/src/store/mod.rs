//! The system of record: alumni, opportunities, stored shortlists, outcomes,
//! the shown-log and the tenant's settings in redb, written durably.
//!
//! Every alumni write also appends to a change log keyed by a monotonically
//! increasing sequence number, in the same transaction. The search index records
//! the last sequence it has applied in its commit payload, so after a crash the
//! index catches up by replaying the log, and the log is trimmed only once the
//! index has committed past it.
//!
//! Faults are classified rather than passed through (see `handle.rs`): a full
//! disk or an I/O error makes the store refuse writes with a clear error until
//! it can write again, and a damaged file makes it refuse writes for good, where
//! a panic inside the storage engine would otherwise reach the caller.

mod alumni;
mod backup;
mod codec;
mod error;
mod handle;
mod opportunities;
mod outcomes;
mod settings;
mod shortlists;

use std::path::Path;

use redb::{MultimapTableDefinition, TableDefinition};

pub use alumni::DeleteOutcome;
pub use backup::{StoreSummary, copy_consistent};
pub use error::StoreError;
pub use handle::StoreHealth;
pub use handle::{available_bytes, panic_is_guarded};
pub use opportunities::OpportunityFilter;
pub use outcomes::{OutcomeSummary, Recorded, ShownEvent, ShownRecord, UnknownSubject};
pub use settings::StoredProfile;
pub use shortlists::{ShortlistEntry, StoredShortlist};

use handle::Handle;

const ALUMNI: TableDefinition<&str, &[u8]> = TableDefinition::new("alumni");
const OPPORTUNITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("opportunities");
const ALUMNI_CHANGES: TableDefinition<u64, &str> = TableDefinition::new("alumni_changes");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SHORTLISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("shortlists");
/// alumnus id -> ids of the opportunities whose stored shortlist lists them, so a
/// deletion or consent withdrawal can prune those shortlists in the same transaction.
const SHORTLIST_MEMBERS: MultimapTableDefinition<&str, &str> = MultimapTableDefinition::new("shortlist_members");
/// Outcomes by `alumnus \x01 opportunity \x01 kind \x01 time` (see `outcomes.rs`).
const OUTCOMES: TableDefinition<&str, &[u8]> = TableDefinition::new("outcomes");
/// opportunity id -> alumni with outcomes about it.
const OUTCOMES_BY_OPPORTUNITY: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("outcomes_by_opportunity");
/// What pages showed, one record per `alumnus \x01 opportunity`.
const SHOWN: TableDefinition<&str, &[u8]> = TableDefinition::new("shown");
/// The tenant's contact policy and ranking profiles (see `settings.rs`).
const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
const ALUMNI_SEQ: &str = "alumni_seq";
/// Written by the health probe's test write (seconds since the epoch).
const PROBED_AT: &str = "probed_at";

/// Converts every specific redb error into [`StoreError`] through `redb::Error`.
trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> OrStore<T> for Result<T, E> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Database(e.into()))
    }
}

/// The redb-backed store. Cheap to share behind an `Arc`; redb serialises writers.
pub struct Store {
    handle: Handle,
}

impl Store {
    /// Opens or creates the store file, creating its tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Self {
            handle: Handle::open(path)?,
        };
        store.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            txn.open_table(ALUMNI).or_store()?;
            txn.open_table(OPPORTUNITIES).or_store()?;
            txn.open_table(ALUMNI_CHANGES).or_store()?;
            txn.open_table(META).or_store()?;
            txn.open_table(SHORTLISTS).or_store()?;
            txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
            txn.open_table(OUTCOMES).or_store()?;
            txn.open_multimap_table(OUTCOMES_BY_OPPORTUNITY).or_store()?;
            txn.open_table(SHOWN).or_store()?;
            txn.open_table(SETTINGS).or_store()?;
            txn.commit().or_store()
        })?;
        Ok(store)
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        self.handle.path()
    }

    /// Whether writes can be made durable now.
    pub fn health(&self) -> StoreHealth {
        self.handle.health()
    }

    /// After a failed write, tries to make the store writable again (see
    /// [`StoreHealth::Unwritable`]); returns the health after the attempt.
    pub fn probe(&self) -> StoreHealth {
        self.handle.probe(|db| {
            let txn = db.begin_write().or_store()?;
            {
                let mut meta = txn.open_table(META).or_store()?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                meta.insert(PROBED_AT, now).or_store()?;
            }
            txn.commit().or_store()
        })
    }

    /// Checks every page of the file and repairs what can be repaired; `Ok(false)`
    /// when a repair was needed. A failed check marks the store damaged.
    pub fn check_integrity(&self) -> Result<bool, StoreError> {
        self.handle.check_integrity()
    }
}
