//! The system of record: alumni and opportunities in redb, written durably.
//!
//! Every alumni write also appends to a change log keyed by a monotonically
//! increasing sequence number, in the same transaction. The search index records
//! the last sequence it has applied in its commit payload, so after a crash the
//! index catches up by replaying the log, and the log is trimmed only once the
//! index has committed past it.

use std::path::Path;

use redb::{
    Database, Durability, MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, TableDefinition,
};
use serde::{Deserialize, Serialize};

use crate::domain::{Alumnus, Opportunity, OpportunityKind, OpportunityStatus, Timestamp};

const ALUMNI: TableDefinition<&str, &[u8]> = TableDefinition::new("alumni");
const OPPORTUNITIES: TableDefinition<&str, &[u8]> = TableDefinition::new("opportunities");
const ALUMNI_CHANGES: TableDefinition<u64, &str> = TableDefinition::new("alumni_changes");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SHORTLISTS: TableDefinition<&str, &[u8]> = TableDefinition::new("shortlists");
/// alumnus id -> ids of the opportunities whose stored shortlist lists them, so a
/// deletion or consent withdrawal can prune those shortlists in the same transaction.
const SHORTLIST_MEMBERS: MultimapTableDefinition<&str, &str> = MultimapTableDefinition::new("shortlist_members");
const ALUMNI_SEQ: &str = "alumni_seq";

/// Errors of the system of record.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (I/O, corruption, a full disk).
    #[error("storage: {0}")]
    Database(#[from] redb::Error),
    /// A stored record could not be decoded; the store is damaged or from an incompatible version.
    #[error("stored record {key:?} is unreadable: {source}")]
    Corrupt {
        /// The record's key.
        key: String,
        /// The decoding error.
        source: serde_json::Error,
    },
    /// A record could not be encoded (should not happen for valid domain values).
    #[error("encoding a record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Converts every specific redb error into [`StoreError`] through `redb::Error`.
trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> OrStore<T> for Result<T, E> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Database(e.into()))
    }
}

/// Outcome of a delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOutcome {
    /// Ids that existed and are now gone.
    pub deleted: Vec<String>,
    /// Ids that did not exist.
    pub not_found: Vec<String>,
    /// Change-log sequence after the write.
    pub seq: u64,
}

/// One candidate of a stored shortlist, with its explanation as computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortlistEntry {
    /// The alumnus.
    pub alumnus_id: String,
    /// Name shown.
    pub display_name: String,
    /// Score in [0, 1].
    pub score: f64,
    /// `(component name, value, weight, contribution)`.
    pub components: Vec<(String, f64, f64, f64)>,
    /// Matched skills.
    pub matched_skills: Vec<String>,
    /// Missing required skills.
    pub missing_required_skills: Vec<String>,
    /// One-line reason.
    pub reason: String,
}

/// A ranked shortlist kept for analysts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredShortlist {
    /// The opportunity.
    pub opportunity_id: String,
    /// Its kind when computed (for pruning by the gates).
    pub kind: OpportunityKind,
    /// When it was computed.
    pub computed_at: Timestamp,
    /// The alumni change-log sequence the ranking saw.
    pub alumni_seq: u64,
    /// Fingerprint of the opportunity as ranked, to notice later edits.
    pub opportunity_fingerprint: u64,
    /// Best first.
    pub candidates: Vec<ShortlistEntry>,
    /// Set when candidates were removed after computation (deletion, consent, opt-out).
    #[serde(default)]
    pub pruned: bool,
}

/// A filter for listing opportunities.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpportunityFilter {
    /// Only this kind, when set.
    pub kind: Option<OpportunityKind>,
    /// Only this status, when set.
    pub status: Option<OpportunityStatus>,
}

/// The redb-backed store. Cheap to share behind an `Arc`; redb serialises writers.
pub struct Store {
    db: Database,
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        key: key.to_owned(),
        source,
    })
}

