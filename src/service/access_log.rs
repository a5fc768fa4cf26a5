//! The audit trail: one JSON line per call saying who called what, with what
//! outcome and how many people it returned. Never any profile content, ids of
//! alumni, or request text: the log must be safe to hand to an auditor.

use std::{
    fs::File,
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use serde::Serialize;

/// One call, as written to the access log.
#[derive(Debug, Serialize)]
pub struct AccessRecord<'a> {
    /// When the call finished (RFC 3339, UTC).
    pub time: String,
    /// The caller's tenant; absent when authentication failed.
    pub tenant: Option<&'a str>,
    /// The public id of the caller's key; absent when authentication failed.
    pub key_id: Option<&'a str>,
    /// The caller's role.
    pub role: Option<&'a str>,
    /// The RPC.
    pub method: &'a str,
    /// The gRPC status code name, e.g. `Ok`, `PermissionDenied`.
    pub status: String,
    /// Alumni (or opportunities, for MatchForAlumnus) returned to the caller.
    pub returned: u64,
    /// Wall time of the call, in milliseconds.
    pub elapsed_ms: f64,
    /// The client's address.
    pub peer: Option<SocketAddr>,
}

/// Where access records go: a file, appended to, or nowhere.
#[derive(Clone, Default)]
pub struct AccessLog {
    file: Option<Arc<Mutex<File>>>,
    path: Option<PathBuf>,
}

impl AccessLog {
    /// Appends to `path`, created readable by its owner only.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(Self {
            file: Some(Arc::new(Mutex::new(options.open(path)?))),
            path: Some(path.to_owned()),
        })
    }

    /// A log that drops every record.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// The file, if logging.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes one record as one line. One `write` per line on an append-mode file
    /// keeps lines whole even with concurrent writers; a failed write is reported
    /// in the server log and does not fail the call.
    pub fn record(&self, record: &AccessRecord<'_>) {
        let Some(file) = &self.file else { return };
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(error) => {
                tracing::error!(%error, "cannot encode an access record");
                return;
            }
        };
        line.push(b'\n');
        let written = match file.lock() {
            Ok(mut file) => file.write_all(&line),
            Err(_) => Err(std::io::Error::other("access log lock poisoned")),
        };
        if let Err(error) = written {
            tracing::error!(%error, "cannot write the access log");
        }
    }
}
