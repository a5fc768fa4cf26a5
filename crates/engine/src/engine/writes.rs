//! The write path: validate, write durably, signal the indexer; and the reads
//! of single records.

use std::{collections::HashMap, sync::mpsc, time::Duration};

use super::{Engine, EngineError, indexer::Signal, paging};
use crate::{
    domain::{
        Alumnus, Opportunity, OpportunityKind, OpportunityStatus, Timestamp, Violations,
        validation::{MAX_BATCH_ITEMS, validate_alumnus, validate_opportunity},
    },
    index::PurgeReport,
    limits::{DEFAULT_LIST_PAGE_SIZE, MAX_LIST_PAGE_SIZE},
    store::{DeleteOutcome, OpportunityFilter},
};

impl Engine {
    pub(super) fn signal_indexer(&self) {
        if let Ok(guard) = self.signals.lock()
            && let Some(sender) = guard.as_ref()
        {
            // A send fails only when the indexer has stopped, i.e. during shutdown;
            // the write is durable and the next start-up replays it.
            let _ = sender.send(Signal::Changed);
        }
    }

    /// Validates and durably writes alumni (all or none). Returns the change-log
    /// sequence to wait for with [`Engine::wait_indexed`].
    pub fn upsert_alumni(&self, mut alumni: Vec<Alumnus>, path: &str) -> Result<u64, EngineError> {
        let mut violations = Violations::new();
        validate_alumni_batch(&alumni, path, &mut violations);
        violations.into_result()?;
        self.write_alumni(&mut alumni)
    }

    /// Durably writes alumni that the caller has already validated.
    pub fn write_alumni(&self, alumni: &mut [Alumnus]) -> Result<u64, EngineError> {
        let now = Timestamp::now();
        for alumnus in alumni.iter_mut() {
            alumnus.updated_at.get_or_insert(now);
        }
        let seq = self.store.upsert_alumni(alumni)?;
        self.signal_indexer();
        Ok(seq)
    }

    /// Deletes alumni by id (the caller has checked the ids); an id given twice
    /// is deleted, or reported unknown, once. Every stored shortlist loses them
    /// in the same transaction.
    pub fn delete_alumni(&self, ids: &[String]) -> Result<DeleteOutcome, EngineError> {
        let outcome = self.store.delete_alumni(ids)?;
        self.signal_indexer();
        Ok(outcome)
    }

