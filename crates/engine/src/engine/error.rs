//! Errors of the engine, as the service maps them to status codes.

use crate::{cancel::Stop, domain::Violations, index::IndexError, store::StoreError, taxonomy::TaxonomyError};

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request breaks input rules; nothing was written.
    #[error("invalid request: {} violation(s)", .0.items().len())]
    Invalid(Violations),
    /// A referenced record does not exist.
    #[error("{entity} {id:?} not found")]
    NotFound {
        /// "alumnus", "opportunity", "shortlist", ...
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The system of record failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index failed.
    #[error(transparent)]
    Index(IndexError),
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
    /// A tenant's files disagree in a way that means data was lost or replaced
    /// (an empty or missing store beside an index that holds alumni, a store older
    /// than its index). The engine refuses to open rather than silently starting
    /// over.
    #[error("{path}: {problem}. {remedy}")]
    Inconsistent {
        /// The file that is missing, empty or out of date.
        path: String,
        /// What was found.
        problem: String,
        /// What the operator can do.
        remedy: String,
    },
    /// The work was stopped before it finished (deadline, cancellation, shutdown).
    #[error("stopped: {0:?}")]
    Stopped(Stop),
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

impl From<Stop> for EngineError {
    fn from(stop: Stop) -> Self {
        Self::Stopped(stop)
    }
}

impl From<IndexError> for EngineError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Stopped(stop) => Self::Stopped(stop),
            other => Self::Index(other),
        }
    }
}
