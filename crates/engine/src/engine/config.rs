//! How an engine is set up.

use std::{path::PathBuf, time::Duration};

use crate::{domain::ContactPolicy, limits, ranking::RankingProfiles};

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory for the store file and the index directory.
    pub data_dir: PathBuf,
    /// The skill alias table; `None` means no aliases (skills match on their
    /// normalised text). A path that does not exist is an error at open.
    pub taxonomy_path: Option<PathBuf>,
    /// The occupation tables (`data/occupations`); `None` means titles are not
    /// recognised as occupations. A directory that cannot be loaded is an error at open.
    pub occupations_path: Option<PathBuf>,
    /// Weight profiles per kind: version 0, in force until the tenant installs
    /// a tuned one.
    pub profiles: RankingProfiles,
    /// The contact policy of a tenant that has not set its own.
    pub contact_policy: ContactPolicy,
    /// How many alumni retrieval hands to ranking per query.
    pub retrieval_pool: usize,
    /// Longest time between an acknowledged write and its index commit (plus the commit itself).
    pub commit_interval: Duration,
    /// Index writer threads.
    pub indexer_threads: usize,
    /// Index writer memory budget, in bytes.
    pub indexer_memory_bytes: usize,
    /// The Japanese dictionary built by `alumni-match data build-ja-dictionary`;
    /// `None` means Japanese is matched by character bigrams only. A path that
    /// cannot be loaded is an error at open.
    pub japanese_dictionary: Option<PathBuf>,
    /// Check every page of the store file when the engine opens (reads the whole
    /// file once), so a damaged store is found at start-up rather than by a caller.
    pub verify_store_at_open: bool,
}

impl EngineConfig {
    /// Defaults for a data directory: no taxonomy and no Japanese dictionary
    /// (the server's configuration names them).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            taxonomy_path: None,
            occupations_path: None,
            profiles: RankingProfiles::defaults(),
            contact_policy: ContactPolicy::default(),
            retrieval_pool: limits::DEFAULT_RETRIEVAL_POOL,
            commit_interval: limits::DEFAULT_COMMIT_INTERVAL,
            indexer_threads: limits::DEFAULT_INDEXER_THREADS,
            indexer_memory_bytes: limits::DEFAULT_INDEXER_MEMORY_BYTES,
            japanese_dictionary: None,
            verify_store_at_open: true,
        }
    }
}