    /// Reads one alumnus.
    pub fn get_alumnus(&self, id: &str) -> Result<Alumnus, EngineError> {
        check_id_argument("id", id)?;
        self.store.get_alumnus(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "alumnus",
            id: id.to_owned(),
        })
    }

    /// Number of stored alumni.
    pub fn count_alumni(&self) -> Result<u64, EngineError> {
        Ok(self.store.count_alumni()?)
    }

    /// The store's latest alumni change-log sequence: once [`Engine::indexed_seq`]
    /// reaches it, the index reflects every write made so far.
    pub fn alumni_seq(&self) -> Result<u64, EngineError> {
        Ok(self.store.alumni_seq()?)
    }

    /// The change-log sequence the index has applied.
    pub fn indexed_seq(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Waits until the index reflects every write up to `seq`, or `timeout` passes.
    /// Returns whether it got there.
    pub async fn wait_indexed(&self, seq: u64, timeout: Duration) -> bool {
        let mut applied = self.applied.clone();
        tokio::time::timeout(timeout, applied.wait_for(|&applied| applied >= seq))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Like [`Engine::wait_indexed`], for callers outside an async runtime.
    pub fn wait_indexed_blocking(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while self.indexed_seq() < seq {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Validates and durably writes opportunities (all or none).
    pub fn upsert_opportunities(&self, opportunities: Vec<Opportunity>) -> Result<usize, EngineError> {
        let mut violations = Violations::new();
        validate_opportunity_batch(&opportunities, &mut violations);
        violations.into_result()?;
        self.write_opportunities(opportunities)
    }

    /// Durably writes opportunities that the caller has already validated (all or
    /// none). An opportunity whose kind changes has its stored shortlist re-gated
    /// in the same transaction.
    pub fn write_opportunities(&self, opportunities: Vec<Opportunity>) -> Result<usize, EngineError> {
        self.store.upsert_opportunities(&opportunities, Timestamp::now())?;
        Ok(opportunities.len())
    }

    /// Reads one opportunity.
    pub fn get_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
        check_id_argument("id", id)?;
        self.store.get_opportunity(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        })
    }

    /// Lists opportunities in id order: `(page, next page token)`.
    pub fn list_opportunities(
        &self,
        kind: Option<OpportunityKind>,
        status: Option<OpportunityStatus>,
        page_size: u32,
        page_token: &str,
    ) -> Result<(Vec<Opportunity>, String), EngineError> {
        let mut violations = Violations::new();
        if page_size > MAX_LIST_PAGE_SIZE {
            violations.add("page_size", format!("must be at most {MAX_LIST_PAGE_SIZE}"));
        }
        let after = if page_token.is_empty() {
            None
        } else {
            match paging::decode_list_token(page_token) {
                Some(after) => Some(after),
                None => {
                    violations.add("page_token", "is not a token returned by ListOpportunities");
                    None
                }
            }
        };
        violations.into_result()?;
        let size = if page_size == 0 {
            DEFAULT_LIST_PAGE_SIZE
        } else {
            page_size
        } as usize;
        let (page, more) = self
            .store
            .list_opportunities(OpportunityFilter { kind, status }, after.as_deref(), size)?;
        let next = match (more, page.last()) {
            (true, Some(last)) => paging::encode_list_token(&last.id),
            _ => String::new(),
        };
        Ok((page, next))
    }

    /// Closes an opportunity.
    pub fn close_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
        check_id_argument("id", id)?;
        self.store.close_opportunity(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        })
    }

    /// Makes deleted alumni physically absent from the index: applies pending
    /// changes, merges the segments without deleted documents and removes the old
    /// segment files. Blocks until done.
    pub fn purge_deleted(&self) -> Result<PurgeReport, EngineError> {
        let (reply, answer) = mpsc::channel();
        {
            let guard = self
                .signals
                .lock()
                .map_err(|_| EngineError::Internal("indexer channel poisoned".into()))?;
            let sender = guard.as_ref().ok_or(EngineError::ShuttingDown)?;
            sender
                .send(Signal::Purge(reply))
                .map_err(|_| EngineError::ShuttingDown)?;
        }
        answer.recv().map_err(|_| EngineError::ShuttingDown)?
    }
}

/// Checks a batch of alumni for a unary write: 1 to [`MAX_BATCH_ITEMS`] items,
/// each valid, ids unique. Reports under `path` ("alumni").
pub fn validate_alumni_batch(alumni: &[Alumnus], path: &str, violations: &mut Violations) {
    if alumni.is_empty() {
        violations.add(path, "must contain at least one alumnus");
    }
    violations.check_count(path, alumni.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, alumnus) in alumni.iter().enumerate() {
        validate_alumnus(alumnus, &format!("{path}[{i}]"), violations);
        if let Some(first) = seen.insert(alumnus.id.as_str(), i) {
            violations.add(
                format!("{path}[{i}].id"),
                format!("duplicates the id of {path}[{first}]"),
            );
        }
    }
}

/// Checks a batch of opportunities for a write, like [`validate_alumni_batch`].
pub fn validate_opportunity_batch(opportunities: &[Opportunity], violations: &mut Violations) {
    if opportunities.is_empty() {
        violations.add("opportunities", "must contain at least one opportunity");
    }
    violations.check_count("opportunities", opportunities.len(), MAX_BATCH_ITEMS);
    let mut seen = HashMap::new();
    for (i, opportunity) in opportunities.iter().enumerate() {
        validate_opportunity(opportunity, &format!("opportunities[{i}]"), true, violations);
        if let Some(first) = seen.insert(opportunity.id.as_str(), i) {
            violations.add(
                format!("opportunities[{i}].id"),
                format!("duplicates the id of opportunities[{first}]"),
            );
        }
    }
}

fn check_id_argument(field: &str, id: &str) -> Result<(), EngineError> {
    let mut violations = Violations::new();
    violations.check_id(field, id);
    Ok(violations.into_result()?)
}
