//! Stopping long work: a call's deadline, a client that went away, or the server
//! shutting down.
//!
//! Work that can take long (ranking a pool, scoring an alumnus against every open
//! opportunity, a re-score run, retrieval over many segments) checks its
//! [`Cancellation`] between units of work, so that it stops within one unit's
//! time instead of running to the end for nobody. Tokens form a tree: cancelling
//! the server's root (at shutdown) stops every call's token under it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::Instant,
};

/// Why work was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The caller gave up (the client went away or the call was cancelled).
    Cancelled,
    /// The call's deadline passed.
    DeadlineExceeded,
    /// The server is shutting down.
    ShuttingDown,
}

impl Stop {
    fn code(self) -> u8 {
        match self {
            Stop::Cancelled => 1,
            Stop::DeadlineExceeded => 2,
            Stop::ShuttingDown => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Stop::Cancelled),
            2 => Some(Stop::DeadlineExceeded),
            3 => Some(Stop::ShuttingDown),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Node {
    /// 0 while running, else a [`Stop`] code.
    stopped: AtomicU8,
    deadline: Option<Instant>,
    parent: Option<Cancellation>,
}

/// A shared flag (with an optional deadline) that long work checks. Cheap to
/// clone; every clone sees the same state.
#[derive(Debug, Clone)]
pub struct Cancellation(Arc<Node>);

impl Default for Cancellation {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancellation {
    /// A token that stops only when cancelled.
    pub fn new() -> Self {
        Self(Arc::new(Node {
            stopped: AtomicU8::new(0),
            deadline: None,
            parent: None,
        }))
    }

    /// A token under this one: it stops when this one does, when it is cancelled
    /// itself, or at `deadline`.
    pub fn child(&self, deadline: Option<Instant>) -> Self {
        Self(Arc::new(Node {
            stopped: AtomicU8::new(0),
            deadline,
            parent: Some(self.clone()),
        }))
    }

    /// Stops the work under this token (and under its children) for `reason`.
    /// The first reason given stays.
    pub fn stop(&self, reason: Stop) {
        let _ = self
            .0
            .stopped
            .compare_exchange(0, reason.code(), Ordering::AcqRel, Ordering::Acquire);
    }

    /// Stops the work as abandoned by its caller.
    pub fn cancel(&self) {
        self.stop(Stop::Cancelled);
    }

    /// Why the work must stop, or `None` while it may go on.
    pub fn reason(&self) -> Option<Stop> {
        let mut node = Some(self);
        while let Some(token) = node {
            if let Some(stop) = Stop::from_code(token.0.stopped.load(Ordering::Acquire)) {
                return Some(stop);
            }
            if token.0.deadline.is_some_and(|at| Instant::now() >= at) {
                return Some(Stop::DeadlineExceeded);
            }
            node = token.0.parent.as_ref();
        }
        None
    }

    /// Whether the work must stop.
    pub fn is_stopped(&self) -> bool {
        self.reason().is_some()
    }

    /// `Err` with the reason once the work must stop.
    pub fn check(&self) -> Result<(), Stop> {
        match self.reason() {
            Some(stop) => Err(stop),
            None => Ok(()),
        }
    }

    /// The earliest deadline of this token and its ancestors.
    pub fn deadline(&self) -> Option<Instant> {
        let mut earliest: Option<Instant> = None;
        let mut node = Some(self);
        while let Some(token) = node {
            if let Some(at) = token.0.deadline {
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
            node = token.0.parent.as_ref();
        }
        earliest
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn children_stop_with_their_parent_and_at_their_deadline() {
        let root = Cancellation::new();
        let call = root.child(None);
        let timed = root.child(Some(Instant::now() - Duration::from_millis(1)));
        assert_eq!(call.reason(), None);
        assert_eq!(timed.reason(), Some(Stop::DeadlineExceeded));
        root.stop(Stop::ShuttingDown);
        assert_eq!(call.reason(), Some(Stop::ShuttingDown));
        let other = Cancellation::new();
        other.cancel();
        other.stop(Stop::DeadlineExceeded);
        assert_eq!(other.reason(), Some(Stop::Cancelled), "the first reason stays");
        assert!(Cancellation::new().check().is_ok());
    }
}
