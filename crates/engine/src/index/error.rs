//! Errors of the search index.

use crate::cancel::Stop;

/// Errors of the search index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// File-system error around the index directory.
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    /// The search was stopped (deadline, cancellation, shutdown).
    #[error("search stopped: {0:?}")]
    Stopped(Stop),
}
