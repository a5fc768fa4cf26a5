//! Top-k retrieval with the gates applied as a per-segment filter, and the text
//! disjunction scored with MaxScore pruning.
//!
//! Put into a tantivy `BooleanQuery` as MUST clauses, the gates make tantivy
//! intersect every posting list of the text disjunction with the gate's, and
//! score every document that passes the gate and matches any term. Here the
//! gate and the required-skill filters are materialised once per segment as a
//! bit set of the alive documents that pass them (which also gives the eligible
//! count without a second pass), and the text clauses are scored with MaxScore
//! (Turtle and Flood, 1995; the bulk, windowed form Lucene uses): clauses are
//! ordered by their highest possible BM25 contribution, and once the best
//! `limit` documents so far set a threshold, the clauses whose maxima together
//! cannot beat it are "non-essential": they are no longer iterated, only probed
//! (a skip-list seek) for documents an essential clause found, and only while
//! the document could still reach the threshold. Long opportunity texts make
//! many clauses whose posting lists are long and whose weights are low (common
//! words); those are exactly the ones MaxScore stops reading. Pruning is exact:
//! a document is passed over only when its best possible score cannot beat the
//! current threshold, and documents are visited in address order so ties keep
//! the earliest, as an unpruned top-k does.
//!
//! Block-max WAND (tantivy's `for_each_pruning` on a term disjunction) was
//! measured on the 100,000-alumnus benchmark and rejected: with a few hundred
//! term clauses its pivot selection costs more than it skips (about four times
//! slower than the plain union).

use std::{
    cmp::Ordering,
    collections::{BinaryHeap, HashSet},
    sync::Arc,
};

use super::{
    IndexError,
    gate_cache::{self, Bits, GateCache},
};
use crate::cancel::Cancellation;
use tantivy::{
    DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, Term,
    fieldnorm::FieldNormReader,
    postings::{Postings, SegmentPostings},
    query::Bm25Weight,
    schema::IndexRecordOption,
};

/// The alive documents of one segment that pass every filter term.
pub(super) struct SegmentFilter {
    words: Bits,
    count: u64,
}

impl SegmentFilter {
    /// Documents of `reader` that are alive and hold every term of `filters`
    /// (which must not be empty: the kind gate is always the first). The first
    /// term's set comes from `cache`; the others (required skills, which vary
    /// by query) are read and intersected with it.
    pub(super) fn build(reader: &SegmentReader, filters: &[Term], cache: &GateCache) -> tantivy::Result<Self> {
        let Some((gate, others)) = filters.split_first() else {
            return Ok(Self {
                words: Arc::new(Vec::new()),
                count: 0,
            });
        };
        let mut words = cache.alive_with(reader, gate)?;
        if !others.is_empty() {
            let mut intersection = words.as_ref().clone();
            for term in others {
                let other = gate_cache::alive_with(reader, term)?;
                for (word, other) in intersection.iter_mut().zip(&other) {
                    *word &= other;
                }
            }
            words = Arc::new(intersection);
        }
        let count = words.iter().map(|w| u64::from(w.count_ones())).sum();
        Ok(Self { words, count })
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
    /// The part of `score` the text clauses gave (see [`TextClause::text`]).
    text: Score,
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

    /// The score a document must beat to enter.
    fn threshold(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.is_full() => worst.score,
            _ => Score::NEG_INFINITY,
        }
    }

    fn push(&mut self, score: Score, text: Score, address: DocAddress) {
        let entry = Scored { score, text, address };
        if !self.is_full() {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry < *worst) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }
}

/// One clause: a term in a field, with its boost.
#[derive(Debug, Clone)]
pub(super) struct TextClause {
    /// The term, in the field it is searched in.
    pub term: Term,
    /// Multiplies the clause's BM25 score.
    pub boost: Score,
    /// Whether the clause is text (a word of the opportunity) rather than an
    /// occupation of the career: both choose who is retrieved, and the text
    /// part alone is reported as text relevance.
    pub text: bool,
}

/// A clause's BM25 weight over the whole searcher (as tantivy's `TermQuery`
/// computes it) and the highest score it can give one document.
struct ScoredClause {
    term: Term,
    bm25: Bm25Weight,
    max_score: Score,
    text: bool,
}

/// A clause's postings in one segment.
struct Cursor<'a> {
    clause: &'a ScoredClause,
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
}

impl Cursor<'_> {
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn score(&self) -> Score {
        let doc = self.postings.doc();
        self.clause
            .bm25
            .score(self.fieldnorms.fieldnorm_id(doc), self.postings.term_freq())
    }
}

/// One retrieved document: its whole score, the text part of it, its address.
pub(super) type ScoredDoc = (Score, Score, DocAddress);

/// Documents scored together by the essential clauses: one window of doc ids.
const WINDOW: u32 = 4096;

