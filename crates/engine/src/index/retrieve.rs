//! Retrieval: the best alumni for a query on one consistent snapshot of the
//! index, with the gates applied inside the search.

use std::collections::HashMap;

use tantivy::{
    DocAddress, Searcher, Term,
    collector::TopDocs,
    query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery},
    schema::IndexRecordOption,
};

use super::{
    AlumniIndex, IndexError, RetrievalQuery, gated,
    query::BIGRAM_WEIGHT,
    schema::{CAREER_FIELD, FIELD_BOOSTS},
};
use crate::cancel::Cancellation;

/// A retrieved alumnus: id and scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Alumnus id.
    pub id: String,
    /// Text relevance (BM25 of the opportunity's words, field-boosted).
    pub bm25: f32,
    /// What retrieval ranked by: the text relevance and the career's
    /// occupations against the opportunity's (BM25 over the occupation codes).
    pub retrieval: f32,
    /// What the career's titles named when the alumnus was indexed, encoded
    /// (`taxonomy::RecognisedCareer::encode`; empty when the index holds none).
    pub career: Vec<u8>,
}

/// Result of retrieval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieved {
    /// Alumni that pass the gates and filters, ranked or not.
    pub total_eligible: u64,
    /// The best `pool` of them by BM25, best first, ties by id.
    pub hits: Vec<Hit>,
}

/// A consistent point-in-time view of the index for one or many searches; the
/// engine holds one for a whole ranking or re-score run.
#[derive(Clone)]
pub struct Snapshot(Searcher);

impl Snapshot {
    /// Documents visible in the snapshot.
    pub fn num_docs(&self) -> u64 {
        self.0.num_docs()
    }

    /// Segments in the snapshot.
    pub fn segments(&self) -> usize {
        self.0.segment_readers().len()
    }

    pub(super) fn searcher(&self) -> &Searcher {
        &self.0
    }
}

