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
/// an auditor reading the file sees the hole instead of silence. Part of a line
/// written before the failure is cut off again, so every line stays whole JSON.
///
/// Rotation: move the file away and call [`AccessLog::reopen`] (the server does on
/// SIGHUP, like most daemons under logrotate); records go to a new file at the
/// same path from then on.
#[derive(Clone, Default)]
pub struct AccessLog {
    file: Option<Arc<Mutex<Box<dyn LogSink>>>>,
    path: Option<PathBuf>,
    lost: Arc<AtomicU64>,
    /// Whether a failed write left part of a line behind that could not be cut off.
    partial: Arc<AtomicBool>,
}

/// An append-only destination for log lines that can take back the tail of a line
/// cut short by a failed write.
trait LogSink: Write + Send {
    /// Removes the last `bytes` bytes written.
    fn discard_tail(&mut self, bytes: u64) -> std::io::Result<()>;
}

impl LogSink for std::fs::File {
    fn discard_tail(&mut self, bytes: u64) -> std::io::Result<()> {
        // Only this process appends (under the log's lock), so the last bytes are
        // ours. Shrinking a file needs no free space.
        let length = self.metadata()?.len();
        self.set_len(length.saturating_sub(bytes))
    }
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

/// Opens `path` for appending, created readable by its owner only.
fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
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
        Ok(Self {
            file: Some(Arc::new(Mutex::new(Box::new(open_append(path)?)))),
            path: Some(path.to_owned()),
            lost: Arc::new(AtomicU64::new(0)),
            partial: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Closes the file and opens `path` again (creating it), for rotation: records
    /// written after this go to the file now at the path. A disabled log stays
    /// disabled. When the path cannot be opened, records keep going to the old file.
    pub fn reopen(&self) -> std::io::Result<()> {
        let (Some(file), Some(path)) = (&self.file, &self.path) else {
            return Ok(());
        };
        let reopened = open_append(path)?;
        let mut file = file
            .lock()
            .map_err(|_| std::io::Error::other("access log lock poisoned"))?;
        *file = Box::new(reopened);
        // A line left unfinished in the old file does not continue in the new one.
        self.partial.store(false, Ordering::Release);
        Ok(())
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
                // A line cut short by the failure that could not be taken back
                // gets its end here, so the gap record starts a line of its own.
                if self.partial.load(Ordering::Acquire) {
                    gap.insert(0, b'\n');
                }
                gap
            });
            if let Ok(gap) = gap
                && self.write_line(&mut **file, &gap).is_ok()
            {
                self.lost.store(0, Ordering::Release);
                self.partial.store(false, Ordering::Release);
                tracing::warn!(
                    lost,
                    "the access log can be written again; records lost meanwhile are marked by a gap record"
                );
            } else {
                // Without its gap record first, this line would hide the hole.
                self.lost.fetch_add(1, Ordering::AcqRel);
                return;
            }
        }
        if let Err(error) = self.write_line(&mut **file, &line)
            && self.lost.fetch_add(1, Ordering::AcqRel) == 0
        {
            tracing::error!(%error, "cannot write the access log; records are lost until it can be written again");
        }
    }

    /// Writes one whole line, or on failure takes back what of it was written
    /// (remembering when that is impossible, so the next line starts on a line
    /// of its own).
    fn write_line(&self, file: &mut dyn LogSink, line: &[u8]) -> std::io::Result<()> {
        let Err((error, written)) = write_counted(file, line) else {
            return Ok(());
        };
        if written > 0 && file.discard_tail(written as u64).is_err() {
            self.partial.store(true, Ordering::Release);
        }
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that fails as a full disk does while `failing` is set: the first
    /// write of a line takes half of it, the next one reports no space left.
    /// With `can_discard` unset, it cannot take back what it wrote.
    struct Flaky {
        written: Arc<Mutex<Vec<u8>>>,
        failing: Arc<AtomicBool>,
        took_half: bool,
        can_discard: bool,
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

    impl LogSink for Flaky {
        fn discard_tail(&mut self, bytes: u64) -> std::io::Result<()> {
            if !self.can_discard {
                return Err(std::io::Error::other("cannot truncate"));
            }
            let mut written = self.written.lock().unwrap();
            let keep = written.len().saturating_sub(bytes as usize);
            written.truncate(keep);
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

    /// Writes t1, loses t2 and t3 to a full disk, writes t4; returns the lines.
    fn through_a_full_disk(can_discard: bool) -> Vec<String> {
        let written = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let sink = Flaky {
            written: written.clone(),
            failing: failing.clone(),
            took_half: false,
            can_discard,
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
        text.lines().map(str::to_owned).collect()
    }

    fn parsed(lines: &[String]) -> Vec<serde_json::Value> {
        lines
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    #[test]
    fn a_line_cut_short_by_a_full_disk_is_taken_back_and_the_gap_is_recorded() {
        let lines = through_a_full_disk(true);
        let records = parsed(&lines);
        assert_eq!(records.len(), lines.len(), "every line is whole JSON: {lines:?}");
        let times: Vec<_> = records.iter().map(|r| r["time"].clone()).collect();
        assert_eq!(times, ["t1", "t4", "t4"], "{lines:?}");
        assert_eq!(records[1]["event"], "gap");
        assert_eq!(records[1]["lost"], 2);
    }

    #[test]
    fn a_fragment_that_cannot_be_taken_back_ends_before_the_gap_record() {
        let lines = through_a_full_disk(false);
        let records = parsed(&lines);
        assert_eq!(
            lines.len(),
            records.len() + 1,
            "only the fragment is not JSON: {lines:?}"
        );
        assert_eq!(records.first().map(|r| r["time"].clone()), Some("t1".into()));
        let gap = records.iter().find(|r| r["event"] == "gap").expect("a gap record");
        assert_eq!(gap["lost"], 2);
        assert_eq!(records.last().map(|r| r["time"].clone()), Some("t4".into()));
    }

    #[test]
    fn a_file_cut_back_keeps_the_lines_before_the_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let mut file = open_append(&path).unwrap();
        file.write_all(b"{\"a\":1}\n{\"b\":").unwrap();
        file.discard_tail(5).unwrap();
        file.write_all(b"{\"c\":2}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n{\"c\":2}\n");
    }

    #[test]
    fn reopening_after_the_file_was_moved_writes_to_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let log = AccessLog::open(&path).unwrap();
        log.record(&record("before"));
        let rotated = dir.path().join("access.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        log.record(&record("still old"));
        log.reopen().unwrap();
        log.record(&record("after"));
        let old = std::fs::read_to_string(&rotated).unwrap();
        let new = std::fs::read_to_string(&path).unwrap();
        assert!(
            old.contains("before") && old.contains("still old") && !old.contains("after"),
            "{old}"
        );
        assert_eq!(new.lines().count(), 1, "{new}");
        assert!(new.contains("after"), "{new}");
        AccessLog::disabled()
            .reopen()
            .expect("a disabled log has nothing to reopen");
    }
}
