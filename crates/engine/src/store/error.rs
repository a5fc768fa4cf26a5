//! Errors of the system of record, classified so that callers can tell a full
//! disk (retry once space is freed) from a damaged file (stop and check).

use std::io::ErrorKind;

/// Errors of the system of record.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The device holding the store has no space left: the write was not made
    /// durable (and not acknowledged). Writes resume once space is freed.
    #[error("no space left on the device holding {path}; the write was not made durable")]
    StorageFull {
        /// The store file.
        path: String,
    },
    /// A write failed on I/O and the store is being reopened; writes resume once
    /// the file can be written again.
    #[error("the store {path} cannot make writes durable until it is reopened after an I/O error ({cause})")]
    Unavailable {
        /// The store file.
        path: String,
        /// The I/O error that made the store unavailable.
        cause: String,
    },
    /// The store file is damaged (a check failed or the storage engine hit an
    /// impossible state). Writes are refused; reads may fail.
    #[error(
        "the store {path} is damaged ({detail}); writes are refused. Stop the server, run \
         `alumni-match check`, and restore the tenant from a backup"
    )]
    Damaged {
        /// The store file.
        path: String,
        /// What was found.
        detail: String,
    },
    /// Another process (a running server) holds the store file open.
    #[error("the store {path} is in use by another process (a running server?)")]
    InUse {
        /// The store file.
        path: String,
    },
    /// redb failed for another reason.
    #[error("storage: {0}")]
    Database(redb::Error),
    /// A stored record could not be decoded. The key is not named: ids of alumni
    /// are personal data and stay out of messages and logs.
    #[error("a stored {table} record is unreadable: {source}")]
    Corrupt {
        /// The table it is in.
        table: &'static str,
        /// The decoding error.
        source: serde_json::Error,
    },
    /// A record could not be encoded (should not happen for valid domain values).
    #[error("encoding a record: {0}")]
    Encode(#[from] serde_json::Error),
}

impl StoreError {
    /// Whether a write failed because the device is full.
    pub fn is_storage_full(&self) -> bool {
        matches!(self, StoreError::StorageFull { .. })
    }

    /// Whether the store cannot take writes now but may later without a restart
    /// (a full disk, or an I/O error the store recovers from by reopening).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::StorageFull { .. } | StoreError::Unavailable { .. })
    }
}

/// What a redb error means for the store's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No space left: the handle must be reopened before the next write.
    Full,
    /// Another I/O error, or redb's "previous I/O error" state: reopen.
    Io,
    /// The file is corrupted.
    Corrupted,
    /// Anything else (a bug or a usage error); the handle stays usable.
    Other,
}

pub(super) fn classify(error: &redb::Error) -> Failure {
    match error {
        redb::Error::Io(io) if is_full(io.kind()) => Failure::Full,
        redb::Error::Io(_) | redb::Error::PreviousIo => Failure::Io,
        redb::Error::Corrupted(_) => Failure::Corrupted,
        _ => Failure::Other,
    }
}

fn is_full(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
}