impl Store {
    /// Opens or creates the store file, creating its tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).or_store()?;
        let txn = db.begin_write().or_store()?;
        txn.open_table(ALUMNI).or_store()?;
        txn.open_table(OPPORTUNITIES).or_store()?;
        txn.open_table(ALUMNI_CHANGES).or_store()?;
        txn.open_table(META).or_store()?;
        txn.open_table(SHORTLISTS).or_store()?;
        txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
        txn.commit().or_store()?;
        Ok(Self { db })
    }

    /// Writes alumni (replacing any with the same id) in one durable transaction and
    /// logs each change. Returns the change-log sequence after the write.
    pub fn upsert_alumni(&self, alumni: &[Alumnus]) -> Result<u64, StoreError> {
        let encoded: Vec<(&str, Vec<u8>)> = alumni
            .iter()
            .map(|a| Ok((a.id.as_str(), serde_json::to_vec(a)?)))
            .collect::<Result<_, StoreError>>()?;
        let txn = self.db.begin_write().or_store()?;
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
    }

    /// Deletes alumni by id in one durable transaction.
    pub fn delete_alumni(&self, ids: &[String]) -> Result<DeleteOutcome, StoreError> {
        let mut outcome = DeleteOutcome::default();
        let txn = self.db.begin_write().or_store()?;
        {
            let mut table = txn.open_table(ALUMNI).or_store()?;
            let mut changes = txn.open_table(ALUMNI_CHANGES).or_store()?;
            let mut meta = txn.open_table(META).or_store()?;
            let mut seq = meta.get(ALUMNI_SEQ).or_store()?.map(|v| v.value()).unwrap_or(0);
            for id in ids {
                if table.remove(id.as_str()).or_store()?.is_some() {
                    prune_shortlists(&txn, id, None)?;
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
    }

    /// Reads one alumnus.
    pub fn get_alumnus(&self, id: &str) -> Result<Option<Alumnus>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(ALUMNI).or_store()?;
        match table.get(id).or_store()? {
            Some(bytes) => Ok(Some(decode(id, bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Reads many alumni from one consistent snapshot; `None` where an id is unknown.
    pub fn get_alumni<S: AsRef<str>>(&self, ids: &[S]) -> Result<Vec<Option<Alumnus>>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(ALUMNI).or_store()?;
        ids.iter()
            .map(|id| match table.get(id.as_ref()).or_store()? {
                Some(bytes) => Ok(Some(decode(id.as_ref(), bytes.value())?)),
                None => Ok(None),
            })
            .collect()
    }

    /// Number of stored alumni.
    pub fn count_alumni(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        txn.open_table(ALUMNI).or_store()?.len().or_store()
    }

    /// Visits every stored alumnus in id order, in chunks of `chunk` (for index rebuilds).
    /// Returns the change-log sequence of the snapshot read.
    /// The visitor's own error type passes through unchanged.
    pub fn scan_alumni<E: From<StoreError>>(
        &self,
        chunk: usize,
        mut visit: impl FnMut(Vec<Alumnus>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let txn = self.db.begin_read().or_store()?;
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
            let (key, value) = entry.or_store()?;
            batch.push(decode::<Alumnus>(key.value(), value.value())?);
            if batch.len() >= chunk {
                visit(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            visit(batch)?;
        }
        Ok(seq)
    }

    /// The latest change-log sequence (0 for a new store).
    pub fn alumni_seq(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        Ok(txn
            .open_table(META)
            .or_store()?
            .get(ALUMNI_SEQ)
            .or_store()?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    /// Logged changes after `after`, oldest first, at most `limit`: `(seq, alumnus id)`.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(ALUMNI_CHANGES).or_store()?;
        let mut out = Vec::new();
        for entry in table.range(after.saturating_add(1)..).or_store()?.take(limit) {
            let (seq, id) = entry.or_store()?;
            out.push((seq.value(), id.value().to_owned()));
        }
        Ok(out)
    }

    /// The oldest sequence still in the change log, if any.
    pub fn oldest_change(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(ALUMNI_CHANGES).or_store()?;
        Ok(table.first().or_store()?.map(|(seq, _)| seq.value()))
    }

    /// Drops change-log entries up to and including `upto`, once the index holds them.
    ///
    /// Not fsynced on its own: if lost in a crash the entries are replayed, which is
    /// harmless because applying a change to the index is idempotent.
    pub fn trim_changes(&self, upto: u64) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().or_store()?;
        txn.set_durability(Durability::None).or_store()?;
        {
            let mut table = txn.open_table(ALUMNI_CHANGES).or_store()?;
            table.retain_in(..=upto, |_, _| false).or_store()?;
        }
        txn.commit().or_store()?;
        Ok(())
    }

    /// Writes opportunities in one durable transaction. An opportunity without
    /// `created_at` keeps the stored one, or gets `now` when new.
    pub fn upsert_opportunities(&self, opportunities: &[Opportunity], now: Timestamp) -> Result<(), StoreError> {
        let txn = self.db.begin_write().or_store()?;
        {
            let mut table = txn.open_table(OPPORTUNITIES).or_store()?;
            for opportunity in opportunities {
                let mut record = opportunity.clone();
                if record.created_at.is_none() {
                    let previous: Option<Opportunity> = match table.get(record.id.as_str()).or_store()? {
                        Some(bytes) => Some(decode(&record.id, bytes.value())?),
                        None => None,
                    };
                    record.created_at = Some(previous.and_then(|p| p.created_at).unwrap_or(now));
                }
                let bytes = serde_json::to_vec(&record)?;
                table.insert(record.id.as_str(), bytes.as_slice()).or_store()?;
            }
        }
        txn.commit().or_store()?;
        Ok(())
    }

    /// Reads one opportunity.
    pub fn get_opportunity(&self, id: &str) -> Result<Option<Opportunity>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(OPPORTUNITIES).or_store()?;
        match table.get(id).or_store()? {
            Some(bytes) => Ok(Some(decode(id, bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Lists opportunities in id order after `after_id`, keeping those that pass
    /// `filter`, at most `limit`. The boolean is true when more may follow.
    pub fn list_opportunities(
        &self,
        filter: OpportunityFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Opportunity>, bool), StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(OPPORTUNITIES).or_store()?;
        let mut out = Vec::new();
        let range = match after_id {
            Some(after) => table.range::<&str>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
            None => table.range::<&str>(..),
        }
        .or_store()?;
        for entry in range {
            let (key, value) = entry.or_store()?;
            let opportunity: Opportunity = decode(key.value(), value.value())?;
            if filter.kind.is_some_and(|k| k != opportunity.kind)
                || filter.status.is_some_and(|s| s != opportunity.status)
            {
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(opportunity);
        }
        Ok((out, false))
    }

    /// Every opportunity that passes `filter`, in id order.
    pub fn all_opportunities(&self, filter: OpportunityFilter) -> Result<Vec<Opportunity>, StoreError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, more) = self.list_opportunities(filter, after.as_deref(), 1_000)?;
            after = page.last().map(|o| o.id.clone());
            all.extend(page);
            if !more {
                return Ok(all);
            }
        }
    }

    /// Marks an opportunity closed; `None` when it does not exist.
    pub fn close_opportunity(&self, id: &str) -> Result<Option<Opportunity>, StoreError> {
        let txn = self.db.begin_write().or_store()?;
        let closed = {
            let mut table = txn.open_table(OPPORTUNITIES).or_store()?;
            let current: Option<Opportunity> = match table.get(id).or_store()? {
                Some(bytes) => Some(decode(id, bytes.value())?),
                None => None,
            };
            match current {
                Some(mut opportunity) => {
                    opportunity.status = OpportunityStatus::Closed;
                    let bytes = serde_json::to_vec(&opportunity)?;
                    table.insert(id, bytes.as_slice()).or_store()?;
                    Some(opportunity)
                }
                None => None,
            }
        };
        txn.commit().or_store()?;
        Ok(closed)
    }
}

/// Removes an alumnus from every stored shortlist it may no longer appear in:
/// all of them when `current` is `None` (deleted), else those whose kind's gates
/// it now fails. Runs inside the write transaction of the alumni change.
fn prune_shortlists(txn: &redb::WriteTransaction, id: &str, current: Option<&Alumnus>) -> Result<(), StoreError> {
    let mut members = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
    let listed: Vec<String> = members
        .get(id)
        .or_store()?
        .map(|entry| entry.map(|v| v.value().to_owned()))
        .collect::<Result<_, _>>()
        .or_store()?;
    if listed.is_empty() {
        return Ok(());
    }
    let mut shortlists = txn.open_table(SHORTLISTS).or_store()?;
    for opportunity_id in listed {
        let stored: Option<StoredShortlist> = match shortlists.get(opportunity_id.as_str()).or_store()? {
            Some(bytes) => Some(decode(&opportunity_id, bytes.value())?),
            None => None,
        };
        let Some(mut shortlist) = stored else {
            members.remove(id, opportunity_id.as_str()).or_store()?;
            continue;
        };
        if current.is_some_and(|a| a.passes_gates(shortlist.kind)) {
            continue;
        }
        shortlist.candidates.retain(|c| c.alumnus_id != id);
        shortlist.pruned = true;
        let bytes = serde_json::to_vec(&shortlist)?;
        shortlists
            .insert(opportunity_id.as_str(), bytes.as_slice())
            .or_store()?;
        members.remove(id, opportunity_id.as_str()).or_store()?;
    }
    Ok(())
}

impl Store {
    /// Writes shortlists in one durable transaction, replacing earlier ones.
    /// A shortlist computed from an older alumni sequence than the stored one is
    /// not written (a slower concurrent run must not overwrite a newer result);
    /// returns how many were written.
    pub fn put_shortlists(&self, shortlists: &[StoredShortlist]) -> Result<usize, StoreError> {
        let txn = self.db.begin_write().or_store()?;
        let mut written = 0;
        {
            let mut table = txn.open_table(SHORTLISTS).or_store()?;
            let mut members = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
            let alumni = txn.open_table(ALUMNI).or_store()?;
            for shortlist in shortlists {
                let previous: Option<StoredShortlist> = match table.get(shortlist.opportunity_id.as_str()).or_store()? {
                    Some(bytes) => Some(decode(&shortlist.opportunity_id, bytes.value())?),
                    None => None,
                };
                if let Some(previous) = &previous {
                    if previous.alumni_seq > shortlist.alumni_seq {
                        continue;
                    }
                    for entry in &previous.candidates {
                        members
                            .remove(entry.alumnus_id.as_str(), shortlist.opportunity_id.as_str())
                            .or_store()?;
                    }
                }
                // An alumnus deleted or withdrawn between ranking and this write must
                // not slip into the stored list.
                let mut shortlist = shortlist.clone();
                let mut kept = Vec::with_capacity(shortlist.candidates.len());
                for entry in std::mem::take(&mut shortlist.candidates) {
                    let current: Option<Alumnus> = match alumni.get(entry.alumnus_id.as_str()).or_store()? {
                        Some(bytes) => Some(decode(&entry.alumnus_id, bytes.value())?),
                        None => None,
                    };
                    if current.is_some_and(|a| a.passes_gates(shortlist.kind)) {
                        kept.push(entry);
                    } else {
                        shortlist.pruned = true;
                    }
                }
                shortlist.candidates = kept;
                for entry in &shortlist.candidates {
                    members
                        .insert(entry.alumnus_id.as_str(), shortlist.opportunity_id.as_str())
                        .or_store()?;
                }
                let bytes = serde_json::to_vec(&shortlist)?;
                table
                    .insert(shortlist.opportunity_id.as_str(), bytes.as_slice())
                    .or_store()?;
                written += 1;
            }
        }
        txn.commit().or_store()?;
        Ok(written)
    }

    /// Reads a stored shortlist.
    pub fn get_shortlist(&self, opportunity_id: &str) -> Result<Option<StoredShortlist>, StoreError> {
        let txn = self.db.begin_read().or_store()?;
        let table = txn.open_table(SHORTLISTS).or_store()?;
        match table.get(opportunity_id).or_store()? {
            Some(bytes) => Ok(Some(decode(opportunity_id, bytes.value())?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(id: &str) -> Alumnus {
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

    #[test]
    fn list_opportunities_pages_with_filter() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let opportunities: Vec<Opportunity> = (0..5)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": format!("o{i}"),
                    "kind": if i % 2 == 0 { "rehire" } else { "mentoring" },
                    "title": "t",
                }))
                .unwrap()
            })
            .collect();
        store
            .upsert_opportunities(&opportunities, Timestamp { seconds: 10, nanos: 0 })
            .unwrap();
        let filter = OpportunityFilter {
            kind: Some(OpportunityKind::Rehire),
            status: None,
        };
        let (page, more) = store.list_opportunities(filter, None, 2).unwrap();
        assert_eq!(page.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["o0", "o2"]);
        assert!(more);
        let (page, more) = store.list_opportunities(filter, Some("o2"), 2).unwrap();
        assert_eq!(page.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["o4"]);
        assert!(!more);
        let closed = store.close_opportunity("o4").unwrap().unwrap();
        assert_eq!(closed.status, OpportunityStatus::Closed);
        assert_eq!(closed.created_at, Some(Timestamp { seconds: 10, nanos: 0 }));
        assert!(store.close_opportunity("nope").unwrap().is_none());
    }
}
