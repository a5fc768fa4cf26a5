//! Opening an engine: the checks that refuse to start over lost data, the store's
//! integrity check, bringing the index up to date with the store, and stopping.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock, mpsc},
};

use tokio::sync::watch;

use super::{Engine, EngineConfig, EngineError, indexer::Indexer, profiles, rescore};
use crate::{
    index::{AlumniIndex, JapaneseMorphology},
    store::{Store, StoreError, StoreHealth},
    taxonomy::{Occupations, Taxonomy},
};

/// The store file in a tenant's directory.
pub const STORE_FILE: &str = "store.redb";
/// The index directory in a tenant's directory.
pub const INDEX_DIR: &str = "index";

/// What a tenant's engine reports about itself, for health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineHealth {
    /// Whether writes can be made durable now.
    pub store: StoreHealth,
    /// Whether the last index update failed (it is retried; the store keeps
    /// every acknowledged write meanwhile).
    pub index_failing: bool,
    /// Store change-log sequence minus the sequence the index reflects.
    pub index_lag: u64,
}

impl Engine {
    /// Opens the store and index under `config.data_dir`, brings the index up to
    /// date with the store (replaying the change log, or rebuilding when the index
    /// is missing, damaged, too far behind, or holds another number of alumni than
    /// the store), and starts the indexer.
    ///
    /// Refuses to open ([`EngineError::Inconsistent`]) when the store file is
    /// missing or empty while the tenant has an index with alumni in it, or when
    /// the store is older than the index: both mean the store was lost or
    /// replaced, and starting anyway would silently drop those alumni.
    pub fn open(config: EngineConfig) -> Result<Self, EngineError> {
        let dir = config.data_dir.clone();
        let store_path = dir.join(STORE_FILE);
        let index_dir = dir.join(INDEX_DIR);
        refuse_lost_store(&dir, &store_path, &index_dir)?;
        fs::create_dir_all(&dir).map_err(|e| data_error(&dir, e))?;
        let taxonomy = Arc::new(
            load_taxonomy(config.taxonomy_path.as_deref())?
                .with_occupations(load_occupations(config.occupations_path.as_deref())?),
        );
        let morphology = load_morphology(config.japanese_dictionary.as_deref())?;
        let store = Arc::new(Store::open(&store_path)?);
        if config.verify_store_at_open {
            verify_store(&store);
        }
        let (index, payload) = AlumniIndex::open(&index_dir, morphology, &taxonomy.fingerprint())?;
        let index = Arc::new(index);
        let writer = index.writer(config.indexer_threads, config.indexer_memory_bytes)?;
        let store_seq = store.alumni_seq()?;
        if let Some(payload) = &payload
            && payload.alumni_seq > store_seq
        {
            return Err(EngineError::Inconsistent {
                path: store_path.display().to_string(),
                problem: format!(
                    "the store is older than the search index (store sequence {store_seq}, index sequence {}): \
                     it was replaced or rolled back, and alumni acknowledged since would be lost",
                    payload.alumni_seq
                ),
                remedy: restore_remedy(&dir),
            });
        }
        let (applied_tx, applied_rx) = watch::channel(0);
        let mut indexer = Indexer::new(
            store.clone(),
            index.clone(),
            taxonomy.clone(),
            writer,
            applied_tx,
            &config,
        );
        let replayable = |from: u64| -> Result<bool, EngineError> {
            Ok(from == store_seq || store.oldest_change()?.is_some_and(|oldest| oldest <= from + 1))
        };
        match payload {
            Some(p) if replayable(p.alumni_seq)? => indexer.resume_from(p.alumni_seq),
            None if store_seq == 0 => indexer.resume_from(0),
            _ => indexer.rebuild()?,
        }
        indexer.catch_up()?;
        // Once caught up, the index must hold exactly the stored alumni. Anything
        // else (an index that recorded a sequence it did not durably index, after a
        // failure) is repaired here, so every acknowledged alumnus is searchable.
        let (documents, stored) = (index.num_docs(), store.count_alumni()?);
        if documents != stored {
            tracing::warn!(
                documents,
                stored,
                "the search index does not hold every stored alumnus; rebuilding it from the store"
            );
            indexer.rebuild()?;
            indexer.catch_up()?;
        }
        tracing::info!(
            documents = index.num_docs(),
            seq = *applied_rx.borrow(),
            "search index is current"
        );
        let profiles = profiles::load(&store, config.profiles)?;
        let policy = store.contact_policy()?.unwrap_or(config.contact_policy);
        let shown = super::shown::ShownLog::start(store.clone());
        let failing = indexer.failing_flag();
        let (signals_tx, signals_rx) = mpsc::channel();
        let handle = indexer.spawn(signals_rx);
        Ok(Self {
            data_dir: dir,
            store,
            index,
            taxonomy,
            profiles: RwLock::new(Arc::new(profiles)),
            policy: RwLock::new(policy),
            referral_rate: Mutex::new(None),
            shown,
            retrieval_pool: config.retrieval_pool.max(1),
            signals: Mutex::new(Some(signals_tx)),
            applied: applied_rx,
            index_failing: failing,
            indexer: Mutex::new(Some(handle)),
            in_flight: rescore::InFlight::default(),
            jobs: rescore::Jobs::default(),
            rescore_meter: Default::default(),
            outcome_meter: Default::default(),
        })
    }

