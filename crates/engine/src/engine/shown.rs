//! The shown-log writer: what each Match page and stored-shortlist page showed,
//! written to the store in batches by a background thread, so a Match never
//! waits for a durable write of its own.
//!
//! At most [`FLUSH_AFTER`] pass between a page and its record; a crash may
//! lose that much of the log (it is analytics for tuning and the funnel, not a
//! record anyone relies on). An erasure is never undone by a late write: the
//! store skips alumni that no longer exist in the write's own transaction.

use std::{
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
    time::Duration,
};

use super::Engine;
use crate::{
    domain::Timestamp,
    store::{ShownEvent, Store},
};

/// Longest wait between a page and its shown-log write.
const FLUSH_AFTER: Duration = Duration::from_millis(250);
/// Events written in one transaction at most.
const MAX_BATCH: usize = 10_000;
/// Longest a flush waits for the writer.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

enum Message {
    Shown(Vec<ShownEvent>),
    Flush(mpsc::SyncSender<()>),
}

/// The background writer of the shown-log.
pub(super) struct ShownLog {
    sender: Mutex<Option<mpsc::Sender<Message>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ShownLog {
    /// Starts the writer over `store`.
    pub(super) fn start(store: Arc<Store>) -> Self {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("shown-log".into())
            .spawn(move || run(&store, &receiver))
            .map_err(|error| tracing::error!(%error, "cannot start the shown-log writer; pages go unlogged"))
            .ok();
        Self {
            sender: Mutex::new(thread.as_ref().map(|_| sender)),
            thread: Mutex::new(thread),
        }
    }

    /// Queues what a page showed.
    pub(super) fn log(&self, events: Vec<ShownEvent>) {
        if events.is_empty() {
            return;
        }
        if let Ok(sender) = self.sender.lock()
            && let Some(sender) = sender.as_ref()
        {
            let _ = sender.send(Message::Shown(events));
        }
    }

    /// Waits until everything queued so far is written (for tuning, the funnel
    /// and tests).
    pub(super) fn flush(&self) {
        let (ack, done) = mpsc::sync_channel(1);
        let sent = match self.sender.lock() {
            Ok(sender) => sender.as_ref().is_some_and(|s| s.send(Message::Flush(ack)).is_ok()),
            Err(_) => false,
        };
        if sent && done.recv_timeout(FLUSH_TIMEOUT).is_err() {
            tracing::warn!("the shown-log writer did not flush in time");
        }
    }

    /// Writes what is queued and stops the writer. Idempotent.
    pub(super) fn stop(&self) {
        if let Ok(mut sender) = self.sender.lock() {
            sender.take();
        }
        if let Ok(mut thread) = self.thread.lock()
            && let Some(thread) = thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the shown-log writer panicked");
        }
    }
}

fn write(store: &Store, pending: &mut Vec<ShownEvent>) {
    if pending.is_empty() {
        return;
    }
    for batch in pending.chunks(MAX_BATCH) {
        if let Err(error) = store.record_shown(batch) {
            // Ids are personal data: only the count is logged.
            tracing::warn!(%error, events = batch.len(), "shown-log write failed; these events are dropped");
        }
    }
    pending.clear();
}

fn run(store: &Store, receiver: &mpsc::Receiver<Message>) {
    let mut pending: Vec<ShownEvent> = Vec::new();
    loop {
        let message = if pending.is_empty() {
            receiver.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            receiver.recv_timeout(FLUSH_AFTER)
        };
        match message {
            Ok(Message::Shown(events)) => {
                pending.extend(events);
                if pending.len() >= MAX_BATCH {
                    write(store, &mut pending);
                }
            }
            Ok(Message::Flush(ack)) => {
                write(store, &mut pending);
                let _ = ack.send(());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => write(store, &mut pending),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                write(store, &mut pending);
                return;
            }
        }
    }
}

impl Engine {
    /// Queues what a page of `opportunity_id` showed: `(alumnus id, rank)`.
    pub(super) fn log_shown<'a>(
        &self,
        opportunity_id: &str,
        shown: impl Iterator<Item = (&'a str, u32)>,
        profile_version: u32,
    ) {
        let at = Timestamp::now();
        self.shown.log(
            shown
                .map(|(alumnus_id, rank)| ShownEvent {
                    alumnus_id: alumnus_id.to_owned(),
                    opportunity_id: opportunity_id.to_owned(),
                    rank,
                    at,
                    profile_version,
                })
                .collect(),
        );
    }

    /// Waits until every page shown so far is in the shown-log.
    pub fn flush_shown_log(&self) {
        self.shown.flush();
    }
}