/// The `limit` best documents for the disjunction of `clauses` among those
/// passing `filters` (best first) as `(score, text part of it, address)`, and
/// the number of documents passing `filters`. Passing documents the clauses do
/// not match score 0 and fill the remaining places, earliest first.
pub(super) fn top_filtered(
    searcher: &Searcher,
    clauses: &[TextClause],
    filters: &[Term],
    limit: usize,
    cache: &GateCache,
    cancel: &Cancellation,
) -> Result<(u64, Vec<ScoredDoc>), IndexError> {
    let mut scored: Vec<ScoredClause> = Vec::with_capacity(clauses.len());
    for clause in clauses {
        let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(&clause.term))?.boost_by(clause.boost);
        let max_score = bm25.max_score();
        scored.push(ScoredClause {
            term: clause.term.clone(),
            bm25,
            max_score,
            text: clause.text,
        });
    }
    // Cheapest first: non-essential clauses are always a prefix.
    scored.sort_by(|a, b| a.max_score.total_cmp(&b.max_score));

    let mut top = TopK::new(limit.max(1));
    let mut eligible = 0;
    let mut filters_by_segment = Vec::with_capacity(searcher.segment_readers().len());
    for (segment_ord, reader) in searcher.segment_readers().iter().enumerate() {
        cancel.check().map_err(IndexError::Stopped)?;
        let filter = SegmentFilter::build(reader, filters, cache)?;
        eligible += filter.count;
        if filter.count > 0 {
            let mut cursors = Vec::with_capacity(scored.len());
            for clause in &scored {
                let field = clause.term.field();
                let inverted = reader.inverted_index(field)?;
                if let Some(postings) = inverted.read_postings(&clause.term, IndexRecordOption::WithFreqs)? {
                    cursors.push(Cursor {
                        clause,
                        postings,
                        fieldnorms: reader.get_fieldnorms_reader(field)?,
                    });
                }
            }
            max_score_segment(&mut cursors, &filter, segment_ord as u32, &mut top);
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
                    top.push(0.0, 0.0, address);
                }
            }
        }
    }
    let mut best: Vec<Scored> = top.heap.into_vec();
    best.sort();
    Ok((
        eligible,
        best.into_iter().map(|s| (s.score, s.text, s.address)).collect(),
    ))
}

/// MaxScore over one segment's cursors (sorted by ascending maximum score),
/// offering every document that passes `filter` and may beat the threshold.
fn max_score_segment(cursors: &mut [Cursor<'_>], filter: &SegmentFilter, segment_ord: u32, top: &mut TopK) {
    // upper_bounds[i]: the most clauses 0..=i can add together.
    let upper_bounds: Vec<Score> = cursors
        .iter()
        .scan(0.0, |sum, c| {
            *sum += c.clause.max_score;
            Some(*sum)
        })
        .collect();
    let mut scores = vec![0.0 as Score; WINDOW as usize];
    let mut text_scores = vec![0.0 as Score; WINDOW as usize];
    let mut hit = [0u64; (WINDOW / 64) as usize];
    let mut window_start: DocId = 0;
    loop {
        // The essential/non-essential split is fixed for a window, so a clause
        // never both accumulates and is probed for the same document.
        let threshold = top.threshold();
        let first_essential = upper_bounds.iter().take_while(|&&bound| bound <= threshold).count();
        if first_essential == cursors.len() {
            return;
        }
        let (non_essential, essential) = cursors.split_at_mut(first_essential);
        let next_doc = essential.iter().map(Cursor::doc).min().unwrap_or(TERMINATED);
        if next_doc == TERMINATED {
            return;
        }
        window_start = window_start.max(next_doc - next_doc % WINDOW);
        let window_end = window_start.saturating_add(WINDOW);
        for cursor in essential.iter_mut() {
            let mut doc = cursor.doc();
            while doc < window_end {
                if filter.contains(doc) {
                    let slot = (doc - window_start) as usize;
                    let score = cursor.score();
                    scores[slot] += score;
                    if cursor.clause.text {
                        text_scores[slot] += score;
                    }
                    hit[slot / 64] |= 1 << (slot % 64);
                }
                doc = cursor.postings.advance();
            }
        }
        for (word_index, word) in hit.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let slot = word_index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let doc = window_start + slot as DocId;
                let mut score = std::mem::take(&mut scores[slot]);
                let mut text = std::mem::take(&mut text_scores[slot]);
                let threshold = top.threshold();
                for (i, cursor) in non_essential.iter_mut().enumerate().rev() {
                    if score + upper_bounds[i] <= threshold {
                        // Not pushed: what the text gave no longer matters.
                        break;
                    }
                    if cursor.doc() < doc {
                        cursor.postings.seek(doc);
                    }
                    if cursor.doc() == doc {
                        let part = cursor.score();
                        score += part;
                        if cursor.clause.text {
                            text += part;
                        }
                    }
                }
                if score > threshold {
                    top.push(score, text, DocAddress::new(segment_ord, doc));
                }
            }
        }
        window_start = window_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_best_and_breaks_ties_by_address() {
        let mut top = TopK::new(2);
        top.push(1.0, 1.0, DocAddress::new(0, 5));
        top.push(3.0, 1.0, DocAddress::new(0, 1));
        assert!(top.is_full());
        top.push(1.0, 0.0, DocAddress::new(0, 2));
        top.push(0.5, 0.5, DocAddress::new(0, 3));
        let mut best = top.heap.into_vec();
        best.sort();
        let kept: Vec<(Score, u32)> = best.iter().map(|s| (s.score, s.address.doc_id)).collect();
        assert_eq!(kept, vec![(3.0, 1), (1.0, 2)]);
    }
}
