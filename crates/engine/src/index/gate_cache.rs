//! The kind gate of every segment as a bit set, kept between searches.
//!
//! Every retrieval filters by one `eligible_kind` term, and at a million alumni
//! that term's posting list holds most of each segment: reading it and masking
//! out deleted documents for each query cost several milliseconds. A segment's
//! documents never change once written, and its deletes change only with a
//! new delete opstamp, so the set of a (segment, delete opstamp, term) is
//! computed once and shared until the segment is merged away or gets new
//! deletes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tantivy::{DocSet, Opstamp, SegmentReader, TERMINATED, Term, index::SegmentId, schema::IndexRecordOption};

/// The alive documents of one segment holding one term, one bit per doc id.
pub(super) type Bits = Arc<Vec<u64>>;

/// Entries kept before the ones of segments no longer searched are dropped.
const PRUNE_ABOVE: usize = 256;

type Key = (SegmentId, Option<Opstamp>, Term);

/// Bit sets of alive documents per segment, delete generation and term.
#[derive(Default)]
pub(super) struct GateCache {
    entries: Mutex<HashMap<Key, Bits>>,
}

impl GateCache {
    /// The alive documents of `reader` that hold `term`, from the cache or read
    /// now (and kept).
    pub(super) fn alive_with(&self, reader: &SegmentReader, term: &Term) -> tantivy::Result<Bits> {
        let key = (reader.segment_id(), reader.delete_opstamp(), term.clone());
        if let Some(bits) = self.lock().get(&key) {
            return Ok(Arc::clone(bits));
        }
        // Computed outside the lock: two searches may both compute a missing
        // set, which is cheaper than making every search wait for one.
        let bits = Arc::new(alive_with(reader, term)?);
        self.lock().insert(key, Arc::clone(&bits));
        Ok(bits)
    }

    /// Drops the entries of segments (or delete generations) not among
    /// `current`, once there are many.
    pub(super) fn retain_segments(&self, current: &[SegmentReader]) {
        let mut entries = self.lock();
        if entries.len() <= PRUNE_ABOVE {
            return;
        }
        entries.retain(|(segment, opstamp, _), _| {
            current
                .iter()
                .any(|reader| reader.segment_id() == *segment && reader.delete_opstamp() == *opstamp)
        });
    }

    /// Entries held (for tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bits>> {
        // The map holds only derived data that is valid whenever it is present:
        // a panic elsewhere while it was locked leaves nothing half-written.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The alive documents of `reader` holding `term`.
pub(super) fn alive_with(reader: &SegmentReader, term: &Term) -> tantivy::Result<Vec<u64>> {
    let mut words = vec![0u64; (reader.max_doc() as usize).div_ceil(64)];
    let inverted = reader.inverted_index(term.field())?;
    let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? else {
        return Ok(words);
    };
    let mut doc = postings.doc();
    while doc != TERMINATED {
        words[(doc / 64) as usize] |= 1 << (doc % 64);
        doc = postings.advance();
    }
    if let Some(alive) = reader.alive_bitset() {
        for (i, word) in words.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                if alive.is_deleted((i as u32) * 64 + bit) {
                    *word &= !(1 << bit);
                }
                bits &= bits - 1;
            }
        }
    }
    Ok(words)
}
