//! The write path: validate, write durably, signal the indexer; and the reads
//! of single records.

use std::{sync::mpsc, time::Duration};

use super::{
    Engine, EngineError, OpportunityPage, OpportunityQuery,
    indexer::Signal,
    paging::{self, Cursor, Listing, PageToken},
};
use crate::{
    domain::{Alumnus, Opportunity, Timestamp, Violations},
    index::PurgeReport,
    limits::DEFAULT_LIST_PAGE_SIZE,
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
        // Their outcomes went with them: the tenant's referral mean may move.
        self.forget_referral_rate();
        self.signal_indexer();
        Ok(outcome)
    }

    /// Reads one alumnus.
    pub fn get_alumnus(&self, id: &str) -> Result<Alumnus, EngineError> {
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

    /// Durably writes opportunities that the caller has already validated (all or
    /// none). An opportunity whose kind changes has its stored shortlist re-gated
    /// in the same transaction.
    pub fn write_opportunities(&self, opportunities: Vec<Opportunity>) -> Result<usize, EngineError> {
        self.store.upsert_opportunities(&opportunities, Timestamp::now())?;
        Ok(opportunities.len())
    }

    /// Reads one opportunity.
    pub fn get_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
        self.store.get_opportunity(id)?.ok_or_else(|| EngineError::NotFound {
            entity: "opportunity",
            id: id.to_owned(),
        })
    }

    /// Lists opportunities in id order, a page at a time; the page token is bound
    /// to the listing's filters.
    pub fn list_opportunities(&self, query: OpportunityQuery) -> Result<OpportunityPage, EngineError> {
        let binding = paging::filter_binding(query.kind, query.status);
        let after = match PageToken::resume(&query.page_token, Listing::Opportunities, binding) {
            Ok(Cursor::After(id)) if !id.is_empty() => Some(id),
            Ok(_) => None,
            Err(message) => return Err(Violations::single("page_token", message).into()),
        };
        let size = if query.page_size == 0 {
            DEFAULT_LIST_PAGE_SIZE
        } else {
            query.page_size
        } as usize;
        let filter = OpportunityFilter {
            kind: query.kind,
            status: query.status,
        };
        let (opportunities, more) = self.store.list_opportunities(filter, after.as_deref(), size)?;
        let next_page_token = match (more, opportunities.last()) {
            (true, Some(last)) => PageToken {
                listing: Listing::Opportunities,
                binding,
                cursor: Cursor::After(last.id.clone()),
            }
            .encode(),
            _ => String::new(),
        };
        Ok(OpportunityPage {
            opportunities,
            next_page_token,
        })
    }

    /// Closes an opportunity.
    pub fn close_opportunity(&self, id: &str) -> Result<Opportunity, EngineError> {
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
