//! The tantivy index of alumni, derived from the store.
//!
//! One document per alumnus with BM25-searchable text fields (skills, titles,
//! experience, headline, interests), each indexed twice: as words from the
//! Japanese morphological analyzer ([`JapaneseTokenizer`], so 京都 does not match
//! 東京都) and as CJK character bigrams ([`MultilingualTokenizer`], for recall on
//! words the dictionary splits differently). Without the dictionary only the
//! bigram fields are filled. Also the canonical skill keys, and the kinds of
//! opportunity the alumnus may be returned for (`eligible_kind`, computed by
//! [`Alumnus::passes_gates`]). Retrieval always puts the gate on `eligible_kind`
//! inside the query, so an ineligible alumnus can never be retrieved.
//!
//! The index commit payload records the store's change-log sequence the index
//! reflects, which is how start-up knows whether to catch up or rebuild.

mod gated;
mod japanese;
mod tokenizer;

use std::{collections::HashMap, path::Path};

use serde::{Deserialize, Serialize};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
    collector::TopDocs,
    directory::MmapDirectory,
    query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery},
    schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions},
};

pub use japanese::{
    BuildReport, DEFAULT_DICTIONARY_DIR, DEFAULT_IPADIC_SOURCE, DictionaryStamp, JAPANESE, JapaneseDictionaryError,
    JapaneseMorphology, JapaneseTokenizer, build_ipadic,
};
pub use tokenizer::{BufferedTokenStream, MULTILINGUAL, MultilingualTokenizer, tokenize};

use crate::{
    cancel::{Cancellation, Stop},
    domain::{Alumnus, Opportunity, OpportunityKind},
    taxonomy::Taxonomy,
};

/// Bumped whenever the schema or the way documents are built changes: an index
/// with another version is rebuilt from the store at start-up.
pub const SCHEMA_VERSION: u32 = 2;

/// [`CommitPayload::analyzer`] of an index built without the Japanese dictionary.
pub const BIGRAM_ONLY: &str = "bigram-only";

/// Weight of a bigram match relative to a word match in the same field: bigrams
/// also match inside other words (京都 in 東京都), so they only add recall.
pub const BIGRAM_WEIGHT: f32 = 0.4;

/// Most distinct query terms taken per analyzer from one opportunity (highest
/// weight first), so a 20,000-character description cannot make a query of
/// thousands of clauses. Each term is a clause in five fields, and retrieval
/// cost grows with the clauses' posting lists: on the judged evaluation set
/// (`alumni-match-tools eval --alumni 20000`) NDCG@10 was 0.939 with 64 terms, 0.940
/// with 32 and 0.931 with 16.
pub const MAX_QUERY_TERMS: usize = 32;

/// Errors of the search index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// File-system error around the index directory.
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    /// The search was stopped (deadline, cancellation, shutdown).
    #[error("search stopped: {0:?}")]
    Stopped(Stop),
}

/// What [`AlumniIndex::purge_deleted`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    /// Searchable segments before the purge.
    pub segments_before: usize,
    /// Searchable segments after it.
    pub segments_after: usize,
    /// Deleted documents physically removed from the segment files.
    pub documents_removed: u64,
}

/// What the last commit of the index says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPayload {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Store change-log sequence reflected by the index.
    pub alumni_seq: u64,
    /// [`JapaneseMorphology::id`] of the dictionary the word fields were built
    /// with, or [`BIGRAM_ONLY`].
    pub analyzer: String,
}

/// A text field as its two indexed variants.
#[derive(Debug, Clone, Copy)]
struct TextPair {
    /// Words from the morphological analyzer.
    words: Field,
    /// Character bigrams (and Latin words).
    bigrams: Field,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    headline: TextPair,
    skills: TextPair,
    titles: TextPair,
    experience: TextPair,
    interests: TextPair,
    skill_keys: Field,
    eligible_kind: Field,
}

