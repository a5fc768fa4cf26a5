//! Backups taken while serving.

use std::path::PathBuf;

use super::{Engine, EngineError};
use crate::store::{StoreSummary, copy_consistent};

impl Engine {
    /// Copies the store, as of one snapshot, into a new file beside it (inside
    /// the tenant's private directory, never a shared temporary one: it holds
    /// departure details). The caller streams the file away and removes it.
    pub fn backup_to_file(&self) -> Result<(PathBuf, StoreSummary), EngineError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = self.data_dir.join(format!("backup-{nanos}.redb"));
        match copy_consistent(&self.store, &path) {
            Ok(summary) => Ok((path, summary)),
            Err(error) => {
                let _ = std::fs::remove_file(&path);
                Err(error.into())
            }
        }
    }
}
