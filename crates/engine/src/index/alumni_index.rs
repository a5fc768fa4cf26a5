//! The alumni index: opening (and recreating) it, the single writer, documents
//! built from stored alumni, commits that record the store sequence they
//! reflect, and purging deleted documents.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term, directory::MmapDirectory,
};

use super::{
    IndexError, JAPANESE, JapaneseMorphology, JapaneseTokenizer, MULTILINGUAL, MultilingualTokenizer,
    gate_cache::GateCache,
    schema::{BIGRAM_ONLY, Fields, SCHEMA_VERSION, TextPair, schema},
};
use crate::{
    domain::{Alumnus, OpportunityKind},
    taxonomy::{RecognisedCareer, Taxonomy, indexed_occupations},
};

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
    /// [`Taxonomy::fingerprint`] of the tables the skill keys and occupations
    /// were derived with.
    #[serde(default)]
    pub tables: String,
}

fn analyzer_id(morphology: Option<&JapaneseMorphology>) -> String {
    morphology.map_or_else(|| BIGRAM_ONLY.to_owned(), |m| m.id().to_owned())
}

/// The alumni index: a reader for searches and the single writer.
pub struct AlumniIndex {
    index: Index,
    reader: IndexReader,
    pub(super) fields: Fields,
    morphology: Option<JapaneseMorphology>,
    tables: String,
    /// Each segment's kind gates, kept between searches.
    pub(super) gates: GateCache,
}

impl AlumniIndex {
    /// Opens the index in `dir`, creating it when missing, with the Japanese word
    /// fields analysed by `morphology` (left empty without it) and documents
    /// derived with the tables `tables` identifies ([`Taxonomy::fingerprint`]).
    /// When the directory holds an index that cannot be opened, has another
    /// schema version or was built with another dictionary or other tables, it
    /// is wiped and created anew (the store is the system of record; start-up
    /// rebuilds).
    pub fn open(
        dir: &Path,
        morphology: Option<JapaneseMorphology>,
        tables: &str,
    ) -> Result<(Self, Option<CommitPayload>), IndexError> {
        std::fs::create_dir_all(dir)?;
        let analyzer = analyzer_id(morphology.as_ref());
        match Self::try_open(dir, morphology.clone(), tables) {
            Ok((index, Some(payload)))
                if payload.schema_version == SCHEMA_VERSION
                    && payload.analyzer == analyzer
                    && payload.tables == tables =>
            {
                Ok((index, Some(payload)))
            }
            Ok((index, None)) if index.is_empty() => Ok((index, None)),
            outcome => {
                match outcome {
                    Err(error) => tracing::warn!(%error, "search index unreadable, recreating it"),
                    Ok(_) => {
                        tracing::info!(
                            analyzer,
                            "search index from another schema version, Japanese dictionary or taxonomy, recreating it"
                        )
                    }
                }
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Ok((Self::try_open(dir, morphology, tables)?.0, None))
            }
        }
    }

    fn try_open(
        dir: &Path,
        morphology: Option<JapaneseMorphology>,
        tables: &str,
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
                tables: tables.to_owned(),
                gates: GateCache::default(),
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
            tables: self.tables.clone(),
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
    pub(super) fn searcher(&self) -> Searcher {
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
        let occupations = taxonomy.occupations();
        let recognised = RecognisedCareer::of(alumnus, occupations);
        doc.add_bytes(f.career, &recognised.encode());
        for (occupation, strength) in indexed_occupations(alumnus, &recognised) {
            for _ in 0..strength {
                doc.add_text(f.occupations, occupations.code(occupation));
            }
        }
        for kind in OpportunityKind::ALL {
            if alumnus.passes_gates(kind) {
                doc.add_u64(f.eligible_kind, kind.code());
            }
        }
        doc
    }
}
