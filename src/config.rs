//! Server configuration: defaults, then an optional TOML file, then
//! `ALUMNI_MATCH_*` environment variables, then command-line flags.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::{
    domain::ContactPolicy,
    engine::EngineConfig,
    limits,
    ranking::RankingProfiles,
    service::{AccessLog, AdmissionLimits, ServerOptions, TlsFiles},
};

/// Everything `alumni-match serve` can be told. Every key can be set in the TOML
/// file, or as `ALUMNI_MATCH_<KEY>` in the environment (e.g. `ALUMNI_MATCH_LISTEN`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address to listen on. Loopback by default: exposing personal data on other
    /// interfaces must be a deliberate choice.
    pub listen: SocketAddr,
    /// Serve the HTTP/1.1 routes (`/metrics` for Prometheus, `/healthz`).
    pub http: bool,
    /// Address of the HTTP routes; loopback by default, like `listen`.
    pub http_listen: SocketAddr,
    /// Where the store and index live.
    pub data_dir: PathBuf,
    /// Dataset loaded on first start when the store is empty (`alumni.jsonl`,
    /// `opportunities.jsonl`); skipped when missing.
    pub sample_dir: Option<PathBuf>,
    /// The skill alias table; matching works without it, on normalised text.
    pub taxonomy_path: Option<PathBuf>,
    /// The occupation tables (titles in English and Japanese, similar
    /// occupations); matching works without them, with titles matched by their
    /// words only.
    pub occupations_path: Option<PathBuf>,
    /// The Japanese dictionary built by `scripts/setup.sh`; matching works without
    /// it (with a warning), on character bigrams only.
    pub ja_dictionary_path: Option<PathBuf>,
    /// Weight profiles file; the built-in `data/ranking.toml` when unset.
    pub ranking_profiles_path: Option<PathBuf>,
    /// Alumni handed from retrieval to ranking per query (pages end there).
    pub retrieval_pool: usize,
    /// The contact etiquette of every tenant that has not set its own with
    /// `SetContactPolicy` (`[contact_policy]`: `max_contacts`, `window_days`,
    /// `when_capped` = "hide" or "flag"); 2 opportunities in 90 days, then hidden.
    pub contact_policy: ContactPolicy,
    /// Upper bound on index lag behind acknowledged writes, in milliseconds.
    pub index_commit_interval_ms: u64,
    /// Index writer threads.
    pub indexer_threads: usize,
    /// Index writer memory budget, in MiB.
    pub indexer_memory_mb: usize,
    /// Largest gRPC message, in bytes.
    pub max_message_bytes: usize,
    /// Longest a call may run, in seconds.
    pub request_timeout_secs: u64,
    /// How long shutdown waits for in-flight calls, in seconds.
    pub shutdown_grace_secs: u64,
    /// Unary calls served at once; further calls get RESOURCE_EXHAUSTED.
    pub max_concurrent_calls: usize,
    /// Unary calls one tenant may have in flight.
    pub max_concurrent_calls_per_tenant: usize,
    /// Unary calls one API key may have in flight.
    pub max_concurrent_calls_per_key: usize,
    /// Streams (imports, re-scores, backups) served at once, from a pool of their
    /// own so they never take the permits unary calls need.
    pub max_concurrent_streams: usize,
    /// Streams one tenant may have open.
    pub max_concurrent_streams_per_tenant: usize,
    /// Streams one API key may have open.
    pub max_concurrent_streams_per_key: usize,
    /// Longest an import stream may go without sending an item, in seconds.
    pub stream_idle_timeout_secs: u64,
    /// Check every page of each tenant's store at start-up.
    pub verify_store_at_start: bool,
    /// Where relative data paths (`taxonomy_path`, `occupations_path`, `ja_dictionary_path`,
    /// `sample_dir`) are found [default: the working directory, else beside the
    /// installed binary].
    pub data_root: Option<PathBuf>,
    /// `api-keys` (default): every call needs a key from the key file.
    /// `none`: every call acts as admin of the default tenant; refused unless the
    /// server listens on loopback.
    pub auth: AuthMode,
    /// The API key file [default: `<data_dir>/api-keys.toml`].
    pub api_keys_path: Option<PathBuf>,
    /// Write the access log (tenant, key id, method, status, count returned).
    pub access_log: bool,
    /// The access log [default: `<data_dir>/access.log`].
    pub access_log_path: Option<PathBuf>,
    /// PEM certificate chain; with `tls_private_key_path`, the server speaks TLS only.
    pub tls_certificate_path: Option<PathBuf>,
    /// PEM private key of the certificate.
    pub tls_private_key_path: Option<PathBuf>,
}

