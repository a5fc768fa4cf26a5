//! The redb handle behind the store, and what keeps it honest under faults.
//!
//! - **A full disk or an I/O error** puts redb into a state where every later
//!   operation fails until the database is closed and reopened. Writes are then
//!   answered at once with the failure, and [`Handle::probe`] (which the engine's
//!   health check calls about once a second) reopens the file once the device has
//!   room again, so writes resume without a restart.
//! - **A damaged file** can make redb panic or report corruption. Every operation
//!   runs under `catch_unwind`: a panic becomes [`StoreError::Damaged`], never
//!   reaches a caller as a panic, and from then on writes are refused (reads are
//!   still attempted, each under the same guard).

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
    sync::{
        Mutex, RwLock,
        atomic::{AtomicU8, Ordering},
    },
};

use redb::Database;

use super::error::{Failure, StoreError, classify};
use crate::limits::STORE_CACHE_BYTES;

/// Health of the handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreHealth {
    /// Reads and durable writes work.
    Healthy,
    /// The last write could not be made durable (full disk, I/O error); the
    /// handle is reopened before the next operation.
    Unwritable,
    /// The file is damaged: writes are refused until it is restored.
    Damaged,
}

thread_local! {
    /// Set while this thread runs a store operation under its panic guard.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic on this thread happens inside the store's guard, which turns
/// it into [`StoreError::Damaged`] and logs it once: a process-wide panic hook
/// can then stay quiet about it instead of logging every caught panic.
pub fn panic_is_guarded() -> bool {
    GUARDED.with(std::cell::Cell::get)
}

/// Runs `work` with [`panic_is_guarded`] true, catching its panics.
fn catch<T>(work: impl FnOnce() -> T) -> std::thread::Result<T> {
    let previous = GUARDED.with(|g| g.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(work));
    GUARDED.with(|g| g.set(previous));
    outcome
}

const HEALTHY: u8 = 0;
const UNWRITABLE: u8 = 1;
const DAMAGED: u8 = 2;

/// Opens (or creates) the database file with a bounded cache: redb's default
/// of 1 GiB per database counts in the server's memory for every tenant, while
/// the operating system's page cache holds the file anyway.
fn create(path: &Path) -> Result<Database, redb::Error> {
    Ok(Database::builder().set_cache_size(STORE_CACHE_BYTES).create(path)?)
}

/// The redb database, reopened after I/O failures and guarded against panics.
pub(super) struct Handle {
    path: PathBuf,
    /// Read-locked for the whole of every operation (transactions included), so a
    /// reopen, which takes the write lock, never overlaps a transaction.
    db: RwLock<Option<Database>>,
    state: AtomicU8,
    /// The failure that made the handle unwritable or damaged, for messages.
    cause: Mutex<String>,
    /// What kind of failure made it unwritable.
    failure: Mutex<Failure>,
}

impl Handle {
    /// Opens (or creates) the file.
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        let db = guarded(path, || create(path))?;
        Ok(Self {
            path: path.to_owned(),
            db: RwLock::new(Some(db)),
            state: AtomicU8::new(HEALTHY),
            cause: Mutex::new(String::new()),
            failure: Mutex::new(Failure::Other),
        })
    }

    /// The store file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Current health.
    pub(super) fn health(&self) -> StoreHealth {
        match self.state.load(Ordering::Acquire) {
            HEALTHY => StoreHealth::Healthy,
            UNWRITABLE => StoreHealth::Unwritable,
            _ => StoreHealth::Damaged,
        }
    }

    fn path_text(&self) -> String {
        self.path.display().to_string()
    }

    fn cause(&self) -> String {
        self.cause.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn set_cause(&self, cause: String) {
        if let Ok(mut slot) = self.cause.lock() {
            *slot = cause;
        }
    }

    /// Marks the file damaged: writes are refused from now on.
    pub(super) fn mark_damaged(&self, detail: &str) {
        if self.state.swap(DAMAGED, Ordering::AcqRel) != DAMAGED {
            tracing::error!(path = %self.path.display(), detail, "the store is damaged; writes are refused");
            self.set_cause(detail.to_owned());
        }
    }

    fn damaged(&self) -> StoreError {
        StoreError::Damaged {
            path: self.path_text(),
            detail: self.cause(),
        }
    }

    /// Tries to make an unwritable handle writable again: when the device has room
    /// (for a full disk) it closes and reopens the database and makes one small
    /// durable write. Called by the engine's health probe about once a second, so
    /// writes resume once space is freed, without a restart. Returns the health
    /// after the attempt.
    pub(super) fn probe(&self, test_write: impl FnOnce(&Database) -> Result<(), StoreError>) -> StoreHealth {
        if self.health() != StoreHealth::Unwritable {
            return self.health();
        }
        if self.failure() == Failure::Full && !has_room(&self.path) {
            return StoreHealth::Unwritable;
        }
        match self.reopen() {
            Ok(()) => {}
            Err(error) => {
                tracing::debug!(%error, "the store could not be reopened yet");
                return self.health();
            }
        }
        match self.run(test_write) {
            Ok(()) => {
                self.state.store(HEALTHY, Ordering::Release);
                tracing::info!(path = %self.path.display(), "the store takes durable writes again");
            }
            Err(error) => tracing::debug!(%error, "the store's test write failed"),
        }
        self.health()
    }

    /// Closes the failed handle and opens the file again. The write lock waits for
    /// every running operation, so no transaction spans the swap.
    fn reopen(&self) -> Result<(), StoreError> {
        let mut slot = self.db.write().map_err(|_| self.poisoned())?;
        // The old handle's file lock must go before the file is opened again (a
        // failed close still releases it when dropped).
        if let Some(old) = slot.take()
            && let Err(error) = old.close()
        {
            tracing::debug!(%error, "closing the store after an I/O error");
        }
        match guarded(&self.path, || create(&self.path)) {
            Ok(db) => {
                *slot = Some(db);
                Ok(())
            }
            Err(error) => {
                if let StoreError::Damaged { detail, .. } = &error {
                    drop(slot);
                    self.mark_damaged(detail);
                }
                Err(error)
            }
        }
    }

    fn poisoned(&self) -> StoreError {
        StoreError::Damaged {
            path: self.path_text(),
            detail: "a store operation panicked while holding its lock".into(),
        }
    }

    fn failure(&self) -> Failure {
        self.failure.lock().map(|f| *f).unwrap_or(Failure::Io)
    }

    /// The error a write gets while the handle is unwritable.
    fn unwritable(&self) -> StoreError {
        match self.failure() {
            Failure::Full => StoreError::StorageFull { path: self.path_text() },
            _ => StoreError::Unavailable {
                path: self.path_text(),
                cause: self.cause(),
            },
        }
    }

    /// Runs a read. A panic inside redb becomes [`StoreError::Damaged`].
    pub(super) fn read<T>(&self, work: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.run(work)
    }

    /// Runs a write. Refused on a damaged file, and answered at once while the
    /// last write could not be made durable (until [`Handle::probe`] recovers).
    pub(super) fn write<T>(&self, work: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match self.health() {
            StoreHealth::Damaged => Err(self.damaged()),
            StoreHealth::Unwritable => Err(self.unwritable()),
            StoreHealth::Healthy => self.run(work),
        }
    }

    fn run<T>(&self, work: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let slot = self.db.read().map_err(|_| self.poisoned())?;
        let Some(db) = slot.as_ref() else {
            return Err(self.unwritable());
        };
        match catch(|| work(db)) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(StoreError::Database(error))) => Err(self.on_failure(error)),
            Ok(Err(error @ StoreError::Corrupt { .. })) => {
                // A record the program cannot read: the file is damaged (or written
                // by another version); writes could only make it worse.
                self.mark_damaged(&error.to_string());
                Err(error)
            }
            Ok(Err(error)) => Err(error),
            Err(panic) => {
                let detail = panic_message(&panic);
                self.mark_damaged(&format!("the storage engine panicked: {detail}"));
                Err(self.damaged())
            }
        }
    }

    fn on_failure(&self, error: redb::Error) -> StoreError {
        match classify(&error) {
            Failure::Full | Failure::Io => {
                self.fail_io(classify(&error), error.to_string());
                self.unwritable()
            }
            Failure::Corrupted => {
                self.mark_damaged(&error.to_string());
                self.damaged()
            }
            Failure::Other => StoreError::Database(error),
        }
    }

    fn fail_io(&self, failure: Failure, cause: String) {
        if self
            .state
            .compare_exchange(HEALTHY, UNWRITABLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            if let Ok(mut slot) = self.failure.lock() {
                *slot = failure;
            }
            tracing::error!(path = %self.path.display(), %cause, "a store write failed; writes are refused until it succeeds again");
            self.set_cause(cause);
        }
    }

    /// Checks every page of the file (slow: it reads the whole file) and repairs
    /// what redb can repair. Needs no transaction open on the handle.
    pub(super) fn check_integrity(&self) -> Result<bool, StoreError> {
        let mut slot = self.db.write().map_err(|_| self.poisoned())?;
        let Some(db) = slot.as_mut() else {
            return Err(self.unwritable());
        };
        match catch(|| db.check_integrity()) {
            Ok(Ok(clean)) => Ok(clean),
            Ok(Err(error)) => {
                let detail = format!("integrity check failed: {error}");
                drop(slot);
                self.mark_damaged(&detail);
                Err(self.damaged())
            }
            Err(panic) => {
                let detail = format!("integrity check panicked: {}", panic_message(&panic));
                drop(slot);
                self.mark_damaged(&detail);
                Err(self.damaged())
            }
        }
    }
}

