//! The `alumni-match` command line: the server and the tools around it.

mod bench;
mod client;
pub mod config;
mod soak;

use std::{path::PathBuf, sync::Arc};

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::{
    access::{KeyFile, KeyRing, KeySet, Role, TenantId},
    engine::{Tenants, migrate_single_tenant_layout},
    service::{self, AccessLog, Authentication, ServerOptions},
};
use config::ServeConfig;

/// Opportunity matching for corporate alumni relations, over gRPC.
#[derive(Debug, Parser)]
#[command(name = "alumni-match", version, about)]
pub struct Cli {
    /// Log filter (tracing's EnvFilter syntax), e.g. "info" or "alumni_match=debug".
    #[arg(long, global = true, env = "ALUMNI_MATCH_LOG", default_value = "info")]
    pub log: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (loads the sample data on first start with an empty store).
    Serve(ServeArgs),
    /// Stream a JSONL file of alumni or opportunities to a running server.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        what: ImportKind,
        /// JSONL file, one record per line (the format of `data/sample/`).
        file: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Generate a deterministic synthetic dataset from the committed real vocabulary
    /// (`alumni.jsonl`, `opportunities.jsonl`, `labels.jsonl`).
    Gen {
        /// Number of alumni.
        #[arg(long, default_value_t = 2_000)]
        alumni: usize,
        /// Number of opportunities.
        #[arg(long, default_value_t = 40)]
        opportunities: usize,
        /// Seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of Japanese-language profiles and opportunities, 0 to 1.
        #[arg(long, default_value_t = 0.6)]
        japanese_share: f64,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Rebuild the committed files derived from the real reference data.
    #[command(subcommand)]
    Data(DataCommand),
    /// Re-score opportunities on the server and store their shortlists, with a
    /// progress bar.
    Rescore {
        /// Every open opportunity.
        #[arg(long, conflicts_with = "opportunity", required_unless_present = "opportunity")]
        all: bool,
        /// Only these opportunities (repeatable).
        #[arg(long)]
        opportunity: Vec<String>,
        /// Candidates kept per shortlist (at most 1000).
        #[arg(long, default_value_t = 100)]
        shortlist_size: u32,
        /// Only missing or stale shortlists.
        #[arg(long)]
        only_stale: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Print a stored shortlist for analysts.
    Shortlist {
        /// The opportunity's id.
        #[arg(long)]
        opportunity: String,
        /// Output format; csv is UTF-8 with a byte-order mark so spreadsheets show Japanese.
        #[arg(long, value_enum, default_value_t = ShortlistFormat::Table)]
        format: ShortlistFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Rank alumni for a stored opportunity and print a table.
    Match {
        /// The opportunity's id.
        #[arg(long)]
        opportunity: String,
        /// Candidates to show (at most 1000).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Show every score component and the matched and missing skills.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Run a steady mixed load (matches, writes, deletes, re-scores) against a
    /// running server for a fixed time; report latencies, errors and the server's
    /// memory. Exits non-zero on any failed call.
    Soak(soak::SoakArgs),
    /// Load drivers of the end-to-end benchmark (`benches/run.sh`): JSON lines
    /// with latency percentiles and rates.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Make deleted alumni physically gone from the search index's files.
    Purge {
        #[command(flatten)]
        connection: Connection,
    },
    /// Issue, revoke and list API keys. Edits the key file; a running server picks
    /// the change up within a second.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Evaluate the ranking offline on a generated, judged data set: NDCG@10 and
    /// P@10 of the model and of a BM25-only baseline per kind, and gate violations.
    /// Exits non-zero on any gate violation (not when the model loses).
    Eval(EvalArgs),
}

/// How a client command reaches the server.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Server address; `https://` for a server with TLS.
    #[arg(long, env = "ALUMNI_MATCH_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// API key [default: the admin key a local server wrote to <data-dir>/admin.key
    /// at its first start].
    #[arg(long, env = "ALUMNI_MATCH_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Data directory of a local server, where its first-start admin key is.
    #[arg(long, default_value = "alumni-data")]
    pub data_dir: PathBuf,
    /// PEM certificate of the authority that signed the server's certificate.
    #[arg(long)]
    pub ca_certificate: Option<PathBuf>,
}

impl Connection {
    /// The key to send: the flag or environment, else the local admin key file if
    /// there is one, else none (for a server without authentication).
    pub fn api_key(&self) -> Result<Option<String>, CliError> {
        if let Some(key) = &self.api_key {
            return Ok(Some(key.trim().to_owned()));
        }
        let path = self.data_dir.join(ADMIN_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CliError::Client(format!("{}: {e}", path.display()))),
        }
    }
}

/// Where `serve` leaves the admin key it issues at first start, readable by its
/// owner only, so local client commands work without copying it around.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Subcommands of `keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Issue a key and print it once (only its SHA-256 digest is stored).
    Issue {
        /// The tenant (company alumni programme) the key reaches.
        #[arg(long)]
        tenant: String,
        /// What the key may do.
        #[arg(long, value_enum)]
        role: crate::access::Role,
        /// Who holds the key, for people reading the key file.
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        file: KeyFileArgs,
    },
    /// Revoke a key by its id; it stays listed as revoked.
    Revoke {
        /// The key's id (the 16 hex digits after `amk_`).
        id: String,
        #[command(flatten)]
        file: KeyFileArgs,
    },
    /// List keys (ids, tenants, roles; never secrets).
    List {
        #[command(flatten)]
        file: KeyFileArgs,
    },
}

/// Which key file `keys` edits: the one `serve` would use with the same settings.
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct KeyFileArgs {
    /// The server's TOML configuration file.
    #[arg(long, env = "ALUMNI_MATCH_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The server's data directory [default: ./alumni-data].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// The key file itself [default: <data-dir>/api-keys.toml].
    #[arg(long)]
    #[serde(rename = "api_keys_path", skip_serializing_if = "Option::is_none")]
    pub keys_file: Option<PathBuf>,
}

impl KeyFileArgs {
    fn key_file(&self) -> Result<crate::access::KeyFile, CliError> {
        let config = ServeConfig::load(self.config.as_ref(), self)?;
        Ok(crate::access::KeyFile::new(config.api_keys_file()))
    }
}

/// Flags of `eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Number of alumni to generate.
    #[arg(long, default_value_t = 5_000)]
    pub alumni: usize,
    /// Opportunities queried per kind.
    #[arg(long, default_value_t = 25)]
    pub opportunities_per_kind: usize,
    /// Generator seed: the same seed gives the same judged set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Skill alias table used by the engine under evaluation.
    #[arg(long, default_value = "data/taxonomy/skills.tsv")]
    pub taxonomy_path: PathBuf,
    /// Evaluate without the skill alias table.
    #[arg(long, conflicts_with = "taxonomy_path")]
    pub no_taxonomy: bool,
    /// Ranking weight profiles (TOML) to evaluate [default: built-in data/ranking.toml].
    #[arg(long)]
    pub ranking_profiles_path: Option<PathBuf>,
    /// Japanese dictionary built by `scripts/setup.sh`; bigrams only when missing.
    #[arg(long, default_value = "data/ja-dict")]
    pub ja_dictionary_path: PathBuf,
    /// Also report NDCG with each model component removed in turn.
    #[arg(long)]
    pub ablation: bool,
    /// Alumni re-ranked per query [default: the server's default].
    #[arg(long)]
    pub retrieval_pool: Option<usize>,
}