    /// The engine's health now, without trying to recover.
    pub fn health(&self) -> Result<EngineHealth, EngineError> {
        let store_seq = self.store.alumni_seq().unwrap_or(0);
        Ok(EngineHealth {
            store: self.store.health(),
            index_failing: self.index_failing.load(std::sync::atomic::Ordering::Acquire),
            index_lag: store_seq.saturating_sub(self.indexed_seq()),
        })
    }

    /// Tries to make a store that could not write (a full disk, an I/O error)
    /// writable again, and returns the health after the attempt. Cheap when the
    /// store is healthy; the server calls it about once a second.
    pub fn probe(&self) -> Result<EngineHealth, EngineError> {
        self.store.probe();
        self.health()
    }

    /// Applies what the indexer has pending and stops it, and writes what the
    /// shown-log has queued. Idempotent.
    pub fn shutdown(&self) {
        self.shown.stop();
        if let Ok(mut signals) = self.signals.lock()
            && let Some(sender) = signals.take()
        {
            let _ = sender.send(super::indexer::Signal::Shutdown);
        }
        if let Ok(mut handle) = self.indexer.lock()
            && let Some(handle) = handle.take()
            && handle.join().is_err()
        {
            tracing::error!("the indexer thread panicked");
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Refuses to go on when the store is gone or empty but the tenant's index shows
/// it held alumni. An empty store file beside no other state is a tenant whose
/// creation was interrupted; it is removed and made anew.
fn refuse_lost_store(dir: &Path, store_path: &Path, index_dir: &Path) -> Result<(), EngineError> {
    let size = match fs::metadata(store_path) {
        Ok(metadata) => Some(metadata.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(data_error(store_path, e)),
    };
    if size.is_some_and(|bytes| bytes > 0) {
        return Ok(());
    }
    let indexed = indexed_documents(index_dir);
    if indexed > 0 {
        let state = match size {
            None => "is missing",
            Some(_) => "is empty (0 bytes)",
        };
        return Err(EngineError::Inconsistent {
            path: store_path.display().to_string(),
            problem: format!(
                "the store {state}, but the tenant's search index holds {indexed} alumni: the store was deleted \
                 or truncated, and starting would lose them"
            ),
            remedy: restore_remedy(dir),
        });
    }
    if size == Some(0) {
        tracing::warn!(path = %store_path.display(), "removing an empty store file left by an interrupted start");
        fs::remove_file(store_path).map_err(|e| data_error(store_path, e))?;
    }
    Ok(())
}

fn restore_remedy(dir: &Path) -> String {
    format!(
        "Restore the store from a backup (`alumni-match restore --from FILE` into {}), or, to start this \
         tenant over and lose what it held, move {} aside",
        dir.display(),
        dir.display()
    )
}

/// Documents in the index's last commit, read from its `meta.json` without
/// opening the index (0 when there is none; `u64::MAX` when it is unreadable).
pub fn indexed_documents(index_dir: &Path) -> u64 {
    let Ok(text) = fs::read_to_string(index_dir.join("meta.json")) else {
        return 0;
    };
    let Ok(meta) = serde_json::from_str::<serde_json::Value>(&text) else {
        // Unreadable metadata: assume the index held something, so a lost store
        // is never taken for a new tenant.
        return u64::MAX;
    };
    meta["segments"].as_array().map_or(0, |segments| {
        segments
            .iter()
            .map(|s| {
                let max_doc = s["max_doc"].as_u64().unwrap_or(0);
                let deleted = s["deletes"]["num_deleted_docs"].as_u64().unwrap_or(0);
                max_doc.saturating_sub(deleted)
            })
            .sum()
    })
}

/// Checks every page of the store; a damaged store stays open for reads and
/// refuses writes (see [`StoreHealth::Damaged`]).
fn verify_store(store: &Store) {
    let started = std::time::Instant::now();
    match store.check_integrity() {
        Ok(true) => tracing::debug!(seconds = started.elapsed().as_secs_f64(), "store integrity checked"),
        Ok(false) => {
            tracing::warn!(path = %store.path().display(), "the store needed a repair at start-up; it was repaired")
        }
        Err(error @ StoreError::Damaged { .. }) => {
            tracing::error!(%error, "the store failed its integrity check; writes are refused");
        }
        Err(error) => tracing::warn!(%error, "the store's integrity check could not run"),
    }
}

fn load_taxonomy(path: Option<&Path>) -> Result<Taxonomy, EngineError> {
    let Some(path) = path else {
        tracing::info!("no skill taxonomy configured; skills match on their normalised text only");
        return Ok(Taxonomy::empty());
    };
    if !path.exists() {
        return Err(EngineError::DataFile {
            path: path.display().to_string(),
            message: "the skill taxonomy is missing; set taxonomy_path to the project's data/taxonomy/skills.tsv"
                .into(),
        });
    }
    let taxonomy = Taxonomy::load(path)?;
    tracing::info!(skills = taxonomy.len(), "skill taxonomy loaded");
    Ok(taxonomy)
}

fn load_occupations(dir: Option<&Path>) -> Result<Occupations, EngineError> {
    let Some(dir) = dir else {
        tracing::info!("no occupation tables configured; titles are matched by their words only");
        return Ok(Occupations::empty());
    };
    if !dir.is_dir() {
        return Err(EngineError::DataFile {
            path: dir.display().to_string(),
            message: "the occupation tables are missing; set occupations_path to the project's data/occupations".into(),
        });
    }
    let occupations = Occupations::load(dir)?;
    tracing::info!(occupations = occupations.len(), "occupation tables loaded");
    Ok(occupations)
}

/// Loads the Japanese dictionary. A configured dictionary that cannot be loaded
/// is an error: a server without it would match Japanese on bigrams alone
/// (京都 would find 東京都) without anyone asking for that.
fn load_morphology(path: Option<&Path>) -> Result<Option<JapaneseMorphology>, EngineError> {
    let Some(path) = path else {
        tracing::info!("no Japanese dictionary configured; Japanese is matched by character bigrams only");
        return Ok(None);
    };
    match JapaneseMorphology::load(path) {
        Ok(morphology) => {
            tracing::info!(path = %path.display(), id = morphology.id(), "Japanese dictionary loaded");
            Ok(Some(morphology))
        }
        Err(error) => Err(EngineError::DataFile {
            path: path.display().to_string(),
            message: format!("the Japanese dictionary cannot be loaded ({error}); run scripts/setup.sh to build it"),
        }),
    }
}

fn data_error(path: &Path, error: std::io::Error) -> EngineError {
    EngineError::DataFile {
        path: PathBuf::from(path).display().to_string(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alumnus(id: &str) -> crate::domain::Alumnus {
        serde_json::from_value(serde_json::json!({"id": id, "display_name": "X"})).unwrap()
    }

    fn filled_tenant(dir: &Path) {
        let engine = Engine::open(EngineConfig::new(dir)).unwrap();
        let seq = engine.write_alumni(&mut [alumnus("a"), alumnus("b")]).unwrap();
        assert!(engine.wait_indexed_blocking(seq, std::time::Duration::from_secs(30)));
        engine.shutdown();
    }

    #[test]
    fn an_empty_store_beside_an_index_with_alumni_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        filled_tenant(dir.path());
        fs::File::create(dir.path().join(STORE_FILE))
            .unwrap()
            .set_len(0)
            .unwrap();
        let error = Engine::open(EngineConfig::new(dir.path())).err().expect("refused");
        let text = error.to_string();
        assert!(matches!(error, EngineError::Inconsistent { .. }), "{text}");
        assert!(
            text.contains("store.redb") && text.contains("empty") && text.contains("2 alumni"),
            "{text}"
        );
        assert_eq!(
            fs::metadata(dir.path().join(STORE_FILE)).unwrap().len(),
            0,
            "nothing was touched"
        );
    }

    #[test]
    fn a_missing_store_beside_an_index_with_alumni_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        filled_tenant(dir.path());
        fs::remove_file(dir.path().join(STORE_FILE)).unwrap();
        let error = Engine::open(EngineConfig::new(dir.path())).err().expect("refused");
        assert!(error.to_string().contains("missing"), "{error}");
        assert!(
            indexed_documents(&dir.path().join(INDEX_DIR)) == 2,
            "the index was kept"
        );
    }

    #[test]
    fn a_store_older_than_its_index_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let old = tempfile::tempdir().unwrap();
        {
            let engine = Engine::open(EngineConfig::new(old.path())).unwrap();
            engine.write_alumni(&mut [alumnus("a")]).unwrap();
            engine.shutdown();
        }
        filled_tenant(dir.path());
        fs::copy(old.path().join(STORE_FILE), dir.path().join(STORE_FILE)).unwrap();
        let error = Engine::open(EngineConfig::new(dir.path())).err().expect("refused");
        assert!(error.to_string().contains("older than the search index"), "{error}");
    }

    #[test]
    fn an_index_that_lost_documents_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        filled_tenant(dir.path());
        {
            // Drop one alumnus from the index only, behind the store's back, as a
            // failed index write would have.
            let (index, payload) =
                AlumniIndex::open(&dir.path().join(INDEX_DIR), None, &Taxonomy::empty().fingerprint()).unwrap();
            let mut writer = index.writer(1, 16 * 1024 * 1024).unwrap();
            index.stage(&writer, &Taxonomy::empty(), "a", None).unwrap();
            index.commit(&mut writer, payload.unwrap().alumni_seq).unwrap();
            assert_eq!(index.num_docs(), 1);
        }
        let engine = Engine::open(EngineConfig::new(dir.path())).unwrap();
        assert_eq!(engine.index.num_docs(), 2, "every stored alumnus is searchable again");
    }

    #[test]
    fn a_configured_but_missing_japanese_dictionary_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = EngineConfig::new(dir.path());
        config.japanese_dictionary = Some(dir.path().join("no-such-dictionary"));
        let error = Engine::open(config).err().expect("refused");
        assert!(error.to_string().contains("scripts/setup.sh"), "{error}");
    }

    #[test]
    fn a_configured_but_missing_taxonomy_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = EngineConfig::new(dir.path());
        config.taxonomy_path = Some(dir.path().join("nope.tsv"));
        assert!(matches!(Engine::open(config), Err(EngineError::DataFile { .. })));
    }
}