impl AlumniIndex {
    /// A snapshot of what is committed now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(self.searcher())
    }

    /// The filter terms of `query`: the kind gate first, then every required
    /// skill key. A result must hold all of them.
    fn filter_terms(&self, query: &RetrievalQuery) -> Vec<Term> {
        let f = &self.fields;
        std::iter::once(Term::from_field_u64(f.eligible_kind, query.kind.code()))
            .chain(
                query
                    .required_skill_keys
                    .iter()
                    .map(|key| Term::from_field_text(f.skill_keys, key)),
            )
            .collect()
    }

    /// The text part of `query`: each term in each field that searches it (see
    /// [`FIELD_BOOSTS`]), boosted by the term's weight, the field's boost and the
    /// analyzer's weight; and each occupation term in the occupations field.
    fn text_clauses(&self, query: &RetrievalQuery) -> Vec<gated::TextClause> {
        let f = &self.fields;
        let mut clauses = Vec::new();
        for (words, terms, variant_weight) in [
            (true, &query.word_terms, 1.0),
            (false, &query.bigram_terms, BIGRAM_WEIGHT),
        ] {
            for (rank, (term, weight)) in terms.iter().enumerate() {
                for (field, boost, max_terms) in FIELD_BOOSTS {
                    if rank >= max_terms {
                        continue;
                    }
                    let pair = f.text(field);
                    let field = if words { pair.words } else { pair.bigrams };
                    clauses.push(gated::TextClause {
                        term: Term::from_field_text(field, term),
                        boost: weight * boost * variant_weight,
                        text: true,
                    });
                }
            }
        }
        for (code, weight) in &query.occupation_terms {
            clauses.push(gated::TextClause {
                term: Term::from_field_text(f.occupations, code),
                boost: *weight,
                text: false,
            });
        }
        clauses
    }

    /// The whole query as one tantivy query: filters as zero-scoring MUST
    /// clauses, text terms as boosted SHOULD clauses. It scores exactly as
    /// [`AlumniIndex::retrieve`] does.
    pub fn tantivy_query(&self, query: &RetrievalQuery) -> BooleanQuery {
        self.tantivy_query_of(query, false)
    }

    /// [`AlumniIndex::tantivy_query`], with the text clauses only when `text_only`.
    fn tantivy_query_of(&self, query: &RetrievalQuery, text_only: bool) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .filter_terms(query)
            .into_iter()
            .map(|term| {
                let filter = TermQuery::new(term, IndexRecordOption::Basic);
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(filter), 0.0)) as Box<dyn Query>,
                )
            })
            .collect();
        let text: Vec<(Occur, Box<dyn Query>)> = self
            .text_clauses(query)
            .into_iter()
            .filter(|clause| clause.text || !text_only)
            .map(|clause| {
                let term_query = TermQuery::new(clause.term, IndexRecordOption::WithFreqs);
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term_query), clause.boost)) as Box<dyn Query>,
                )
            })
            .collect();
        if !text.is_empty() {
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(text))));
        }
        BooleanQuery::new(clauses)
    }

    /// The share of the snapshot's alumni that list the skill with this
    /// canonical key (0 for an empty index).
    pub fn skill_share(&self, snapshot: &Snapshot, key: &str) -> f64 {
        let searcher = snapshot.searcher();
        let docs = searcher.num_docs();
        if docs == 0 {
            return 0.0;
        }
        let term = Term::from_field_text(self.fields.skill_keys, key);
        // Deleted documents still count in a term's frequency until merged away:
        // a share, not a count, so the bias is small and the cap keeps it in range.
        searcher
            .doc_freq(&term)
            .map_or(0.0, |n| (n as f64 / docs as f64).min(1.0))
    }

    /// The text relevance one alumnus gets for `query` (the BM25 of its text
    /// clauses, as [`Hit::bm25`], with the gates applied): `None` when the
    /// alumnus is not in the index or fails the gates.
    pub fn score_of(&self, snapshot: &Snapshot, query: &RetrievalQuery, id: &str) -> Result<Option<f32>, IndexError> {
        let only = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let restricted = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(self.tantivy_query_of(query, true)) as Box<dyn Query>,
            ),
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(only), 0.0))),
        ]);
        let top = snapshot
            .searcher()
            .search(&restricted, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.first().map(|(score, _)| *score))
    }

    /// Retrieves the `pool` best alumni for `query` from `searcher`, and counts all eligible.
    /// Stops between segments once `cancel` says so.
    pub fn retrieve(
        &self,
        snapshot: &Snapshot,
        query: &RetrievalQuery,
        pool: usize,
        cancel: &Cancellation,
    ) -> Result<Retrieved, IndexError> {
        let searcher = snapshot.searcher();
        let (total_eligible, top) = gated::top_filtered(
            searcher,
            &self.text_clauses(query),
            &self.filter_terms(query),
            pool,
            &self.gates,
            cancel,
        )?;
        self.gates.retain_segments(searcher.segment_readers());
        let mut hits = Vec::with_capacity(top.len());
        let mut columns = HashMap::new();
        let mut id = String::new();
        for (score, text, address) in top {
            let DocAddress { segment_ord, doc_id } = address;
            let (ids, careers) = match columns.entry(segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let fast = searcher.segment_reader(segment_ord).fast_fields();
                    e.insert((fast.str("id")?, fast.bytes(CAREER_FIELD)?))
                }
            };
            let Some(ids) = ids else { continue };
            id.clear();
            if let Some(ord) = ids.term_ords(doc_id).next()
                && ids.ord_to_str(ord, &mut id)?
            {
                let mut career = Vec::new();
                if let Some(careers) = careers
                    && let Some(ord) = careers.term_ords(doc_id).next()
                    && !careers.ord_to_bytes(ord, &mut career)?
                {
                    career.clear();
                }
                hits.push(Hit {
                    id: id.clone(),
                    bm25: text,
                    retrieval: score,
                    career,
                });
            }
        }
        // Ties are broken by id so results do not depend on segment layout.
        hits.sort_by(|a, b| b.retrieval.total_cmp(&a.retrieval).then_with(|| a.id.cmp(&b.id)));
        Ok(Retrieved { total_eligible, hits })
    }
}