/// Output formats of `shortlist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShortlistFormat {
    /// A readable table.
    Table,
    /// CSV (UTF-8 with BOM), one candidate per row.
    Csv,
    /// JSON, with every score component.
    Json,
}

/// Output formats of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A plain-text table.
    Table,
    /// Pretty-printed JSON, including per-query results.
    Json,
}

/// Derivations from the real reference data (ESCO, O*NET, Sudachi, mimesis, IPADIC).
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Write `data/vocab/vocabulary.json`, the generator's vocabulary.
    BuildVocabulary {
        /// The reference data directory.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Output file.
        #[arg(long, default_value = "data/vocab/vocabulary.json")]
        out: PathBuf,
    },
    /// Write `data/taxonomy/skills.tsv`, the skill alias table.
    BuildTaxonomy {
        /// The reference data directory.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Output file.
        #[arg(long, default_value = "data/taxonomy/skills.tsv")]
        out: PathBuf,
    },
    /// Build the Japanese morphological dictionary (not committed: ~50 MB) from the
    /// MeCab IPADIC sources of Debian's `mecab-ipadic` package.
    BuildJaDictionary {
        /// The IPADIC source directory (EUC-JP `*.csv` and `*.def` files).
        #[arg(long, default_value = crate::index::DEFAULT_IPADIC_SOURCE)]
        source: PathBuf,
        /// Output directory, replaced when the build succeeds.
        #[arg(long, default_value = crate::index::DEFAULT_DICTIONARY_DIR)]
        out: PathBuf,
    },
}

