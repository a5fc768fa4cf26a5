//! The audit trail: one JSON line per call saying who called what, with what
//! outcome and how many people it returned. Never any profile content, ids of
//! alumni, or request text: the log must be safe to hand to an auditor.

use std::{
    io::Write,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
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
///
/// A record that cannot be written (a full disk) is counted, and said so in the
/// server log when the first one is lost; once writing works again, a gap record
/// (`{"time":…,"event":"gap","lost":N}`) says how many records are missing, so
/// an auditor reading the file sees the hole instead of silence.
#[derive(Clone, Default)]
pub struct AccessLog {
    file: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
    path: Option<PathBuf>,
    lost: Arc<AtomicU64>,
    /// Whether a failed write left part of a line behind.
    partial: Arc<AtomicBool>,
}

/// Writes all of `bytes`, or says how many were written before the error.
fn write_counted(file: &mut dyn Write, bytes: &[u8]) -> Result<(), (std::io::Error, usize)> {
    let mut written = 0;
    while written < bytes.len() {
        match file.write(&bytes[written..]) {
            Ok(0) => return Err((std::io::Error::from(std::io::ErrorKind::WriteZero), written)),
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err((e, written)),
        }
    }
    Ok(())
}

/// A gap in the access log: records lost while it could not be written.
#[derive(Debug, Serialize)]
struct GapRecord<'a> {
    time: &'a str,
    event: &'static str,
    lost: u64,
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
            file: Some(Arc::new(Mutex::new(Box::new(options.open(path)?)))),
            path: Some(path.to_owned()),
            lost: Arc::new(AtomicU64::new(0)),
            partial: Arc::new(AtomicBool::new(false)),
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

    /// Records lost since the last successful write (see [`AccessLog`]).
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Acquire)
    }

    /// Writes one record as one line. One `write` per line on an append-mode file
    /// keeps lines whole even with concurrent writers; a failed write is counted
    /// and reported (see [`AccessLog`]) and does not fail the call.
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
        let Ok(mut file) = file.lock() else {
            tracing::error!("access log lock poisoned");
            return;
        };
        let lost = self.lost.load(Ordering::Acquire);
        if lost > 0 {
            let gap = serde_json::to_vec(&GapRecord {
                time: &record.time,
                event: "gap",
                lost,
            })
            .map(|mut gap| {
                gap.push(b'\n');
                // A line cut short by the failure gets its end here, so the gap
                // record starts a line of its own.
                if self.partial.load(Ordering::Acquire) {
                    gap.insert(0, b'\n');
                }
                gap
            });
            if let Ok(gap) = gap
                && write_counted(&mut **file, &gap).is_ok()
            {
                self.lost.store(0, Ordering::Release);
                self.partial.store(false, Ordering::Release);
                tracing::warn!(
                    lost,
                    "the access log can be written again; records lost meanwhile are marked by a gap record"
                );
            }
        }
        if let Err((error, written)) = write_counted(&mut **file, &line) {
            if written > 0 {
                self.partial.store(true, Ordering::Release);
            }
            if self.lost.fetch_add(1, Ordering::AcqRel) == 0 {
                tracing::error!(%error, "cannot write the access log; records are lost until it can be written again");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that fails as a full disk does while `failing` is set: the first
    /// write of a line takes half of it, the next one reports no space left.
    struct Flaky {
        written: Arc<Mutex<Vec<u8>>>,
        failing: Arc<std::sync::atomic::AtomicBool>,
        took_half: bool,
    }

    impl Write for Flaky {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.failing.load(Ordering::Acquire) {
                if !std::mem::replace(&mut self.took_half, true) && bytes.len() > 1 {
                    let half = bytes.len() / 2;
                    self.written.lock().unwrap().extend_from_slice(&bytes[..half]);
                    return Ok(half);
                }
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.took_half = false;
            self.written.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn record(time: &str) -> AccessRecord<'_> {
        AccessRecord {
            time: time.to_owned(),
            tenant: Some("acme"),
            key_id: None,
            role: None,
            method: "Match",
            status: "Ok".into(),
            returned: 0,
            elapsed_ms: 1.0,
            peer: None,
        }
    }

    #[test]
    fn records_lost_while_the_disk_is_full_are_marked_by_a_gap_record_on_a_line_of_its_own() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sink = Flaky {
            written: written.clone(),
            failing: failing.clone(),
            took_half: false,
        };
        let log = AccessLog {
            file: Some(Arc::new(Mutex::new(Box::new(sink)))),
            path: None,
            lost: Arc::new(AtomicU64::new(0)),
            partial: Arc::new(AtomicBool::new(false)),
        };
        log.record(&record("t1"));
        failing.store(true, Ordering::Release);
        log.record(&record("t2"));
        log.record(&record("t3"));
        assert_eq!(log.lost(), 2);
        failing.store(false, Ordering::Release);
        log.record(&record("t4"));
        assert_eq!(log.lost(), 0);
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        assert_eq!(parsed.first().map(|r| r["time"].clone()), Some("t1".into()));
        let gap = parsed.iter().find(|r| r["event"] == "gap").expect("a gap record");
        assert_eq!(gap["lost"], 2);
        assert_eq!(parsed.last().map(|r| r["time"].clone()), Some("t4".into()));
    }
}
