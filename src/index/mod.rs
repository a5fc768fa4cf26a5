//! The tantivy index of alumni, derived from the store.
//!
//! One document per alumnus with BM25-searchable text fields (skills, titles,
//! experience, headline, interests), the canonical skill keys, and the kinds of
//! opportunity the alumnus may be returned for (`eligible_kind`, computed by
//! [`Alumnus::passes_gates`]). Retrieval always puts the gate on `eligible_kind`
//! inside the query, so an ineligible alumnus can never be retrieved.
//!
//! The index commit payload records the store's change-log sequence the index
//! reflects, which is how start-up knows whether to catch up or rebuild.

mod tokenizer;

use std::{collections::HashMap, path::Path};

use serde::{Deserialize, Serialize};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term,
    collector::{Count, TopDocs},
    directory::MmapDirectory,
    query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery},
    schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions},
};

pub use tokenizer::{MULTILINGUAL, MultilingualTokenizer, tokenize};

use crate::{
    domain::{Alumnus, Opportunity, OpportunityKind},
    taxonomy::Taxonomy,
};

/// Bumped whenever the schema or the way documents are built changes: an index
/// with another version is rebuilt from the store at start-up.
pub const SCHEMA_VERSION: u32 = 1;

/// Most distinct query terms taken from one opportunity (highest weight first),
/// so a 20,000-character description cannot make a query of thousands of clauses.
pub const MAX_QUERY_TERMS: usize = 64;

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
}

/// What the last commit of the index says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPayload {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Store change-log sequence reflected by the index.
    pub alumni_seq: u64,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    headline: Field,
    skills: Field,
    titles: Field,
    experience: Field,
    interests: Field,
    skill_keys: Field,
    eligible_kind: Field,
}

/// Relative weight of a match in each text field.
const FIELD_BOOSTS: [(TextField, f32); 5] = [
    (TextField::Skills, 2.0),
    (TextField::Titles, 1.5),
    (TextField::Headline, 1.2),
    (TextField::Experience, 1.0),
    (TextField::Interests, 0.8),
];

#[derive(Debug, Clone, Copy)]
enum TextField {
    Headline,
    Skills,
    Titles,
    Experience,
    Interests,
}

impl Fields {
    fn text(&self, field: TextField) -> Field {
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
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(MULTILINGUAL)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        headline: builder.add_text_field("headline", text.clone()),
        skills: builder.add_text_field("skills", text.clone()),
        titles: builder.add_text_field("titles", text.clone()),
        experience: builder.add_text_field("experience", text.clone()),
        interests: builder.add_text_field("interests", text),
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
    /// Distinct terms with their weights, highest first.
    pub terms: Vec<(String, f32)>,
    /// Canonical skill keys every result must have (empty = no such filter).
    pub required_skill_keys: Vec<String>,
}

impl RetrievalQuery {
    /// Builds the query for an opportunity: required skills weigh most, then the
    /// title and preferred skills, then the rest of the text.
    pub fn for_opportunity(opportunity: &Opportunity, taxonomy: &Taxonomy, require_all_required_skills: bool) -> Self {
        let mut weights: HashMap<String, (f32, usize)> = HashMap::new();
        let mut order = 0usize;
        let mut add = |text: &str, weight: f32| {
            tokenize(text, |term, _, _| {
                let entry = weights.entry(term.to_owned()).or_insert((0.0, order));
                entry.0 = entry.0.max(weight);
                order += 1;
            });
        };
        for skill in &opportunity.required_skills {
            add(skill, 3.0);
            add(&taxonomy.canonical_skill(skill).display, 3.0);
        }
        add(&opportunity.title, 2.0);
        for skill in &opportunity.preferred_skills {
            add(skill, 1.5);
            add(&taxonomy.canonical_skill(skill).display, 1.5);
        }
        add(&opportunity.department, 0.8);
        add(&opportunity.seniority, 0.5);
        add(&opportunity.description, 0.5);
        let mut terms: Vec<(String, f32, usize)> = weights.into_iter().map(|(t, (w, o))| (t, w, o)).collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
        terms.truncate(MAX_QUERY_TERMS);
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
            terms: terms.into_iter().map(|(t, w, _)| (t, w)).collect(),
            required_skill_keys,
        }
    }
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
}

