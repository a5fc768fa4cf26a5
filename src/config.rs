//! Server configuration: defaults, then an optional TOML file, then
//! `ALUMNI_MATCH_*` environment variables, then command-line flags.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::{
    engine::EngineConfig,
    ranking::RankingProfiles,
    service::{AccessLog, ServerOptions, TlsFiles},
};

/// Everything `alumni-match serve` can be told. Every key can be set in the TOML
/// file, or as `ALUMNI_MATCH_<KEY>` in the environment (e.g. `ALUMNI_MATCH_LISTEN`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Address to listen on. Loopback by default: exposing personal data on other
    /// interfaces must be a deliberate choice.
    pub listen: SocketAddr,
    /// Where the store and index live.
    pub data_dir: PathBuf,
    /// Dataset loaded on first start when the store is empty (`alumni.jsonl`,
    /// `opportunities.jsonl`); skipped when missing.
    pub sample_dir: Option<PathBuf>,
    /// The skill alias table; matching works without it, on normalised text.
    pub taxonomy_path: Option<PathBuf>,
    /// The Japanese dictionary built by `scripts/setup.sh`; matching works without
    /// it (with a warning), on character bigrams only.
    pub ja_dictionary_path: Option<PathBuf>,
    /// Weight profiles file; the built-in `data/ranking.toml` when unset.
    pub ranking_profiles_path: Option<PathBuf>,
    /// Alumni handed from retrieval to ranking per query (pages end there).
    pub retrieval_pool: usize,
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
    /// Calls served at once; further calls get RESOURCE_EXHAUSTED.
    pub max_concurrent_calls: usize,
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
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("alumni-data"),
            sample_dir: Some(PathBuf::from("data/sample")),
            taxonomy_path: Some(PathBuf::from("data/taxonomy/skills.tsv")),
            ja_dictionary_path: Some(PathBuf::from(crate::index::DEFAULT_DICTIONARY_DIR)),
            ranking_profiles_path: None,
            retrieval_pool: 300,
            index_commit_interval_ms: 250,
            indexer_threads: 1,
            indexer_memory_mb: 128,
            max_message_bytes: 16 * 1024 * 1024,
            request_timeout_secs: 60,
            shutdown_grace_secs: 10,
            max_concurrent_calls: 64,
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
        engine.taxonomy_path = self.taxonomy_path.clone();
        engine.japanese_dictionary = self.ja_dictionary_path.clone();
        engine.profiles = profiles;
        engine.retrieval_pool = self.retrieval_pool;
        engine.commit_interval = Duration::from_millis(self.index_commit_interval_ms);
        engine.indexer_threads = self.indexer_threads;
        engine.indexer_memory_bytes = self.indexer_memory_mb.max(16) * 1024 * 1024;
        Ok(engine)
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
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            max_concurrent_calls: self.max_concurrent_calls.max(1),
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
