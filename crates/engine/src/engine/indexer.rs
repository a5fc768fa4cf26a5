//! The background indexer: applies the store's change log to the search index.
//!
//! Writes are durable in the store before they are acknowledged; the indexer
//! follows on its own thread, committing at most once per commit interval, so a
//! bulk import costs one index commit per interval rather than one per request.
//!
//! The index only ever records a sequence it has durably indexed: the sequence
//! goes into the same commit as the documents, and is published (and the change
//! log trimmed) only after that commit succeeded. When staging or committing
//! fails (a full disk, say), the writer's uncommitted work is rolled back, the
//! applied sequence stays where it was, and the update is retried every
//! [`INDEX_RETRY_INTERVAL`] until it goes through; the change log still holds
//! everything since.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

use tantivy::IndexWriter;
use tokio::sync::watch;

use super::{EngineConfig, EngineError};
use crate::{
    index::{AlumniIndex, PurgeReport},
    limits::INDEX_RETRY_INTERVAL,
    store::Store,
    taxonomy::Taxonomy,
};

/// Most changes applied in one index commit.
const MAX_CHANGES_PER_COMMIT: usize = 50_000;

pub(super) enum Signal {
    /// The store's change log grew.
    Changed,
    /// Apply what is pending, then rewrite the segments without deleted documents
    /// and answer on the channel.
    Purge(mpsc::Sender<Result<PurgeReport, EngineError>>),
    /// Apply what is left and stop.
    Shutdown,
}

pub(super) struct Indexer {
    store: Arc<Store>,
    index: Arc<AlumniIndex>,
    taxonomy: Arc<Taxonomy>,
    /// `None` after a failure the writer could not roll back from; a new one is
    /// opened before the next attempt.
    writer: Option<IndexWriter>,
    applied: watch::Sender<u64>,
    commit_interval: Duration,
    threads: usize,
    memory_bytes: usize,
    /// Set while the last update failed; read by health checks.
    failing: Arc<AtomicBool>,
}