impl AlumniIndex {
    /// Opens the index in `dir`, creating it when missing. When the directory holds
    /// an index that cannot be opened or has another schema version, it is wiped and
    /// created anew (the store is the system of record; start-up rebuilds).
    pub fn open(dir: &Path) -> Result<(Self, Option<CommitPayload>), IndexError> {
        std::fs::create_dir_all(dir)?;
        match Self::try_open(dir) {
            Ok((index, Some(payload))) if payload.schema_version == SCHEMA_VERSION => Ok((index, Some(payload))),
            Ok((index, None)) if index.is_empty() => Ok((index, None)),
            outcome => {
                match outcome {
                    Err(error) => tracing::warn!(%error, "search index unreadable, recreating it"),
                    Ok(_) => {
                        tracing::info!("search index from another schema version, recreating it")
                    }
                }
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Ok((Self::try_open(dir)?.0, None))
            }
        }
    }

    fn try_open(dir: &Path) -> Result<(Self, Option<CommitPayload>), IndexError> {
        let (schema, fields) = schema();
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        index
            .tokenizers()
            .register(MULTILINGUAL, MultilingualTokenizer::default());
        let payload = index
            .load_metas()?
            .payload
            .and_then(|text| serde_json::from_str::<CommitPayload>(&text).ok());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok((Self { index, reader, fields }, payload))
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
        };
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
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
        doc.add_text(f.id, &alumnus.id);
        doc.add_text(f.headline, &alumnus.headline);
        let mut keys: Vec<String> = Vec::with_capacity(alumnus.skills.len());
        for skill in &alumnus.skills {
            let canonical = taxonomy.canonical_skill(&skill.name);
            doc.add_text(f.skills, &skill.name);
            if canonical.display != skill.name.trim() {
                // Index the canonical name too, so "k8s" is found by "Kubernetes" and a
                // Japanese skill by its English canonical name.
                doc.add_text(f.skills, &canonical.display);
            }
            keys.push(canonical.key);
        }
        keys.sort();
        keys.dedup();
        for key in keys {
            doc.add_text(f.skill_keys, &key);
        }
        for position in &alumnus.positions {
            doc.add_text(f.titles, &position.title);
            doc.add_text(f.experience, &position.description);
            doc.add_text(f.experience, &position.department);
            doc.add_text(f.experience, &position.organization);
        }
        doc.add_text(f.interests, &alumnus.interests.statement);
        for topic in &alumnus.interests.topics {
            doc.add_text(f.interests, topic);
        }
        for kind in OpportunityKind::ALL {
            if alumnus.passes_gates(kind) {
                doc.add_u64(f.eligible_kind, kind.code());
            }
        }
        doc
    }

    /// Builds the tantivy query: gates and skill filters as zero-scoring MUST
    /// clauses, text terms as boosted SHOULD clauses (BM25).
    pub fn tantivy_query(&self, query: &RetrievalQuery) -> BooleanQuery {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let gate = TermQuery::new(
            Term::from_field_u64(f.eligible_kind, query.kind.code()),
            IndexRecordOption::Basic,
        );
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(gate), 0.0))));
        for key in &query.required_skill_keys {
            let filter = TermQuery::new(Term::from_field_text(f.skill_keys, key), IndexRecordOption::Basic);
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(filter), 0.0))));
        }
        for (term, weight) in &query.terms {
            for (field, boost) in FIELD_BOOSTS {
                let term_query =
                    TermQuery::new(Term::from_field_text(f.text(field), term), IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term_query), weight * boost)),
                ));
            }
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
    pub fn retrieve(&self, searcher: &Searcher, query: &RetrievalQuery, pool: usize) -> Result<Retrieved, IndexError> {
        let tantivy_query = self.tantivy_query(query);
        let (total_eligible, top) = searcher.search(
            &tantivy_query,
            &(Count, TopDocs::with_limit(pool.max(1)).order_by_score()),
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
        Ok(Retrieved {
            total_eligible: total_eligible as u64,
            hits,
        })
    }
}