/// How callers are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// API keys with tenant and role.
    ApiKeys,
    /// No authentication (loopback only).
    None,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let admission = AdmissionLimits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http: true,
            http_listen: SocketAddr::from(([127, 0, 0, 1], 50052)),
            data_dir: PathBuf::from("alumni-data"),
            sample_dir: Some(PathBuf::from("data/sample")),
            taxonomy_path: Some(PathBuf::from("data/taxonomy/skills.tsv")),
            occupations_path: Some(PathBuf::from("data/occupations")),
            ja_dictionary_path: Some(PathBuf::from(crate::index::DEFAULT_DICTIONARY_DIR)),
            ranking_profiles_path: None,
            retrieval_pool: limits::DEFAULT_RETRIEVAL_POOL,
            contact_policy: ContactPolicy::default(),
            index_commit_interval_ms: limits::DEFAULT_COMMIT_INTERVAL.as_millis() as u64,
            indexer_threads: limits::DEFAULT_INDEXER_THREADS,
            indexer_memory_mb: limits::DEFAULT_INDEXER_MEMORY_BYTES / (1024 * 1024),
            max_message_bytes: limits::DEFAULT_MAX_MESSAGE_BYTES,
            request_timeout_secs: limits::DEFAULT_REQUEST_TIMEOUT.as_secs(),
            shutdown_grace_secs: limits::DEFAULT_SHUTDOWN_GRACE.as_secs(),
            max_concurrent_calls: admission.calls,
            max_concurrent_calls_per_tenant: admission.calls_per_tenant,
            max_concurrent_calls_per_key: admission.calls_per_key,
            max_concurrent_streams: admission.streams,
            max_concurrent_streams_per_tenant: admission.streams_per_tenant,
            max_concurrent_streams_per_key: admission.streams_per_key,
            stream_idle_timeout_secs: limits::DEFAULT_STREAM_IDLE_TIMEOUT.as_secs(),
            verify_store_at_start: true,
            data_root: None,
            auth: AuthMode::ApiKeys,
            api_keys_path: None,
            access_log: true,
            access_log_path: None,
            tls_certificate_path: None,
            tls_private_key_path: None,
        }
    }
}