/// Kinds of import file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportKind {
    /// Alumni profiles, streamed through `ImportAlumni`.
    Alumni,
    /// Opportunities, sent through `UpsertOpportunities` in batches.
    Opportunities,
}

/// Flags of `serve`; any flag left out falls back to the config file, the
/// environment, then the default.
#[derive(Debug, clap::Args, Serialize)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "ALUMNI_MATCH_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:50051].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<std::net::SocketAddr>,
    /// Data directory [default: ./alumni-data].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Dataset to load on first start [default: data/sample].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_dir: Option<PathBuf>,
    /// Do not load the sample dataset.
    #[arg(long)]
    #[serde(skip)]
    pub no_sample: bool,
    /// Skill alias table [default: data/taxonomy/skills.tsv].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxonomy_path: Option<PathBuf>,
    /// Japanese dictionary built by `data build-ja-dictionary` [default: data/ja-dict].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja_dictionary_path: Option<PathBuf>,
    /// Ranking weight profiles (TOML) [default: built-in data/ranking.toml].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking_profiles_path: Option<PathBuf>,
    /// Authentication [default: api-keys]; `none` is refused off loopback.
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<config::AuthMode>,
    /// Calls served at once before RESOURCE_EXHAUSTED [default: 64].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_calls: Option<usize>,
    /// PEM certificate chain for TLS (with --tls-private-key-path).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate_path: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_private_key_path: Option<PathBuf>,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The engine failed to start or load data.
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    /// An API key or the key file.
    #[error(transparent)]
    Access(#[from] crate::access::AccessError),
    /// The server failed.
    #[error(transparent)]
    Service(#[from] service::ServiceError),
    /// Data generation or derivation failed.
    #[error(transparent)]
    Data(#[from] crate::datagen::GenError),
    /// The Japanese dictionary could not be built.
    #[error(transparent)]
    JapaneseDictionary(#[from] crate::index::JapaneseDictionaryError),
    /// A call to the server failed.
    #[error("{0}")]
    Client(String),
    /// The evaluation could not be run.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// Standard output could not be written.
    #[error("writing the output: {0}")]
    Output(std::io::Error),
    /// The evaluation ran and found rankings that break the gates.
    #[error("{0} gate violation(s): a ranking returned an alumnus who must not be matched")]
    GateViolations(usize),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Import { what, file, connection } => client::import(what, &file, &connection).await,
        Command::Rescore {
            all: _,
            opportunity,
            shortlist_size,
            only_stale,
            connection,
        } => client::rescore(opportunity, shortlist_size, only_stale, &connection).await,
        Command::Shortlist {
            opportunity,
            format,
            connection,
        } => client::shortlist(&opportunity, format, &connection).await,
        Command::Purge { connection } => client::purge(&connection).await,
        Command::Soak(args) => soak::run(args).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Keys(command) => keys(command),
        Command::Gen {
            alumni,
            opportunities,
            seed,
            japanese_share,
            out,
        } => {
            let config = crate::datagen::GenConfig {
                alumni,
                opportunities,
                seed,
                japanese_share,
                ..crate::datagen::GenConfig::default()
            };
            generate(config, out).await
        }
        Command::Data(DataCommand::BuildVocabulary { shared, out }) => {
            let stats = crate::datagen::build_vocabulary(&shared, &out)?;
            println!("wrote {}: {stats:?}", out.display());
            Ok(())
        }
        Command::Data(DataCommand::BuildTaxonomy { shared, out }) => {
            let stats = crate::datagen::build_skill_taxonomy(&shared, &out)?;
            println!("wrote {}: {stats:?}", out.display());
            Ok(())
        }
        Command::Data(DataCommand::BuildJaDictionary { source, out }) => {
            let started = std::time::Instant::now();
            let report =
                tokio::task::spawn_blocking(move || crate::index::build_ipadic(&source, &out).map(|r| (r, out)))
                    .await
                    .map_err(|e| CliError::Client(format!("dictionary build task failed: {e}")))?;
            let (report, out) = report?;
            println!(
                "wrote {}: {} entries, {:.1} MB, source fingerprint {}, in {:.1} s",
                out.display(),
                report.entries,
                report.bytes as f64 / 1e6,
                report.stamp.source_fingerprint,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Match {
            opportunity,
            limit,
            explain,
            connection,
        } => client::match_table(&opportunity, limit, explain, &connection).await,
        Command::Eval(args) => evaluate(args).await,
    }
}

async fn evaluate(args: EvalArgs) -> Result<(), CliError> {
    let profiles = match &args.ranking_profiles_path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| config::ConfigError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            crate::ranking::RankingProfiles::from_toml(&text).map_err(|e| config::ConfigError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            })?
        }
        None => crate::ranking::RankingProfiles::defaults(),
    };
    let mut eval_config = crate::eval::EvalConfig::new(args.alumni, args.opportunities_per_kind, args.seed);
    eval_config.taxonomy_path = (!args.no_taxonomy).then_some(args.taxonomy_path);
    eval_config.japanese_dictionary = args.ja_dictionary_path.exists().then_some(args.ja_dictionary_path);
    eval_config.profiles = profiles;
    eval_config.ablation = args.ablation;
    if let Some(pool) = args.retrieval_pool {
        eval_config.retrieval_pool = pool.max(1);
    }
    let report = tokio::task::spawn_blocking(move || crate::eval::run(&eval_config))
        .await
        .map_err(|e| CliError::Client(format!("evaluation task failed: {e}")))??;
    let text = match args.format {
        OutputFormat::Table => crate::eval::render_table(&report),
        OutputFormat::Json => report.to_json()? + "\n",
    };
    // Written by hand rather than with print! so a closed pipe (`| head`) is an
    // error, not a panic; and a reader that stopped early is no failure.
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, text.as_bytes()).and_then(|()| std::io::Write::flush(&mut stdout)) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(CliError::Output(e)),
        _ => {}
    }
    if report.gate_violations > 0 {
        return Err(CliError::GateViolations(report.gate_violations));
    }
    Ok(())
}