/// Relative weight of a match in each text field, and how many of the query's
/// terms (heaviest first) are searched in it. The long free-text fields
/// (position descriptions, interest statements) hold the longest posting lists,
/// and matching an opportunity's every word against them added cost but no
/// quality. On the judged evaluation set (`alumni-match-tools eval --alumni 20000`)
/// NDCG@10 was 0.940 with all 32 terms in every field, 0.937 with 8 and 0.941
/// with 4 in those two; on the 1,000,000-alumnus benchmark, Match p50 at
/// concurrency 1 went from 57.5 ms to 44.4 ms and 37.8 ms. They keep the
/// heaviest terms (required skills first), so a skill named only in a
/// description or an interest statement is still found.
const FIELD_BOOSTS: [(TextField, f32, usize); 5] = [
    (TextField::Skills, 2.0, MAX_QUERY_TERMS),
    (TextField::Titles, 1.5, MAX_QUERY_TERMS),
    (TextField::Headline, 1.2, MAX_QUERY_TERMS),
    (TextField::Experience, 1.0, FREE_TEXT_QUERY_TERMS),
    (TextField::Interests, 0.8, FREE_TEXT_QUERY_TERMS),
];

/// Query terms searched in the long free-text fields (see [`FIELD_BOOSTS`]).
const FREE_TEXT_QUERY_TERMS: usize = 4;

#[derive(Debug, Clone, Copy)]
enum TextField {
    Headline,
    Skills,
    Titles,
    Experience,
    Interests,
}

impl Fields {
    fn text(&self, field: TextField) -> TextPair {
        match field {
            TextField::Headline => self.headline,
            TextField::Skills => self.skills,
            TextField::Titles => self.titles,
            TextField::Experience => self.experience,
            TextField::Interests => self.interests,
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut pair = |name: &str| TextPair {
        words: builder.add_text_field(name, text(JAPANESE)),
        bigrams: builder.add_text_field(&format!("{name}_bigram"), text(MULTILINGUAL)),
    };
    let headline = pair("headline");
    let skills = pair("skills");
    let titles = pair("titles");
    let experience = pair("experience");
    let interests = pair("interests");
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        headline,
        skills,
        titles,
        experience,
        interests,
        skill_keys: builder.add_text_field("skill_keys", STRING),
        eligible_kind: builder.add_u64_field("eligible_kind", INDEXED),
    };
    (builder.build(), fields)
}

/// The query half of retrieval: weighted terms and the gates of one opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalQuery {
    /// The kind whose gates apply.
    pub kind: OpportunityKind,
    /// Distinct words from the morphological analyzer with their weights, highest
    /// first (empty without the Japanese dictionary).
    pub word_terms: Vec<(String, f32)>,
    /// Distinct bigram-analyzer terms with their weights, highest first.
    pub bigram_terms: Vec<(String, f32)>,
    /// Canonical skill keys every result must have (empty = no such filter).
    pub required_skill_keys: Vec<String>,
}

/// Distinct terms of weighted texts, keeping each term's highest weight; the
/// [`MAX_QUERY_TERMS`] heaviest, ties in order of first appearance.
fn weighted_terms(texts: &[(&str, f32)], tokenize: impl Fn(&str, &mut dyn FnMut(&str))) -> Vec<(String, f32)> {
    let mut weights: HashMap<String, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    for &(text, weight) in texts {
        tokenize(text, &mut |term| {
            let entry = weights.entry(term.to_owned()).or_insert((0.0, order));
            entry.0 = entry.0.max(weight);
            order += 1;
        });
    }
    let mut terms: Vec<(String, f32, usize)> = weights.into_iter().map(|(t, (w, o))| (t, w, o)).collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    terms.truncate(MAX_QUERY_TERMS);
    terms.into_iter().map(|(t, w, _)| (t, w)).collect()
}

