//! Alumni and their change log.

use redb::{Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::{
    ALUMNI, ALUMNI_CHANGES, ALUMNI_SEQ, META, OrStore, Store, StoreError,
    codec::{decode, encode},
    outcomes::erase_outcomes,
    shortlists::prune_shortlists,
};
use crate::domain::Alumnus;

/// Outcome of a delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Ids that existed and are now gone, each once.
    pub deleted: Vec<String>,
    /// Ids that did not exist, each once.
    pub not_found: Vec<String>,
    /// Change-log sequence after the write.
    pub seq: u64,
}

impl Store {
    /// Writes alumni (replacing any with the same id) in one durable transaction and
    /// logs each change. Returns the change-log sequence after the write.
    pub fn upsert_alumni(&self, alumni: &[Alumnus]) -> Result<u64, StoreError> {
        let encoded: Vec<(&str, Vec<u8>)> = alumni
            .iter()
            .map(|a| Ok((a.id.as_str(), encode(a)?)))
            .collect::<Result<_, StoreError>>()?;
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let seq = {
                let mut table = txn.open_table(ALUMNI).or_store()?;
                let mut changes = txn.open_table(ALUMNI_CHANGES).or_store()?;
                let mut meta = txn.open_table(META).or_store()?;
                let mut seq = meta.get(ALUMNI_SEQ).or_store()?.map(|v| v.value()).unwrap_or(0);
                for (id, bytes) in &encoded {
                    table.insert(*id, bytes.as_slice()).or_store()?;
                    seq += 1;
                    changes.insert(seq, *id).or_store()?;
                }
                meta.insert(ALUMNI_SEQ, seq).or_store()?;
                for alumnus in alumni {
                    prune_shortlists(&txn, &alumnus.id, Some(alumnus))?;
                }
                seq
            };
            txn.commit().or_store()?;
            Ok(seq)
        })
    }

    /// Deletes alumni by id in one durable transaction, with their outcomes and
    /// shown-log. An id given twice is deleted (or reported unknown) once.
    pub fn delete_alumni(&self, ids: &[String]) -> Result<DeleteOutcome, StoreError> {
        self.handle.write(|db| {
            let mut outcome = DeleteOutcome::default();
            let mut seen = std::collections::HashSet::new();
            let txn = db.begin_write().or_store()?;
            {
                let mut table = txn.open_table(ALUMNI).or_store()?;
                let mut changes = txn.open_table(ALUMNI_CHANGES).or_store()?;
                let mut meta = txn.open_table(META).or_store()?;
                let mut seq = meta.get(ALUMNI_SEQ).or_store()?.map(|v| v.value()).unwrap_or(0);
                for id in ids {
                    if !seen.insert(id.as_str()) {
                        continue;
                    }
                    if table.remove(id.as_str()).or_store()?.is_some() {
                        prune_shortlists(&txn, id, None)?;
                        erase_outcomes(&txn, id)?;
                        seq += 1;
                        changes.insert(seq, id.as_str()).or_store()?;
                        outcome.deleted.push(id.clone());
                    } else {
                        outcome.not_found.push(id.clone());
                    }
                }
                meta.insert(ALUMNI_SEQ, seq).or_store()?;
                outcome.seq = seq;
            }
            txn.commit().or_store()?;
            Ok(outcome)
        })
    }

    /// Reads one alumnus.
    pub fn get_alumnus(&self, id: &str) -> Result<Option<Alumnus>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(ALUMNI).or_store()?;
            match table.get(id).or_store()? {
                Some(bytes) => Ok(Some(decode("alumni", bytes.value())?)),
                None => Ok(None),
            }
        })
    }

    /// Reads many alumni from one consistent snapshot; `None` where an id is unknown.
    pub fn get_alumni<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<Option<Alumnus>>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(ALUMNI).or_store()?;
            ids.iter()
                .map(|id| match table.get(id.as_ref()).or_store()? {
                    Some(bytes) => Ok(Some(decode("alumni", bytes.value())?)),
                    None => Ok(None),
                })
                .collect()
        })
    }

    /// Number of stored alumni.
    pub fn count_alumni(&self) -> Result<u64, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            txn.open_table(ALUMNI).or_store()?.len().or_store()
        })
    }

    /// Visits every stored alumnus in id order, in chunks of `chunk` (for index rebuilds).
    /// Returns the change-log sequence of the snapshot read.
    /// The visitor's own error type passes through unchanged.
    pub fn scan_alumni<E: From<StoreError>>(
        &self,
        chunk: usize,
        mut visit: impl FnMut(Vec<Alumnus>) -> Result<(), E>,
    ) -> Result<u64, E> {
        // The visitor's errors cross the store's guard inside this slot, so the
        // guard only ever sees the store's own errors.
        let mut visitor_error: Option<E> = None;
        let seq = self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let seq = txn
                .open_table(META)
                .or_store()?
                .get(ALUMNI_SEQ)
                .or_store()?
                .map(|v| v.value())
                .unwrap_or(0);
            let table = txn.open_table(ALUMNI).or_store()?;
            let mut batch = Vec::with_capacity(chunk);
            for entry in table.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                batch.push(decode::<Alumnus>("alumni", value.value())?);
                if batch.len() >= chunk
                    && let Err(error) = visit(std::mem::take(&mut batch))
                {
                    visitor_error = Some(error);
                    return Ok(seq);
                }
            }
            if !batch.is_empty()
                && let Err(error) = visit(batch)
            {
                visitor_error = Some(error);
            }
            Ok(seq)
        })?;
        match visitor_error {
            Some(error) => Err(error),
            None => Ok(seq),
        }
    }

    /// The latest change-log sequence (0 for a new store).
    pub fn alumni_seq(&self) -> Result<u64, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            Ok(txn
                .open_table(META)
                .or_store()?
                .get(ALUMNI_SEQ)
                .or_store()?
                .map(|v| v.value())
                .unwrap_or(0))
        })
    }

    /// Logged changes after `after`, oldest first, at most `limit`: `(seq, alumnus id)`.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(ALUMNI_CHANGES).or_store()?;
            let mut out = Vec::new();
            for entry in table.range(after.saturating_add(1)..).or_store()?.take(limit) {
                let (seq, id) = entry.or_store()?;
                out.push((seq.value(), id.value().to_owned()));
            }
            Ok(out)
        })
    }

    /// The oldest sequence still in the change log, if any.
    pub fn oldest_change(&self) -> Result<Option<u64>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(ALUMNI_CHANGES).or_store()?;
            Ok(table.first().or_store()?.map(|(seq, _)| seq.value()))
        })
    }

    /// Drops change-log entries up to and including `upto`, once the index holds them.
    ///
    /// Not fsynced on its own: if lost in a crash the entries are replayed, which is
    /// harmless because applying a change to the index is idempotent.
    pub fn trim_changes(&self, upto: u64) -> Result<(), StoreError> {
        self.handle.write(|db| {
            let mut txn = db.begin_write().or_store()?;
            txn.set_durability(Durability::None).or_store()?;
            {
                let mut table = txn.open_table(ALUMNI_CHANGES).or_store()?;
                table.retain_in(..=upto, |_, _| false).or_store()?;
            }
            txn.commit().or_store()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn alumnus(id: &str) -> Alumnus {
        serde_json::from_value(serde_json::json!({"id": id, "display_name": "Tanaka"})).unwrap()
    }

    #[test]
    fn upsert_delete_and_change_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        assert_eq!(store.upsert_alumni(&[alumnus("a"), alumnus("b")]).unwrap(), 2);
        assert_eq!(store.upsert_alumni(&[alumnus("a")]).unwrap(), 3);
        assert_eq!(store.count_alumni().unwrap(), 2);
        let outcome = store.delete_alumni(&["b".into(), "zz".into()]).unwrap();
        assert_eq!(
            (outcome.deleted, outcome.not_found, outcome.seq),
            (vec!["b".to_string()], vec!["zz".to_string()], 4)
        );
        assert!(store.get_alumnus("b").unwrap().is_none());
        let changes = store.changes_after(1, 10).unwrap();
        assert_eq!(changes, vec![(2, "b".into()), (3, "a".into()), (4, "b".into())]);
        store.trim_changes(3).unwrap();
        assert_eq!(store.oldest_change().unwrap(), Some(4));
    }

    #[test]
    fn an_id_given_twice_is_deleted_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        store.upsert_alumni(&[alumnus("a")]).unwrap();
        let outcome = store
            .delete_alumni(&["a".into(), "a".into(), "zz".into(), "zz".into()])
            .unwrap();
        assert_eq!(outcome.deleted, ["a"]);
        assert_eq!(outcome.not_found, ["zz"], "not also reported unknown, and once");
    }

    #[test]
    fn reopening_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        {
            let store = Store::open(&path).unwrap();
            store.upsert_alumni(&[alumnus("a")]).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.get_alumnus("a").unwrap().map(|a| a.display_name),
            Some("Tanaka".into())
        );
        assert_eq!(store.alumni_seq().unwrap(), 1);
    }
}