impl Indexer {
    pub(super) fn new(
        store: Arc<Store>,
        index: Arc<AlumniIndex>,
        taxonomy: Arc<Taxonomy>,
        writer: IndexWriter,
        applied: watch::Sender<u64>,
        config: &EngineConfig,
    ) -> Self {
        Self {
            store,
            index,
            taxonomy,
            writer: Some(writer),
            applied,
            commit_interval: config.commit_interval,
            threads: config.indexer_threads,
            memory_bytes: config.indexer_memory_bytes,
            failing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The flag that says whether the last update failed.
    pub(super) fn failing_flag(&self) -> Arc<AtomicBool> {
        self.failing.clone()
    }

    /// Starts from the sequence the index's last commit recorded.
    pub(super) fn resume_from(&mut self, seq: u64) {
        self.applied.send_replace(seq);
    }

    /// The writer, opened anew if the last failure left none.
    fn writer(&mut self) -> Result<&mut IndexWriter, EngineError> {
        if self.writer.is_none() {
            self.writer = Some(self.index.writer(self.threads, self.memory_bytes)?);
            tracing::info!("opened a new index writer");
        }
        self.writer
            .as_mut()
            .ok_or_else(|| EngineError::Internal("no index writer".into()))
    }

    /// Rebuilds the index from every stored alumnus, in one commit.
    pub(super) fn rebuild(&mut self) -> Result<(), EngineError> {
        tracing::info!(
            alumni = self.store.count_alumni()?,
            "rebuilding the search index from the store"
        );
        let index = self.index.clone();
        index.clear(self.writer()?)?;
        let mut done = 0usize;
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| EngineError::Internal("no index writer".into()))?;
        let (index, taxonomy) = (&self.index, &self.taxonomy);
        let seq = self.store.scan_alumni(10_000, |batch| -> Result<(), EngineError> {
            for alumnus in &batch {
                index.stage(writer, taxonomy, &alumnus.id, Some(alumnus))?;
            }
            done += batch.len();
            tracing::info!(done, "rebuilding the search index");
            Ok(())
        })?;
        let index = self.index.clone();
        index.commit(self.writer()?, seq)?;
        self.applied.send_replace(seq);
        Ok(())
    }

    /// Applies every logged change after the applied sequence; returns whether
    /// anything changed. On failure nothing is published: see the module's doc.
    pub(super) fn catch_up(&mut self) -> Result<bool, EngineError> {
        let mut progressed = false;
        loop {
            let after = *self.applied.borrow();
            let changes = self.store.changes_after(after, MAX_CHANGES_PER_COMMIT)?;
            let Some(&(last_seq, _)) = changes.last() else {
                return Ok(progressed);
            };
            let mut ids: Vec<String> = changes.into_iter().map(|(_, id)| id).collect();
            ids.sort();
            ids.dedup();
            if let Err(error) = self.apply(&ids, last_seq) {
                self.roll_back();
                return Err(error);
            }
            self.applied.send_replace(last_seq);
            if let Err(error) = self.store.trim_changes(last_seq) {
                // Harmless: the entries are replayed idempotently next time.
                tracing::warn!(%error, "could not trim the change log");
            }
            tracing::debug!(applied = ids.len(), seq = last_seq, "index caught up");
            progressed = true;
        }
    }

    /// Stages the current records of `ids` and commits them with `seq`.
    fn apply(&mut self, ids: &[String], seq: u64) -> Result<(), EngineError> {
        // The store may already hold newer versions than the logged change; that
        // is fine: those are applied again when their own log entry comes up.
        let current = self.store.get_alumni(ids)?;
        let index = self.index.clone();
        let taxonomy = self.taxonomy.clone();
        let writer = self.writer()?;
        for (id, alumnus) in ids.iter().zip(&current) {
            index.stage(writer, &taxonomy, id, alumnus.as_ref())?;
        }
        index.commit(writer, seq)?;
        Ok(())
    }

    /// Drops what was staged since the last commit, so the next attempt starts
    /// from the last durable state. A writer that cannot roll back (tantivy then
    /// has given up its lock) is dropped, and a new one is opened before the next
    /// attempt.
    fn roll_back(&mut self) {
        let Some(mut writer) = self.writer.take() else { return };
        let rolled_back = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| writer.rollback()));
        match rolled_back {
            Ok(Ok(_)) => self.writer = Some(writer),
            Ok(Err(error)) => tracing::warn!(%error, "the index writer could not roll back; a new one will be opened"),
            Err(_) => tracing::warn!("the index writer panicked while rolling back; a new one will be opened"),
        }
    }

    /// Applies pending changes, then purges deleted documents from the segments.
    fn purge(&mut self) -> Result<PurgeReport, EngineError> {
        self.catch_up()?;
        let index = self.index.clone();
        Ok(index.purge_deleted(self.writer()?)?)
    }

    /// One update, with its failure recorded for health checks and logged once
    /// per outage rather than once per retry.
    fn update(&mut self) {
        match self.catch_up() {
            Ok(_) => {
                if self.failing.swap(false, Ordering::AcqRel) {
                    tracing::info!(seq = *self.applied.borrow(), "index updates succeed again");
                }
            }
            Err(error) => {
                if !self.failing.swap(true, Ordering::AcqRel) {
                    tracing::error!(%error, "index update failed; the store keeps every write, retrying every second");
                } else {
                    tracing::debug!(%error, "index update failed again");
                }
            }
        }
    }

    /// Runs until shutdown, applying changes at most once per commit interval,
    /// and retrying a failed update every [`INDEX_RETRY_INTERVAL`].
    pub(super) fn spawn(mut self, signals: mpsc::Receiver<Signal>) -> thread::JoinHandle<()> {
        thread::Builder::new()
            .name("alumni-indexer".into())
            .spawn(move || {
                let mut last_commit = Instant::now() - self.commit_interval;
                loop {
                    let signal = if self.failing.load(Ordering::Acquire) {
                        match signals.recv_timeout(INDEX_RETRY_INTERVAL) {
                            Ok(signal) => Some(signal),
                            Err(mpsc::RecvTimeoutError::Timeout) => None,
                            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Signal::Shutdown),
                        }
                    } else {
                        Some(signals.recv().unwrap_or(Signal::Shutdown))
                    };
                    let shutdown = match signal {
                        Some(Signal::Changed) | None => false,
                        Some(Signal::Purge(reply)) => {
                            let _ = reply.send(self.purge());
                            continue;
                        }
                        Some(Signal::Shutdown) => true,
                    };
                    if !shutdown {
                        // Coalesce bursts: wait out the rest of the interval, then drain.
                        let wait = self.commit_interval.saturating_sub(last_commit.elapsed());
                        if !wait.is_zero() {
                            thread::sleep(wait);
                        }
                    }
                    let mut stop = shutdown;
                    let mut purges = Vec::new();
                    while let Ok(signal) = signals.try_recv() {
                        match signal {
                            Signal::Changed => {}
                            Signal::Purge(reply) => purges.push(reply),
                            Signal::Shutdown => stop = true,
                        }
                    }
                    for reply in purges {
                        let _ = reply.send(self.purge());
                    }
                    self.update();
                    last_commit = Instant::now();
                    if stop {
                        break;
                    }
                }
                if let Some(writer) = self.writer.take()
                    && let Err(error) = writer.wait_merging_threads()
                {
                    tracing::warn!(%error, "index merges did not finish cleanly");
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the indexer thread: {e}"))
    }
}
