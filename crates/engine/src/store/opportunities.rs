//! Opportunities.

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::{
    OPPORTUNITIES, OrStore, Store, StoreError,
    codec::{decode, encode},
    shortlists::regate_shortlist,
};
use crate::domain::{Opportunity, OpportunityKind, OpportunityStatus, Timestamp};

/// A filter for listing opportunities.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpportunityFilter {
    /// Only this kind, when set.
    pub kind: Option<OpportunityKind>,
    /// Only this status, when set.
    pub status: Option<OpportunityStatus>,
}

impl OpportunityFilter {
    fn admits(&self, opportunity: &Opportunity) -> bool {
        self.kind.is_none_or(|k| k == opportunity.kind) && self.status.is_none_or(|s| s == opportunity.status)
    }
}

impl Store {
    /// Writes opportunities in one durable transaction. An opportunity without
    /// `created_at` keeps the stored one, or gets `now` when new. When an
    /// opportunity changes kind, its stored shortlist loses (in the same
    /// transaction) everyone who fails the new kind's gates.
    pub fn upsert_opportunities(&self, opportunities: &[Opportunity], now: Timestamp) -> Result<(), StoreError> {
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            {
                let mut table = txn.open_table(OPPORTUNITIES).or_store()?;
                for opportunity in opportunities {
                    let mut record = opportunity.clone();
                    let previous: Option<Opportunity> = match table.get(record.id.as_str()).or_store()? {
                        Some(bytes) => Some(decode("opportunities", bytes.value())?),
                        None => None,
                    };
                    if record.created_at.is_none() {
                        record.created_at = Some(previous.as_ref().and_then(|p| p.created_at).unwrap_or(now));
                    }
                    let bytes = encode(&record)?;
                    table.insert(record.id.as_str(), bytes.as_slice()).or_store()?;
                    if previous.is_some_and(|p| p.kind != record.kind) {
                        regate_shortlist(&txn, &record.id, record.kind)?;
                    }
                }
            }
            txn.commit().or_store()
        })
    }

    /// Reads one opportunity.
    pub fn get_opportunity(&self, id: &str) -> Result<Option<Opportunity>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OPPORTUNITIES).or_store()?;
            match table.get(id).or_store()? {
                Some(bytes) => Ok(Some(decode("opportunities", bytes.value())?)),
                None => Ok(None),
            }
        })
    }

    /// Number of stored opportunities.
    pub fn count_opportunities(&self) -> Result<u64, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            txn.open_table(OPPORTUNITIES).or_store()?.len().or_store()
        })
    }

    /// Lists opportunities in id order after `after_id`, keeping those that pass
    /// `filter`, at most `limit`. The boolean is true when more may follow.
    pub fn list_opportunities(
        &self,
        filter: OpportunityFilter,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Opportunity>, bool), StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(OPPORTUNITIES).or_store()?;
            let mut out = Vec::new();
            let range = match after_id {
                Some(after) => table.range::<&str>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded)),
                None => table.range::<&str>(..),
            }
            .or_store()?;
            for entry in range {
                let (_, value) = entry.or_store()?;
                let opportunity: Opportunity = decode("opportunities", value.value())?;
                if !filter.admits(&opportunity) {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(opportunity);
            }
            Ok((out, false))
        })
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
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let closed = {
                let mut table = txn.open_table(OPPORTUNITIES).or_store()?;
                let current: Option<Opportunity> = match table.get(id).or_store()? {
                    Some(bytes) => Some(decode("opportunities", bytes.value())?),
                    None => None,
                };
                match current {
                    Some(mut opportunity) => {
                        opportunity.status = OpportunityStatus::Closed;
                        let bytes = encode(&opportunity)?;
                        table.insert(id, bytes.as_slice()).or_store()?;
                        Some(opportunity)
                    }
                    None => None,
                }
            };
            txn.commit().or_store()?;
            Ok(closed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(store.count_opportunities().unwrap(), 5);
    }
}