/// Runs `open` under `catch_unwind`, mapping redb's errors and panics.
fn guarded<T>(path: &Path, open: impl FnOnce() -> Result<T, redb::Error>) -> Result<T, StoreError> {
    let path_text = path.display().to_string();
    match catch(open) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(redb::Error::DatabaseAlreadyOpen)) => Err(StoreError::InUse { path: path_text }),
        Ok(Err(error)) => Err(match classify(&error) {
            Failure::Full => StoreError::StorageFull { path: path_text },
            Failure::Corrupted => StoreError::Damaged {
                path: path_text,
                detail: error.to_string(),
            },
            Failure::Io | Failure::Other => StoreError::Database(error),
        }),
        Err(panic) => Err(StoreError::Damaged {
            path: path_text,
            detail: format!("the storage engine panicked while opening: {}", panic_message(&panic)),
        }),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Free space a store needs before it is reopened after a full disk (its
/// recovery and the probe's test write need a little room; reopening on a disk
/// that is still full would only fail again).
const ROOM_TO_RESUME: u64 = 2 * 1024 * 1024;

/// Whether the file system holding `path` has [`ROOM_TO_RESUME`] bytes free for
/// this process (unknown counts as room: the reopen itself then tells).
fn has_room(path: &Path) -> bool {
    available_bytes(path).is_none_or(|free| free >= ROOM_TO_RESUME)
}

/// Bytes available to unprivileged writers on the file system holding `path`.
pub fn available_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let directory = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let c_path = std::ffi::CString::new(directory.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stats` points to
    // writable memory of the right size; statvfs only writes into it.
    let result = unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) };
    if result != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the structure.
    let stats = unsafe { stats.assume_init() };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize)))
}
