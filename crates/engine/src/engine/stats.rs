//! What an engine reports about its size and work, for operators' metrics: cheap
//! to read (no scan of the store or the index), so a scrape every few seconds
//! costs nothing a caller would notice.

use std::{
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

use super::{Engine, INDEX_DIR, STORE_FILE};
use crate::store::StoreHealth;

/// A tenant's engine at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineStats {
    /// Alumni visible to searches.
    pub documents: u64,
    /// Segments of the index.
    pub segments: u64,
    /// Store change-log sequence minus the sequence the index reflects.
    pub index_lag: u64,
    /// Whether writes can be made durable now.
    pub store_healthy: bool,
    /// Whether the indexer's last update failed.
    pub index_failing: bool,
    /// The store file's size on disk, in bytes.
    pub store_bytes: u64,
    /// The index directory's size on disk, in bytes.
    pub index_bytes: u64,
    /// Re-score runs going on now (streamed and background).
    pub rescore_runs_active: u64,
    /// Opportunities taken up by re-score runs since start-up.
    pub rescore_opportunities_planned: u64,
    /// Of those, the ones ranked and stored (or skipped because another run had them).
    pub rescore_opportunities_completed: u64,
    /// The ranking-profile version in force (0 = the server's base profiles).
    pub profile_version: u32,
    /// Outcomes recorded since start-up (duplicates and refusals not counted).
    pub outcomes_recorded: u64,
    /// CONTACTED outcomes the contact policy refused since start-up.
    pub contacts_refused: u64,
}

/// Counters of recorded outcomes, kept by the engine for [`EngineStats`].
#[derive(Debug, Default)]
pub(super) struct OutcomeMeter {
    pub(super) recorded: AtomicU64,
    pub(super) refused: AtomicU64,
}

/// Counters of re-score work, kept by the engine for [`EngineStats`].
#[derive(Debug, Default)]
pub(super) struct RescoreMeter {
    active: AtomicU64,
    planned: AtomicU64,
    completed: AtomicU64,
}

/// One run, counted active until dropped, however the run ends.
pub(super) struct MeteredRun<'a> {
    meter: &'a RescoreMeter,
}

impl RescoreMeter {
    /// A run of `planned` opportunities starts.
    pub(super) fn start(&self, planned: u64) -> MeteredRun<'_> {
        self.active.fetch_add(1, Ordering::Relaxed);
        self.planned.fetch_add(planned, Ordering::Relaxed);
        MeteredRun { meter: self }
    }
}

impl MeteredRun<'_> {
    /// `count` more opportunities are done.
    pub(super) fn completed(&self, count: u64) {
        self.meter.completed.fetch_add(count, Ordering::Relaxed);
    }
}

impl Drop for MeteredRun<'_> {
    fn drop(&mut self) {
        self.meter.active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Engine {
    /// Sizes, lag and re-score progress now (see [`EngineStats`]).
    pub fn stats(&self) -> EngineStats {
        let snapshot = self.index.snapshot();
        let health = self.health().ok();
        EngineStats {
            documents: snapshot.num_docs(),
            segments: snapshot.segments() as u64,
            index_lag: health.map_or(0, |h| h.index_lag),
            store_healthy: health.is_some_and(|h| h.store == StoreHealth::Healthy),
            index_failing: health.is_some_and(|h| h.index_failing),
            store_bytes: std::fs::metadata(self.data_dir.join(STORE_FILE)).map_or(0, |m| m.len()),
            index_bytes: directory_bytes(&self.data_dir.join(INDEX_DIR)),
            rescore_runs_active: self.rescore_meter.active.load(Ordering::Relaxed),
            rescore_opportunities_planned: self.rescore_meter.planned.load(Ordering::Relaxed),
            rescore_opportunities_completed: self.rescore_meter.completed.load(Ordering::Relaxed),
            profile_version: self.active_profiles().version,
            outcomes_recorded: self.outcome_meter.recorded.load(Ordering::Relaxed),
            contacts_refused: self.outcome_meter.refused.load(Ordering::Relaxed),
        }
    }
}

/// Bytes of the files directly in `dir` (a tantivy index keeps no subdirectories);
/// 0 when it cannot be read. A file removed while we look is skipped.
fn directory_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|metadata| metadata.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_active_until_it_ends_however_it_ends() {
        let meter = RescoreMeter::default();
        {
            let run = meter.start(10);
            run.completed(4);
            assert_eq!(meter.active.load(Ordering::Relaxed), 1);
            // The run ends early here (an error, a cancellation): dropping it ends it.
        }
        assert_eq!(meter.active.load(Ordering::Relaxed), 0);
        assert_eq!(meter.planned.load(Ordering::Relaxed), 10);
        assert_eq!(meter.completed.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn directory_bytes_adds_the_files_and_is_zero_for_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
        std::fs::write(dir.path().join("b"), [0u8; 23]).unwrap();
        assert_eq!(directory_bytes(dir.path()), 123);
        assert_eq!(directory_bytes(&dir.path().join("missing")), 0);
    }
}
