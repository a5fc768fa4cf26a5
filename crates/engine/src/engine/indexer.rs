//! The background indexer: applies the store's change log to the search index.
//!
//! Writes are durable in the store before they are acknowledged; the indexer
//! follows on its own thread, committing at most once per commit interval, so a
//! bulk import costs one index commit per interval rather than one per request.

use std::{
    sync::{Arc, mpsc},
    thread,
    time::{Duration, Instant},
};

use tantivy::IndexWriter;
use tokio::sync::watch;

use super::EngineError;
use crate::{
    index::{AlumniIndex, PurgeReport},
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
    pub(super) store: Arc<Store>,
    pub(super) index: Arc<AlumniIndex>,
    pub(super) taxonomy: Arc<Taxonomy>,
    pub(super) writer: IndexWriter,
    pub(super) applied: watch::Sender<u64>,
    pub(super) commit_interval: Duration,
}

impl Indexer {
    /// Applies every logged change after the applied sequence; returns whether anything changed.
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
            // The store may already hold newer versions than the logged change; that
            // is fine: those are applied again when their own log entry comes up.
            let current = self.store.get_alumni(&ids)?;
            for (id, alumnus) in ids.iter().zip(&current) {
                self.index.stage(&self.writer, &self.taxonomy, id, alumnus.as_ref())?;
            }
            self.index.commit(&mut self.writer, last_seq)?;
            self.applied.send_replace(last_seq);
            if let Err(error) = self.store.trim_changes(last_seq) {
                // Harmless: the entries are replayed idempotently next time.
                tracing::warn!(%error, "could not trim the change log");
            }
            tracing::debug!(applied = ids.len(), seq = last_seq, "index caught up");
            progressed = true;
        }
    }

    /// Applies pending changes, then purges deleted documents from the segments.
    fn purge(&mut self) -> Result<PurgeReport, EngineError> {
        self.catch_up()?;
        Ok(self.index.purge_deleted(&mut self.writer)?)
    }

    /// Runs until shutdown, applying changes at most once per commit interval.
    pub(super) fn spawn(mut self, signals: mpsc::Receiver<Signal>) -> thread::JoinHandle<()> {
        thread::Builder::new()
            .name("alumni-indexer".into())
            .spawn(move || {
                let mut last_commit = Instant::now() - self.commit_interval;
                loop {
                    let shutdown = match signals.recv() {
                        Ok(Signal::Changed) => false,
                        Ok(Signal::Purge(reply)) => {
                            let _ = reply.send(self.purge());
                            continue;
                        }
                        Ok(Signal::Shutdown) | Err(_) => true,
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
                    if let Err(error) = self.catch_up() {
                        tracing::error!(%error, "index update failed; retrying on the next change");
                    }
                    last_commit = Instant::now();
                    if stop {
                        break;
                    }
                }
                if let Err(error) = self.writer.wait_merging_threads() {
                    tracing::warn!(%error, "index merges did not finish cleanly");
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the indexer thread: {e}"))
    }
}