impl RetrievalQuery {
    /// Builds the query for an opportunity: required skills weigh most, then the
    /// title and preferred skills, then the rest of the text. `morphology` is the
    /// index's ([`AlumniIndex::morphology`]), so query words match indexed words.
    pub fn for_opportunity(
        opportunity: &Opportunity,
        taxonomy: &Taxonomy,
        require_all_required_skills: bool,
        morphology: Option<&JapaneseMorphology>,
    ) -> Self {
        let mut texts: Vec<(&str, f32)> = Vec::new();
        let canonical: Vec<String> = opportunity
            .required_skills
            .iter()
            .chain(&opportunity.preferred_skills)
            .map(|skill| taxonomy.canonical_skill(skill).display)
            .collect();
        let (required_canonical, preferred_canonical) = canonical.split_at(opportunity.required_skills.len());
        for (skill, canonical) in opportunity.required_skills.iter().zip(required_canonical) {
            texts.push((skill, 3.0));
            texts.push((canonical, 3.0));
        }
        texts.push((&opportunity.title, 2.0));
        for (skill, canonical) in opportunity.preferred_skills.iter().zip(preferred_canonical) {
            texts.push((skill, 1.5));
            texts.push((canonical, 1.5));
        }
        texts.push((&opportunity.department, 0.8));
        texts.push((&opportunity.seniority, 0.5));
        texts.push((&opportunity.description, 0.5));
        let mut bigram_terms = weighted_terms(&texts, |text, emit| tokenize(text, |term, _, _| emit(term)));
        let mut word_terms = match morphology {
            Some(morphology) => weighted_terms(&texts, |text, emit| morphology.tokenize(text, |term, _, _| emit(term))),
            None => Vec::new(),
        };
        // Both analyzers emit Latin words unchanged, so a term both produced would
        // read the same posting list twice (in the word and the bigram field).
        // Query it once, in the word field, with the bigram clause's weight added:
        // the score stays the same wherever the two fields have equal length (all
        // of a Latin-script profile) and retrieval reads half the postings.
        if !word_terms.is_empty() {
            let bigram_weights: HashMap<&str, f32> = bigram_terms.iter().map(|(t, w)| (t.as_str(), *w)).collect();
            let mut shared = std::collections::HashSet::new();
            for (term, weight) in &mut word_terms {
                if let Some(bigram_weight) = bigram_weights.get(term.as_str()) {
                    *weight += BIGRAM_WEIGHT * bigram_weight;
                    shared.insert(term.clone());
                }
            }
            bigram_terms.retain(|(term, _)| !shared.contains(term));
        }
        let required_skill_keys = if require_all_required_skills {
            let mut keys: Vec<String> = opportunity
                .required_skills
                .iter()
                .map(|s| taxonomy.canonical_skill(s).key)
                .collect();
            keys.sort();
            keys.dedup();
            keys
        } else {
            Vec::new()
        };
        Self {
            kind: opportunity.kind,
            word_terms,
            bigram_terms,
            required_skill_keys,
        }
    }
}

fn analyzer_id(morphology: Option<&JapaneseMorphology>) -> String {
    morphology.map_or_else(|| BIGRAM_ONLY.to_owned(), |m| m.id().to_owned())
}

/// A retrieved alumnus: id and BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Alumnus id.
    pub id: String,
    /// Text relevance (BM25, field-boosted).
    pub bm25: f32,
}

/// Result of retrieval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Retrieved {
    /// Alumni that pass the gates and filters, ranked or not.
    pub total_eligible: u64,
    /// The best `pool` of them by BM25, best first, ties by id.
    pub hits: Vec<Hit>,
}

/// The alumni index: a reader for searches and the single writer.
pub struct AlumniIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    morphology: Option<JapaneseMorphology>,
}

