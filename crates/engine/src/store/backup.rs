//! Consistent copies of a store taken while it serves, and a full read of every
//! record for offline checks.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableMultimapTable, ReadableTable};

use super::{
    ALUMNI, ALUMNI_CHANGES, META, OPPORTUNITIES, OrStore, SHORTLIST_MEMBERS, SHORTLISTS, Store, StoreError,
    codec::decode,
};
use crate::domain::{Alumnus, Opportunity};

/// What a store holds, as read by [`copy_consistent`] or [`Store::verify`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSummary {
    /// Alumni records.
    pub alumni: u64,
    /// Opportunity records.
    pub opportunities: u64,
    /// Stored shortlists.
    pub shortlists: u64,
    /// The alumni change-log sequence of the snapshot.
    pub alumni_seq: u64,
}

/// Copies every table of `store`, as of one snapshot, into a new store file at
/// `destination` (which must not exist), made durable before returning. Writes
/// to `store` go on meanwhile; the copy is exactly the state at the snapshot.
pub fn copy_consistent(store: &Store, destination: &Path) -> Result<StoreSummary, StoreError> {
    store.handle.read(|db| {
        let source = db.begin_read().or_store()?;
        let target = Database::create(destination).or_store()?;
        let txn = target.begin_write().or_store()?;
        let mut summary = StoreSummary::default();
        {
            let from = source.open_table(ALUMNI).or_store()?;
            let mut to = txn.open_table(ALUMNI).or_store()?;
            for entry in from.iter().or_store()? {
                let (key, value) = entry.or_store()?;
                to.insert(key.value(), value.value()).or_store()?;
                summary.alumni += 1;
            }
            let from = source.open_table(OPPORTUNITIES).or_store()?;
            let mut to = txn.open_table(OPPORTUNITIES).or_store()?;
            for entry in from.iter().or_store()? {
                let (key, value) = entry.or_store()?;
                to.insert(key.value(), value.value()).or_store()?;
                summary.opportunities += 1;
            }
            let from = source.open_table(SHORTLISTS).or_store()?;
            let mut to = txn.open_table(SHORTLISTS).or_store()?;
            for entry in from.iter().or_store()? {
                let (key, value) = entry.or_store()?;
                to.insert(key.value(), value.value()).or_store()?;
                summary.shortlists += 1;
            }
            let from = source.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
            let mut to = txn.open_multimap_table(SHORTLIST_MEMBERS).or_store()?;
            for entry in from.iter().or_store()? {
                let (key, values) = entry.or_store()?;
                for value in values {
                    to.insert(key.value(), value.or_store()?.value()).or_store()?;
                }
            }
            let from = source.open_table(META).or_store()?;
            let mut to = txn.open_table(META).or_store()?;
            for entry in from.iter().or_store()? {
                let (key, value) = entry.or_store()?;
                to.insert(key.value(), value.value()).or_store()?;
            }
            summary.alumni_seq = to.get(super::ALUMNI_SEQ).or_store()?.map(|v| v.value()).unwrap_or(0);
            // The change log is not copied: a restored store starts with no index,
            // which is rebuilt from the records.
            txn.open_table(ALUMNI_CHANGES).or_store()?;
        }
        txn.commit().or_store()?;
        Ok(summary)
    })
}

impl Store {
    /// Reads and decodes every record: what `alumni-match check` runs after the
    /// page-level integrity check, so that a record the storage engine returns
    /// intact but the program cannot read is found before a caller asks for it.
    pub fn verify(&self) -> Result<StoreSummary, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let mut summary = StoreSummary::default();
            for entry in txn.open_table(ALUMNI).or_store()?.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                decode::<Alumnus>("alumni", value.value())?;
                summary.alumni += 1;
            }
            for entry in txn.open_table(OPPORTUNITIES).or_store()?.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                decode::<Opportunity>("opportunities", value.value())?;
                summary.opportunities += 1;
            }
            for entry in txn.open_table(SHORTLISTS).or_store()?.iter().or_store()? {
                let (_, value) = entry.or_store()?;
                decode::<super::StoredShortlist>("shortlists", value.value())?;
                summary.shortlists += 1;
            }
            summary.alumni_seq = txn
                .open_table(META)
                .or_store()?
                .get(super::ALUMNI_SEQ)
                .or_store()?
                .map(|v| v.value())
                .unwrap_or(0);
            Ok(summary)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_holds_the_snapshot_and_opens_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.redb")).unwrap();
        let alumni: Vec<Alumnus> = (0..3)
            .map(|i| serde_json::from_value(serde_json::json!({"id": format!("a{i}"), "display_name": "X"})).unwrap())
            .collect();
        store.upsert_alumni(&alumni).unwrap();
        let copy_path = dir.path().join("copy.redb");
        let summary = copy_consistent(&store, &copy_path).unwrap();
        assert_eq!((summary.alumni, summary.alumni_seq), (3, 3));
        store.delete_alumni(&["a0".into()]).unwrap();
        let copy = Store::open(&copy_path).unwrap();
        assert_eq!(copy.count_alumni().unwrap(), 3, "the copy is the state at the snapshot");
        assert_eq!(copy.verify().unwrap().alumni, 3);
        assert_eq!(copy.alumni_seq().unwrap(), 3);
    }
}
