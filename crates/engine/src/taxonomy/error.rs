//! Why a table of the taxonomy could not be loaded.

use std::io;

/// Why a taxonomy table (skill aliases, occupations) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    /// The file could not be read.
    #[error("reading the taxonomy table {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// A line does not have the table's columns.
    #[error("taxonomy table {path}, line {line}: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