impl AlumniIndex {
    /// Opens the index in `dir`, creating it when missing, with the Japanese word
    /// fields analysed by `morphology` (left empty without it). When the directory
    /// holds an index that cannot be opened, has another schema version or was
    /// built with another dictionary, it is wiped and created anew (the store is
    /// the system of record; start-up rebuilds).
    pub fn open(
        dir: &Path,
        morphology: Option<JapaneseMorphology>,
    ) -> Result<(Self, Option<CommitPayload>), IndexError> {
        std::fs::create_dir_all(dir)?;
        let analyzer = analyzer_id(morphology.as_ref());
        match Self::try_open(dir, morphology.clone()) {
            Ok((index, Some(payload))) if payload.schema_version == SCHEMA_VERSION && payload.analyzer == analyzer => {
                Ok((index, Some(payload)))
            }
            Ok((index, None)) if index.is_empty() => Ok((index, None)),
            outcome => {
                match outcome {
                    Err(error) => tracing::warn!(%error, "search index unreadable, recreating it"),
                    Ok(_) => {
                        tracing::info!(
                            analyzer,
                            "search index from another schema version or Japanese dictionary, recreating it"
                        )
                    }
                }
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Ok((Self::try_open(dir, morphology)?.0, None))
            }
        }
    }

    fn try_open(
        dir: &Path,
        morphology: Option<JapaneseMorphology>,
    ) -> Result<(Self, Option<CommitPayload>), IndexError> {
        let (schema, fields) = schema();
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        let tokenizers = index.tokenizers();
        tokenizers.register(MULTILINGUAL, MultilingualTokenizer::default());
        match &morphology {
            Some(morphology) => tokenizers.register(JAPANESE, JapaneseTokenizer::new(morphology.clone())),
            // The word fields stay empty without a dictionary, but the schema names
            // their tokenizer, which must exist.
            None => tokenizers.register(JAPANESE, MultilingualTokenizer::default()),
        }
        let payload = index
            .load_metas()?
            .payload
            .and_then(|text| serde_json::from_str::<CommitPayload>(&text).ok());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok((
            Self {
                index,
                reader,
                fields,
                morphology,
            },
            payload,
        ))
    }

    /// The Japanese dictionary the word fields are analysed with, if any.
    pub fn morphology(&self) -> Option<&JapaneseMorphology> {
        self.morphology.as_ref()
    }

    fn is_empty(&self) -> bool {
        self.reader.searcher().num_docs() == 0
    }

    /// The index writer; the caller keeps exactly one.
    pub fn writer(&self, threads: usize, memory_budget_bytes: usize) -> Result<IndexWriter, IndexError> {
        Ok(self
            .index
            .writer_with_num_threads(threads.max(1), memory_budget_bytes)?)
    }

    /// Replaces (or, with `None`, removes) the documents of the given alumni.
    pub fn stage(
        &self,
        writer: &IndexWriter,
        taxonomy: &Taxonomy,
        id: &str,
        alumnus: Option<&Alumnus>,
    ) -> Result<(), IndexError> {
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        if let Some(alumnus) = alumnus {
            writer.add_document(self.document(alumnus, taxonomy))?;
        }
        Ok(())
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&self, writer: &mut IndexWriter) -> Result<(), IndexError> {
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits staged changes with the sequence they bring the index to, then makes
    /// them visible to searches.
    pub fn commit(&self, writer: &mut IndexWriter, alumni_seq: u64) -> Result<(), IndexError> {
        let payload = CommitPayload {
            schema_version: SCHEMA_VERSION,
            alumni_seq,
            analyzer: analyzer_id(self.morphology.as_ref()),
        };
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Rewrites every segment that holds deleted documents into one segment without
    /// them, then removes the files no commit refers to any more. Until this runs,
    /// a deleted alumnus's terms and stored values are only marked deleted and still
    /// sit in the segment files. Call with everything staged committed.
    pub fn purge_deleted(&self, writer: &mut IndexWriter) -> Result<PurgeReport, IndexError> {
        let before = self.reader.searcher();
        let segments_before = before.segment_readers().len();
        let deleted_before: u64 = before
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.num_deleted_docs()))
            .sum();
        drop(before);
        // A background merge may hold some segments; they are free again once it
        // ends, so retry briefly rather than fail the purge.
        let mut attempts = 0;
        loop {
            let metas = self.index.searchable_segment_metas()?;
            let with_deletes: Vec<_> = metas.iter().filter(|m| m.has_deletes()).map(|m| m.id()).collect();
            if with_deletes.is_empty() {
                break;
            }
            let all: Vec<_> = metas.iter().map(|m| m.id()).collect();
            match writer.merge(&all).wait() {
                Ok(_) => break,
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    tracing::debug!(%error, attempts, "purge merge deferred by a running merge");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(error) => return Err(error.into()),
            }
        }
        writer.garbage_collect_files().wait()?;
        self.reader.reload()?;
        let after = self.reader.searcher();
        Ok(PurgeReport {
            segments_before,
            segments_after: after.segment_readers().len(),
            documents_removed: deleted_before,
        })
    }