/// Why the configuration could not be formed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source did not parse or a value has the wrong type.
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    /// Settings that contradict each other.
    #[error("configuration: {0}")]
    Invalid(String),
    /// A referenced file could not be read.
    #[error("configuration file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl ServeConfig {
    /// Layers the sources; `overrides` are the flags given on the command line.
    pub fn load(file: Option<&PathBuf>, overrides: impl Serialize) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(ServeConfig::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::File {
                    path: file.display().to_string(),
                    message: "not found".into(),
                });
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment
            .merge(Env::prefixed("ALUMNI_MATCH_").ignore(&["config", "log", "server", "api_key"]))
            .merge(Serialized::defaults(overrides));
        Ok(figment.extract().map_err(Box::new)?)
    }

    /// The engine settings this configuration implies.
    pub fn engine_config(&self) -> Result<EngineConfig, ConfigError> {
        let profiles = match &self.ranking_profiles_path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                RankingProfiles::from_toml(&text).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => RankingProfiles::defaults(),
        };
        let mut engine = EngineConfig::new(&self.data_dir);
        engine.taxonomy_path = self
            .taxonomy_path
            .as_deref()
            .map(|path| self.resolve_data_path(path, "taxonomy_path"))
            .transpose()?;
        engine.occupations_path = self
            .occupations_path
            .as_deref()
            .map(|path| self.resolve_data_path(path, "occupations_path"))
            .transpose()?;
        engine.japanese_dictionary = self
            .ja_dictionary_path
            .as_deref()
            .map(|path| self.resolve_data_path(path, "ja_dictionary_path"))
            .transpose()?;
        engine.verify_store_at_open = self.verify_store_at_start;
        engine.profiles = profiles;
        engine.retrieval_pool = self.retrieval_pool;
        let mut violations = crate::domain::Violations::new();
        self.contact_policy.validate("contact_policy", &mut violations);
        if let Some(problem) = violations.items().first() {
            return Err(ConfigError::Invalid(format!(
                "{}: {}",
                problem.field, problem.description
            )));
        }
        engine.contact_policy = self.contact_policy;
        engine.commit_interval = Duration::from_millis(self.index_commit_interval_ms);
        engine.indexer_threads = self.indexer_threads;
        engine.indexer_memory_bytes = self.indexer_memory_mb.max(16) * 1024 * 1024;
        Ok(engine)
    }

    /// The sample dataset directory, found like the other data paths; `None` when
    /// none is configured or it is nowhere to be found.
    pub fn sample_dir(&self) -> Option<PathBuf> {
        let path = self.sample_dir.as_deref()?;
        match self.resolve_data_path(path, "sample_dir") {
            Ok(found) => Some(found),
            Err(error) => {
                tracing::warn!(%error, "no sample dataset");
                None
            }
        }
    }

    /// Finds a data file named by a relative path: under `data_root` when set,
    /// else in the working directory, else beside the installed binary (its
    /// directory and the two above it, which covers `target/release/`, and
    /// `share/alumni-match/` next to a `bin/`). An absolute path is taken as it
    /// is. A server started from another directory thus finds the project's data
    /// instead of running without it; when nothing is found the error names every
    /// place that was tried.
    pub fn resolve_data_path(&self, path: &Path, key: &str) -> Result<PathBuf, ConfigError> {
        if path.is_absolute() {
            return if path.exists() {
                Ok(path.to_owned())
            } else {
                Err(ConfigError::Invalid(format!("{key} = {}: not found", path.display())))
            };
        }
        let mut bases: Vec<PathBuf> = Vec::new();
        match &self.data_root {
            Some(root) => bases.push(root.clone()),
            None => {
                bases.push(PathBuf::from("."));
                if let Some(exe_dir) = std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(Path::to_owned))
                {
                    bases.extend(exe_dir.ancestors().take(3).map(Path::to_owned));
                    if let Some(prefix) = exe_dir.parent() {
                        bases.push(prefix.join("share").join("alumni-match"));
                    }
                }
            }
        }
        for base in &bases {
            let candidate = base.join(path);
            if candidate.exists() {
                return Ok(candidate);
            }
        }
        let tried: Vec<String> = bases.iter().map(|b| b.join(path).display().to_string()).collect();
        Err(ConfigError::Invalid(format!(
            "{key} = {}: not found (tried {}); start the server from the project directory, or set data_root \
             (ALUMNI_MATCH_DATA_ROOT) to it, or give {key} as an absolute path",
            path.display(),
            tried.join(", ")
        )))
    }

    /// The API key file.
    pub fn api_keys_file(&self) -> PathBuf {
        self.api_keys_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("api-keys.toml"))
    }

    /// The TLS files, when both are configured; an error when only one is.
    pub fn tls_files(&self) -> Result<Option<TlsFiles>, ConfigError> {
        match (&self.tls_certificate_path, &self.tls_private_key_path) {
            (Some(certificate), Some(private_key)) => Ok(Some(TlsFiles {
                certificate: certificate.clone(),
                private_key: private_key.clone(),
            })),
            (None, None) => Ok(None),
            _ => Err(ConfigError::Invalid(
                "set both tls_certificate_path and tls_private_key_path, or neither".into(),
            )),
        }
    }

    /// The transport settings and limits this configuration implies (the access
    /// log is opened by the caller).
    pub fn server_options(&self, access_log: AccessLog) -> Result<ServerOptions, ConfigError> {
        Ok(ServerOptions {
            max_message_bytes: self.max_message_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs.max(1)),
            stream_idle_timeout: Duration::from_secs(self.stream_idle_timeout_secs.max(1)),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            admission: AdmissionLimits {
                calls: self.max_concurrent_calls,
                calls_per_tenant: self.max_concurrent_calls_per_tenant,
                calls_per_key: self.max_concurrent_calls_per_key,
                streams: self.max_concurrent_streams,
                streams_per_tenant: self.max_concurrent_streams_per_tenant,
                streams_per_key: self.max_concurrent_streams_per_key,
            },
            access_log,
            tls: self.tls_files()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Flags {
        #[serde(skip_serializing_if = "Option::is_none")]
        retrieval_pool: Option<usize>,
    }

    #[test]
    fn file_then_flags_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("alumni-match.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:6000\"\nretrieval_pool = 300\n").unwrap();
        let config = ServeConfig::load(
            Some(&file),
            Flags {
                retrieval_pool: Some(500),
            },
        )
        .unwrap();
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 6000)));
        assert_eq!(config.retrieval_pool, 500);
        assert_eq!(config.data_dir, PathBuf::from("alumni-data"));
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "retreival_pool = 3\n").unwrap();
        assert!(ServeConfig::load(Some(&file), Flags { retrieval_pool: None }).is_err());
        assert!(ServeConfig::load(Some(&dir.path().join("missing.toml")), Flags { retrieval_pool: None }).is_err());
    }
}

#[cfg(test)]
mod data_path_tests {
    use super::*;

    #[test]
    fn relative_data_paths_are_found_under_data_root_and_missing_ones_name_where_they_were_sought() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("data/taxonomy")).unwrap();
        std::fs::write(root.path().join("data/taxonomy/skills.tsv"), "x\t\t\n").unwrap();
        let config = ServeConfig {
            data_root: Some(root.path().to_owned()),
            ..ServeConfig::default()
        };
        let found = config
            .resolve_data_path(Path::new("data/taxonomy/skills.tsv"), "taxonomy_path")
            .unwrap();
        assert_eq!(found, root.path().join("data/taxonomy/skills.tsv"));
        let error = config
            .resolve_data_path(Path::new("data/ja-dict"), "ja_dictionary_path")
            .unwrap_err()
            .to_string();
        assert!(error.contains("data/ja-dict") && error.contains("data_root"), "{error}");
        assert!(
            config.engine_config().is_err(),
            "a missing dictionary refuses the configuration"
        );
    }
}
