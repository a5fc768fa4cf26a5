//! Top-k retrieval with the gates applied as a per-segment filter.
//!
//! Put into a tantivy `BooleanQuery` as MUST clauses, the gates make tantivy
//! intersect every posting list of the text disjunction with the gate's: work
//! per document on top of the union. Here the gate and the required-skill
//! filters are instead materialised once per segment as a bit set of the alive
//! documents that pass them (which also gives the eligible count without a
//! second pass), the text query alone (a pure disjunction of term queries) runs
//! as tantivy's buffered union, and a document it offers is kept only when its
//! bit is set.
//!
//! Block-max WAND (tantivy's `for_each_pruning` on a term disjunction) was
//! measured on the 100,000-alumnus benchmark and rejected: with a few hundred
//! term clauses (32 terms per analyzer in five fields) and a pool of 300 its
//! pivot selection costs more than it skips, about four times slower than the
//! plain union.

use std::{
    cmp::Ordering,
    collections::{BinaryHeap, HashSet},
};

use tantivy::{
    DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term,
    query::{EnableScoring, Query},
    schema::IndexRecordOption,
};

/// The alive documents of one segment that pass every filter term.
pub(super) struct SegmentFilter {
    words: Vec<u64>,
    count: u64,
}

impl SegmentFilter {
    /// Documents of `reader` that are alive and hold every term of `filters`
    /// (which must not be empty: the kind gate is always one of them).
    pub(super) fn build(reader: &SegmentReader, filters: &[Term]) -> tantivy::Result<Self> {
        let words_len = (reader.max_doc() as usize).div_ceil(64);
        let mut set = Self {
            words: vec![0; words_len],
            count: 0,
        };
        let mut scratch = vec![0u64; if filters.len() > 1 { words_len } else { 0 }];
        for (i, term) in filters.iter().enumerate() {
            let target = if i == 0 { &mut set.words } else { &mut scratch };
            target.fill(0);
            let inverted = reader.inverted_index(term.field())?;
            let Some(mut postings) = inverted.read_postings(term, IndexRecordOption::Basic)? else {
                // A filter term absent from the segment: nothing here passes.
                set.words.fill(0);
                return Ok(set);
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                target[(doc / 64) as usize] |= 1 << (doc % 64);
                doc = postings.advance();
            }
            if i > 0 {
                for (word, other) in set.words.iter_mut().zip(&scratch) {
                    *word &= other;
                }
            }
        }
        if let Some(alive) = reader.alive_bitset() {
            for (i, word) in set.words.iter_mut().enumerate() {
                let mut bits = *word;
                while bits != 0 {
                    let bit = bits.trailing_zeros();
                    let doc = (i as u32) * 64 + bit;
                    if alive.is_deleted(doc) {
                        *word &= !(1 << bit);
                    }
                    bits &= bits - 1;
                }
            }
        }
        set.count = set.words.iter().map(|w| u64::from(w.count_ones())).sum();
        Ok(set)
    }

    /// Whether `doc` passes.
    fn contains(&self, doc: DocId) -> bool {
        self.words
            .get((doc / 64) as usize)
            .is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    /// The passing documents in doc-id order.
    fn iter(&self) -> impl Iterator<Item = DocId> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    (i as u32) * 64 + bit
                })
            })
        })
    }
}

/// A scored document; the heap keeps the worst on top (lowest score, then the
/// highest address, so that among equal scores the earliest documents stay).
#[derive(Debug, Clone, Copy)]
struct Scored {
    score: Score,
    address: DocAddress,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    /// "Greater" is worse, so `BinaryHeap` (a max-heap) keeps the worst on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.address.cmp(&other.address))
    }
}

/// The best `limit` documents seen so far.
struct TopK {
    limit: usize,
    heap: BinaryHeap<Scored>,
}

impl TopK {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            heap: BinaryHeap::with_capacity(limit + 1),
        }
    }

    fn is_full(&self) -> bool {
        self.heap.len() >= self.limit
    }

    fn push(&mut self, score: Score, address: DocAddress) {
        let entry = Scored { score, address };
        if !self.is_full() {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry < *worst) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }
}

/// The `limit` best documents for `text_query` among those passing `filters`
/// (best first), and the number of documents passing `filters`. Passing
/// documents the text does not match score 0 and fill the remaining places.
pub(super) fn top_filtered(
    searcher: &Searcher,
    text_query: Option<&dyn Query>,
    filters: &[Term],
    limit: usize,
) -> tantivy::Result<(u64, Vec<(Score, DocAddress)>)> {
    let weight = text_query
        .map(|query| query.weight(EnableScoring::enabled_from_searcher(searcher)))
        .transpose()?;
    let mut top = TopK::new(limit.max(1));
    let mut eligible = 0;
    let mut filters_by_segment = Vec::with_capacity(searcher.segment_readers().len());
    for (segment_ord, reader) in searcher.segment_readers().iter().enumerate() {
        let filter = SegmentFilter::build(reader, filters)?;
        eligible += filter.count;
        if filter.count > 0
            && let Some(weight) = &weight
        {
            let segment_ord = segment_ord as u32;
            weight.for_each(reader, &mut |doc, score| {
                if filter.contains(doc) {
                    top.push(score, DocAddress::new(segment_ord, doc));
                }
            })?;
        }
        filters_by_segment.push(filter);
    }
    // The text is optional, as a SHOULD beside MUST filters is: when fewer
    // documents match it than asked for, passing documents that match none of
    // it follow with score 0, earliest first.
    if !top.is_full() {
        let taken: HashSet<DocAddress> = top.heap.iter().map(|s| s.address).collect();
        'fill: for (segment_ord, filter) in filters_by_segment.iter().enumerate() {
            for doc in filter.iter() {
                if top.is_full() {
                    break 'fill;
                }
                let address = DocAddress::new(segment_ord as u32, doc);
                if !taken.contains(&address) {
                    top.push(0.0, address);
                }
            }
        }
    }
    let mut best: Vec<Scored> = top.heap.into_vec();
    best.sort();
    Ok((eligible, best.into_iter().map(|s| (s.score, s.address)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_best_and_breaks_ties_by_address() {
        let mut top = TopK::new(2);
        top.push(1.0, DocAddress::new(0, 5));
        top.push(3.0, DocAddress::new(0, 1));
        assert!(top.is_full());
        top.push(1.0, DocAddress::new(0, 2));
        top.push(0.5, DocAddress::new(0, 3));
        let mut best = top.heap.into_vec();
        best.sort();
        let kept: Vec<(Score, u32)> = best.iter().map(|s| (s.score, s.address.doc_id)).collect();
        assert_eq!(kept, vec![(3.0, 1), (1.0, 2)]);
    }
}