    /// A consistent point-in-time view for one or many searches.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, alumnus: &Alumnus, taxonomy: &Taxonomy) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        let with_words = self.morphology.is_some();
        let add = |doc: &mut TantivyDocument, pair: TextPair, text: &str| {
            if with_words {
                doc.add_text(pair.words, text);
            }
            doc.add_text(pair.bigrams, text);
        };
        doc.add_text(f.id, &alumnus.id);
        add(&mut doc, f.headline, &alumnus.headline);
        let mut keys: Vec<String> = Vec::with_capacity(alumnus.skills.len());
        for skill in &alumnus.skills {
            let canonical = taxonomy.canonical_skill(&skill.name);
            add(&mut doc, f.skills, &skill.name);
            if canonical.display != skill.name.trim() {
                // Index the canonical name too, so "k8s" is found by "Kubernetes" and a
                // Japanese skill by its English canonical name.
                add(&mut doc, f.skills, &canonical.display);
            }
            keys.push(canonical.key);
        }
        keys.sort();
        keys.dedup();
        for key in keys {
            doc.add_text(f.skill_keys, &key);
        }
        for position in &alumnus.positions {
            add(&mut doc, f.titles, &position.title);
            add(&mut doc, f.experience, &position.description);
            add(&mut doc, f.experience, &position.department);
            add(&mut doc, f.experience, &position.organization);
        }
        add(&mut doc, f.interests, &alumnus.interests.statement);
        for topic in &alumnus.interests.topics {
            add(&mut doc, f.interests, topic);
        }
        for kind in OpportunityKind::ALL {
            if alumnus.passes_gates(kind) {
                doc.add_u64(f.eligible_kind, kind.code());
            }
        }
        doc
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
    /// analyzer's weight.
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
                    });
                }
            }
        }
        clauses
    }

    /// The whole query as one tantivy query: filters as zero-scoring MUST
    /// clauses, text terms as boosted SHOULD clauses. It scores exactly as
    /// [`AlumniIndex::retrieve`] does.
    pub fn tantivy_query(&self, query: &RetrievalQuery) -> BooleanQuery {
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

    /// The BM25 score one alumnus gets for `query` (with the gates applied): `None`
    /// when the alumnus is not in the index or fails the gates.
    pub fn score_of(&self, searcher: &Searcher, query: &RetrievalQuery, id: &str) -> Result<Option<f32>, IndexError> {
        let only = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let restricted = BooleanQuery::new(vec![
            (Occur::Must, Box::new(self.tantivy_query(query)) as Box<dyn Query>),
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(only), 0.0))),
        ]);
        let top = searcher.search(&restricted, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.first().map(|(score, _)| *score))
    }

    /// Retrieves the `pool` best alumni for `query` from `searcher`, and counts all eligible.
    /// Stops between segments once `cancel` says so.
    pub fn retrieve(
        &self,
        searcher: &Searcher,
        query: &RetrievalQuery,
        pool: usize,
        cancel: &Cancellation,
    ) -> Result<Retrieved, IndexError> {
        let (total_eligible, top) = gated::top_filtered(
            searcher,
            &self.text_clauses(query),
            &self.filter_terms(query),
            pool,
            cancel,
        )?;
        let mut hits = Vec::with_capacity(top.len());
        let mut columns = HashMap::new();
        let mut id = String::new();
        for (score, address) in top {
            let DocAddress { segment_ord, doc_id } = address;
            let column = match columns.entry(segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(searcher.segment_reader(segment_ord).fast_fields().str("id")?)
                }
            };
            let Some(column) = column else { continue };
            id.clear();
            if let Some(ord) = column.term_ords(doc_id).next()
                && column.ord_to_str(ord, &mut id)?
            {
                hits.push(Hit {
                    id: id.clone(),
                    bm25: score,
                });
            }
        }
        // Ties in BM25 are broken by id so results do not depend on segment layout.
        hits.sort_by(|a, b| b.bm25.total_cmp(&a.bm25).then_with(|| a.id.cmp(&b.id)));
        Ok(Retrieved { total_eligible, hits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(id: &str, description: &str) -> Alumnus {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "display_name": "山田 太郎",
            "headline": "法人営業",
            "consent": {"contact_allowed": true},
            "interests": {"open_to": ["mentoring"]},
            "positions": [{"title": "営業担当", "organization": "株式会社サンプル", "description": description, "start": "2019-04"}],
        }))
        .unwrap()
    }

    fn opportunity(title: &str) -> Opportunity {
        serde_json::from_value(serde_json::json!({"id": "o", "kind": "mentoring", "title": title})).unwrap()
    }

    fn index_of(dir: &Path, morphology: Option<JapaneseMorphology>, alumni: &[Alumnus]) -> AlumniIndex {
        let (index, _) = AlumniIndex::open(dir, morphology).unwrap();
        let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
        let taxonomy = Taxonomy::empty();
        for alumnus in alumni {
            index.stage(&writer, &taxonomy, &alumnus.id, Some(alumnus)).unwrap();
        }
        index.commit(&mut writer, alumni.len() as u64).unwrap();
        index
    }

    fn ranking(index: &AlumniIndex, title: &str) -> Vec<String> {
        let query = RetrievalQuery::for_opportunity(&opportunity(title), &Taxonomy::empty(), false, index.morphology());
        let retrieved = index
            .retrieve(&index.searcher(), &query, 10, &Cancellation::new())
            .unwrap();
        retrieved.hits.into_iter().map(|hit| hit.id).collect()
    }

    /// The pruned, filtered retrieval returns what the plain boolean query with
    /// the gate as a MUST clause returns, across segments and deletions.
    #[test]
    fn gated_retrieval_equals_the_unpruned_boolean_query() {
        const WORDS: [&str; 12] = [
            "rust",
            "sales",
            "kubernetes",
            "design",
            "finance",
            "robotics",
            "audit",
            "cloud",
            "mentor",
            "data",
            "marketing",
            "legal",
        ];
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = AlumniIndex::open(dir.path(), None).unwrap();
        let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
        let taxonomy = Taxonomy::empty();
        let mut state: u64 = 7;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        for batch in 0..3u64 {
            for i in 0..200u64 {
                let n = batch * 200 + i;
                let text: Vec<&str> = (0..1 + next(12)).map(|_| WORDS[next(12) as usize]).collect();
                let mut record = alumnus(&format!("a{n:04}"), &text.join(" "));
                if next(3) == 0 {
                    // Fails the MENTORING gate.
                    record.interests.open_to.clear();
                }
                index.stage(&writer, &taxonomy, &record.id, Some(&record)).unwrap();
            }
            if batch == 2 {
                for n in (0..600u64).step_by(7) {
                    index.stage(&writer, &taxonomy, &format!("a{n:04}"), None).unwrap();
                }
            }
            index.commit(&mut writer, batch).unwrap();
        }
        let searcher = index.searcher();
        assert!(searcher.segment_readers().len() > 1, "the test needs several segments");
        let titles = [
            "rust cloud",
            "sales marketing legal",
            "mentor",
            "robotics data design audit",
            "unknownword",
        ];
        for (title, pool) in titles.into_iter().flat_map(|t| [(t, 3), (t, 25), (t, 1000)]) {
            let query = RetrievalQuery::for_opportunity(&opportunity(title), &taxonomy, false, None);
            let retrieved = index.retrieve(&searcher, &query, pool, &Cancellation::new()).unwrap();
            let (expected_count, expected_top) = searcher
                .search(
                    &index.tantivy_query(&query),
                    &(tantivy::collector::Count, TopDocs::with_limit(pool).order_by_score()),
                )
                .unwrap();
            assert_eq!(retrieved.total_eligible, expected_count as u64, "{title}");
            let got: Vec<f32> = retrieved.hits.iter().map(|h| h.bm25).collect();
            let want: Vec<f32> = expected_top.iter().map(|(score, _)| *score).collect();
            assert_eq!(got.len(), want.len(), "{title}");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{title}: {got:?} vs {want:?}");
            }
            for hit in &retrieved.hits {
                let alone = index.score_of(&searcher, &query, &hit.id).unwrap();
                assert!(
                    alone.is_some_and(|s| (s - hit.bm25).abs() <= 1e-4 * s.abs().max(1.0)),
                    "{title}: {}",
                    hit.id
                );
            }
        }
    }

    #[test]
    fn kyoto_does_not_rank_tokyo_to_first() {
        let dir = tempfile::tempdir().unwrap();
        // With bigrams alone the Tokyo profile wins: it contains the bigram 京都 as
        // often as the Kyoto one, in a shorter text (and comes first in id order).
        let alumni = [
            alumnus("a-tokyo", "東京都で法人営業を担当"),
            alumnus("b-kyoto", "京都で中小企業向けの法人営業を担当し、新規顧客を開拓"),
        ];
        let index = index_of(dir.path(), Some(japanese::test_morphology()), &alumni);
        assert_eq!(ranking(&index, "京都"), ["b-kyoto", "a-tokyo"]);
        assert_eq!(ranking(&index, "東京都の顧客"), ["a-tokyo", "b-kyoto"]);
    }

    #[test]
    fn queries_carry_words_and_bigrams() {
        let query = RetrievalQuery::for_opportunity(
            &opportunity("機械学習のメンター"),
            &Taxonomy::empty(),
            false,
            Some(&japanese::test_morphology()),
        );
        let words: Vec<&str> = query.word_terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(words, ["機械", "学習", "メンター"]);
        assert!(query.bigram_terms.iter().any(|(t, _)| t == "械学"));
    }

    #[test]
    fn without_a_dictionary_bigrams_still_match_and_adding_one_rebuilds() {
        let dir = tempfile::tempdir().unwrap();
        let alumni = [alumnus("a-tokyo", "東京都の法人顧客を担当")];
        {
            let index = index_of(dir.path(), None, &alumni);
            assert_eq!(ranking(&index, "法人顧客"), ["a-tokyo"]);
            assert!(
                RetrievalQuery::for_opportunity(&opportunity("京都"), &Taxonomy::empty(), false, None)
                    .word_terms
                    .is_empty()
            );
        }
        let (index, payload) = AlumniIndex::open(dir.path(), Some(japanese::test_morphology())).unwrap();
        assert_eq!(
            payload, None,
            "an index without word fields is recreated for rebuilding"
        );
        assert_eq!(index.num_docs(), 0);
    }
}