async fn generate(config: crate::datagen::GenConfig, out: PathBuf) -> Result<(), CliError> {
    let vocabulary = crate::datagen::Vocabulary::embedded()?;
    let bar = client::styled_bar(
        config.alumni as u64,
        "alumni [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
    );
    let progress = bar.clone();
    let stats = tokio::task::spawn_blocking(move || {
        crate::datagen::write_dataset(&vocabulary, &config, &out, |done| progress.set_position(done as u64))
            .map(|stats| (stats, out))
    })
    .await
    .map_err(|e| CliError::Client(format!("generator task failed: {e}")))?;
    bar.finish_and_clear();
    let (stats, out) = stats?;
    println!("wrote {}: {stats:?}", out.display());
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let mut config = ServeConfig::load(args.config.as_ref(), &args)?;
    if args.no_sample {
        config.sample_dir = None;
    }
    let options = config.server_options(AccessLog::disabled())?;
    let engine_config = config.engine_config()?;
    let authentication = authentication(&config)?;
    let access_log = if config.access_log {
        let path = config
            .access_log_path
            .clone()
            .unwrap_or_else(|| config.data_dir.join("access.log"));
        AccessLog::open(&path).map_err(|e| CliError::Client(format!("access log {}: {e}", path.display())))?
    } else {
        AccessLog::disabled()
    };
    let options = ServerOptions { access_log, ..options };
    let data_dir = config.data_dir.clone();
    let tenants = tokio::task::spawn_blocking(move || -> Result<Arc<Tenants>, CliError> {
        migrate_single_tenant_layout(&data_dir)?;
        let tenants = Arc::new(Tenants::new(engine_config));
        let opened = tenants.open_existing()?;
        tracing::info!(tenants = opened.len(), "tenants opened");
        Ok(tenants)
    })
    .await
    .map_err(|e| CliError::Client(format!("start-up task failed: {e}")))??;
    if let Some(sample) = config.sample_dir.clone() {
        let loader = tenants.clone();
        tokio::task::spawn_blocking(move || load_sample(&loader, &sample))
            .await
            .map_err(|e| CliError::Client(format!("sample load failed: {e}")))??;
    }
    if !config.listen.ip().is_loopback() && options.tls.is_none() {
        tracing::warn!(listen = %config.listen, "listening beyond loopback without TLS: keys and personal data cross the network in clear text");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(service::ServiceError::Io)?;
    service::serve(tenants, authentication, listener, options, shutdown_signal()).await?;
    Ok(())
}

/// Loads the sample dataset into the default tenant when its store is empty.
fn load_sample(tenants: &Tenants, sample: &std::path::Path) -> Result<(), CliError> {
    let engine = tenants.engine(&TenantId::default_tenant())?;
    if engine.count_alumni()? > 0 {
        return Ok(());
    }
    if sample.join("alumni.jsonl").exists() {
        let (alumni, opportunities) = engine.load_dataset(sample)?;
        tracing::info!(alumni, opportunities, dir = %sample.display(), "empty default tenant: loaded the sample dataset");
    } else {
        tracing::info!(dir = %sample.display(), "empty store and no sample dataset there; starting empty");
    }
    Ok(())
}

/// The server's authentication. With API keys and none active yet (a first start),
/// issues an admin key for the default tenant, prints it once and leaves it in
/// `<data_dir>/admin.key` for local client commands.
fn authentication(config: &ServeConfig) -> Result<Authentication, CliError> {
    match config.auth {
        config::AuthMode::None => {
            if !config.listen.ip().is_loopback() {
                return Err(config::ConfigError::Invalid(format!(
                    "auth = \"none\" is only allowed on a loopback address, not {}",
                    config.listen
                ))
                .into());
            }
            tracing::warn!("authentication is disabled: every local caller is admin of the default tenant");
            Ok(Authentication::Disabled)
        }
        config::AuthMode::ApiKeys => {
            let file = KeyFile::new(config.api_keys_file());
            if KeySet::new(file.records()?).is_empty() {
                let issued = file.issue(TenantId::default_tenant(), Role::Admin, "issued at first start")?;
                let key_path = config.data_dir.join(ADMIN_KEY_FILE);
                write_private(&key_path, &issued.key)
                    .map_err(|e| CliError::Client(format!("{}: {e}", key_path.display())))?;
                eprintln!(
                    "\nNo API key existed, so an admin key for tenant \"default\" was issued:\n\n    {}\n\n\
                     It is shown only now; a copy readable only by you is in {}.\n\
                     Local client commands use that copy; others pass --api-key or ALUMNI_MATCH_API_KEY.\n\
                     Issue keys for other tenants and roles with `alumni-match keys issue`.\n",
                    issued.key,
                    key_path.display()
                );
            }
            let ring = KeyRing::load(file)?;
            tracing::info!(active_keys = ring.active_keys(), "API keys loaded");
            Ok(Authentication::ApiKeys(Arc::new(ring)))
        }
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn keys(command: KeysCommand) -> Result<(), CliError> {
    match command {
        KeysCommand::Issue {
            tenant,
            role,
            label,
            file,
        } => {
            let tenant = TenantId::parse(&tenant)?;
            let key_file = file.key_file()?;
            let issued = key_file.issue(tenant, role, &label)?;
            eprintln!(
                "issued key {} ({} of tenant {}) in {}; it is shown only now:",
                issued.record.id,
                role.name(),
                issued.record.tenant,
                key_file.path().display()
            );
            println!("{}", issued.key);
        }
        KeysCommand::Revoke { id, file } => {
            let key_file = file.key_file()?;
            let record = key_file.revoke(&id)?;
            println!(
                "revoked key {} ({} of tenant {}); a running server refuses it within a second",
                record.id,
                record.role.name(),
                record.tenant
            );
        }
        KeysCommand::List { file } => {
            let key_file = file.key_file()?;
            println!(
                "{:<16}  {:<20}  {:<8}  {:<25}  {:<25}  label",
                "id", "tenant", "role", "created", "revoked"
            );
            for record in key_file.records()? {
                println!(
                    "{:<16}  {:<20}  {:<8}  {:<25}  {:<25}  {}",
                    record.id,
                    record.tenant,
                    record.role.name(),
                    record.created_at,
                    record.revoked_at.as_deref().unwrap_or("-"),
                    record.label
                );
            }
        }
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
