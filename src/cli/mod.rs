//! The `alumni-match` command line: the server and the tools around it.

mod client;
mod data_dir;
mod keys;
mod maintenance;
mod outcomes;
mod output;
mod records;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
pub use output::OutputFormat;
use serde::Serialize;

use crate::{
    config::{self, ServeConfig},
    service::{self, Connection},
};

/// Opportunity matching for corporate alumni relations, over gRPC.
#[derive(Debug, Parser)]
#[command(name = "alumni-match", version, about)]
pub struct Cli {
    /// Log filter (tracing's EnvFilter syntax), e.g. "info" or "alumni_match=debug".
    #[arg(long, global = true, env = "ALUMNI_MATCH_LOG", default_value = "info")]
    pub log: String,
    /// Log line format: `text` for people (coloured only at a terminal), `json`
    /// (one object per line) for log shippers.
    #[arg(long, global = true, env = "ALUMNI_MATCH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: time, level, target, message and fields, with
    /// the RPC span's fields (method, tenant, key id).
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (loads the sample data into a brand-new data directory).
    Serve(ServeArgs),
    /// Stream a JSONL file of alumni or opportunities to a running server.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        what: ImportKind,
        /// JSONL file, one record per line (the format of `data/sample/`).
        file: PathBuf,
        /// Start at this line (1-based): to resume an import that stopped, from
        /// the line its error names.
        #[arg(long, default_value_t = 1)]
        from_line: usize,
        #[command(flatten)]
        connection: Connection,
    },
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
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
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
        /// Output format (json and csv carry every component).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Rank open opportunities for one alumnus (MatchForAlumnus).
    MatchForAlumnus {
        /// The alumnus's id.
        #[arg(long)]
        alumnus: String,
        /// Only these kinds (repeatable) [default: every kind they opted in to].
        #[arg(long, value_enum)]
        kind: Vec<records::KindArg>,
        /// Opportunities to show.
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// Fill in every score component.
        #[arg(long)]
        explain: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Assign mentors to MENTORING opportunities, each alumnus at most so often
    /// (AssignMentors).
    AssignMentors {
        /// The opportunities (repeatable).
        #[arg(long, required = true)]
        opportunity: Vec<String>,
        /// Opportunities one alumnus may mentor [default: the server's].
        #[arg(long, default_value_t = 0)]
        max_per_alumnus: u32,
        /// Candidates considered per opportunity [default: the server's].
        #[arg(long, default_value_t = 0)]
        candidates_per_opportunity: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Opportunities: list, get, close.
    #[command(subcommand)]
    Opportunities(OpportunitiesCommand),
    /// Alumni: get a full record, delete (erase).
    #[command(subcommand)]
    Alumni(AlumniCommand),
    /// Verify a data directory offline (the server stopped): every page and
    /// record of each tenant's store, the index against the store, file modes.
    /// Exits non-zero when anything is wrong.
    Check {
        /// The data directory.
        #[arg(long, default_value = "alumni-data")]
        data_dir: PathBuf,
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Take a consistent copy of the key's tenant's store from a running server.
    Backup {
        /// The file to write (readable by its owner only).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Put a backup in place as a tenant's store (the server stopped); the index
    /// is rebuilt from it at the next start.
    Restore {
        /// The backup file written by `alumni-match backup`.
        #[arg(long)]
        from: PathBuf,
        /// The data directory to restore into.
        #[arg(long, default_value = "alumni-data")]
        data_dir: PathBuf,
        /// The tenant to restore.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Replace the tenant's existing store (it is kept aside).
        #[arg(long)]
        force: bool,
    },
    /// Make deleted alumni physically gone from the search index's files.
    Purge {
        #[command(flatten)]
        connection: Connection,
    },
    /// Issue, revoke and list API keys. Edits the key file; a running server picks
    /// the change up within a second.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Build data files the server needs (the Japanese dictionary).
    #[command(subcommand)]
    Data(DataCommand),
    /// Outcomes: record what happened with an alumnus about an opportunity, list them.
    #[command(subcommand)]
    Outcomes(OutcomesCommand),
    /// The tenant's contact etiquette: read it, set it.
    #[command(subcommand)]
    ContactPolicy(ContactPolicyCommand),
    /// The funnel: shown → contacted → replied → interviewed → hired, by kind and opportunity.
    Funnel {
        /// Only this kind.
        #[arg(long, value_enum)]
        kind: Option<records::KindArg>,
        /// Only this opportunity.
        #[arg(long)]
        opportunity: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Fit the tenant's ranking weights to its outcomes; installs a new profile
    /// version only for kinds whose held-out NDCG@10 improves (admin key).
    Tune {
        /// The tenant to tune: must be the API key's (a guard against the wrong key).
        #[arg(long)]
        tenant: String,
        /// Report what a fit would do; install nothing.
        #[arg(long)]
        dry_run: bool,
        /// Share of opportunities held out to judge the fit [default: 0.3].
        #[arg(long, default_value_t = 0.0)]
        holdout: f64,
        /// Output format (json carries the weights before and after).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
}

/// Subcommands of `outcomes`.
#[derive(Debug, Subcommand)]
pub enum OutcomesCommand {
    /// Record one outcome from the flags, or many from a JSONL file.
    Record {
        /// The alumnus.
        #[arg(long, required_unless_present = "file")]
        alumnus: Option<String>,
        /// The stored opportunity.
        #[arg(long, required_unless_present = "file")]
        opportunity: Option<String>,
        /// What happened.
        #[arg(long, value_enum, required_unless_present = "file")]
        kind: Option<outcomes::OutcomeArg>,
        /// When, RFC 3339 [default: now].
        #[arg(long)]
        at: Option<String>,
        /// A short note for analysts.
        #[arg(long, default_value = "")]
        note: String,
        /// For referrals: your id of the person referred.
        #[arg(long, default_value = "")]
        referred: String,
        /// JSONL, one outcome per line: alumnus_id, opportunity_id, kind, occurred_at, note.
        #[arg(long, conflicts_with_all = ["alumnus", "opportunity", "kind"])]
        file: Option<PathBuf>,
        #[command(flatten)]
        connection: Connection,
    },
    /// List one alumnus's or one opportunity's outcomes.
    List {
        /// The alumnus.
        #[arg(long, conflicts_with = "opportunity", required_unless_present = "opportunity")]
        alumnus: Option<String>,
        /// The opportunity.
        #[arg(long)]
        opportunity: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
}

/// Subcommands of `contact-policy`.
#[derive(Debug, Subcommand)]
pub enum ContactPolicyCommand {
    /// Print the policy in force.
    Get {
        #[command(flatten)]
        connection: Connection,
    },
    /// Replace it (admin key).
    Set {
        /// Most opportunities an alumnus is approached about in the window; 0 = no cap.
        #[arg(long)]
        max_contacts: u32,
        /// The window, in days.
        #[arg(long, default_value_t = 90)]
        window_days: u32,
        /// What the cap does.
        #[arg(long, value_enum, default_value_t = outcomes::CappedArg::Hide)]
        when_capped: outcomes::CappedArg,
        #[command(flatten)]
        connection: Connection,
    },
}

/// Subcommands of `opportunities`.
#[derive(Debug, Subcommand)]
pub enum OpportunitiesCommand {
    /// List opportunities (every page).
    List {
        /// Only this kind.
        #[arg(long, value_enum)]
        kind: Option<records::KindArg>,
        /// Which status.
        #[arg(long, value_enum, default_value_t = records::StatusArg::Open)]
        status: records::StatusArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Print one opportunity.
    Get {
        /// Its id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Close an opportunity: it leaves matching and its stored shortlist.
    Close {
        /// Its id.
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
}

/// Subcommands of `alumni`.
#[derive(Debug, Subcommand)]
pub enum AlumniCommand {
    /// Print one alumnus's full record (admin keys: it includes why they left).
    Get {
        /// The id.
        id: String,
        /// Output format: json is the import files' shape.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        #[command(flatten)]
        connection: Connection,
    },
    /// Delete (erase) alumni: from the store, the index and stored shortlists.
    Delete {
        /// Their ids.
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

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
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
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

/// Data files the server builds for itself.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
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
    /// Address of the HTTP routes, /metrics and /healthz [default: 127.0.0.1:50052].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_listen: Option<std::net::SocketAddr>,
    /// Do not serve the HTTP routes.
    #[arg(long)]
    #[serde(skip)]
    pub no_http: bool,
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
    /// Occupation tables [default: data/occupations].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occupations_path: Option<PathBuf>,
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
    /// The Japanese dictionary could not be built.
    #[error(transparent)]
    JapaneseDictionary(#[from] crate::index::JapaneseDictionaryError),
    /// A call to the server failed.
    #[error("{0}")]
    Client(String),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Import {
            what,
            file,
            from_line,
            connection,
        } => client::import(what, &file, from_line, &connection).await,
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
        Command::Check { data_dir, tenant } => {
            tokio::task::spawn_blocking(move || maintenance::check(&data_dir, tenant.as_deref()))
                .await
                .map_err(|e| CliError::Client(format!("check task failed: {e}")))?
        }
        Command::Backup { out, connection } => maintenance::backup(&out, &connection).await,
        Command::Restore {
            from,
            data_dir,
            tenant,
            force,
        } => maintenance::restore(&from, &data_dir, &tenant, force),
        Command::Keys(command) => keys::keys(command),
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
            format,
            connection,
        } => client::match_table(&opportunity, limit, explain, format, &connection).await,
        Command::MatchForAlumnus {
            alumnus,
            kind,
            limit,
            explain,
            format,
            connection,
        } => records::match_for_alumnus(&alumnus, &kind, limit, explain, format, &connection).await,
        Command::AssignMentors {
            opportunity,
            max_per_alumnus,
            candidates_per_opportunity,
            format,
            connection,
        } => {
            records::assign_mentors(
                opportunity,
                max_per_alumnus,
                candidates_per_opportunity,
                format,
                &connection,
            )
            .await
        }
        Command::Opportunities(OpportunitiesCommand::List {
            kind,
            status,
            format,
            connection,
        }) => records::list_opportunities(kind, status, format, &connection).await,
        Command::Opportunities(OpportunitiesCommand::Get { id, format, connection }) => {
            records::get_opportunity(&id, format, &connection).await
        }
        Command::Opportunities(OpportunitiesCommand::Close { id, connection }) => {
            records::close_opportunity(&id, &connection).await
        }
        Command::Alumni(AlumniCommand::Get { id, format, connection }) => {
            records::get_alumnus(&id, format, &connection).await
        }
        Command::Alumni(AlumniCommand::Delete { ids, connection }) => records::delete_alumni(ids, &connection).await,
        Command::Outcomes(OutcomesCommand::Record {
            alumnus,
            opportunity,
            kind,
            at,
            note,
            referred,
            file,
            connection,
        }) => {
            let one = match (&alumnus, &opportunity, kind) {
                (Some(alumnus), Some(opportunity), Some(kind)) => Some(outcomes::OutcomeInput {
                    alumnus,
                    opportunity,
                    kind,
                    at: at.as_deref(),
                    note: &note,
                    referred: &referred,
                }),
                _ => None,
            };
            outcomes::record(one, file.as_deref(), &connection).await
        }
        Command::Outcomes(OutcomesCommand::List {
            alumnus,
            opportunity,
            format,
            connection,
        }) => outcomes::list(alumnus, opportunity, format, &connection).await,
        Command::ContactPolicy(ContactPolicyCommand::Get { connection }) => outcomes::get_policy(&connection).await,
        Command::ContactPolicy(ContactPolicyCommand::Set {
            max_contacts,
            window_days,
            when_capped,
            connection,
        }) => outcomes::set_policy(max_contacts, window_days, when_capped, &connection).await,
        Command::Funnel {
            kind,
            opportunity,
            format,
            connection,
        } => outcomes::funnel(kind, opportunity, format, &connection).await,
        Command::Tune {
            tenant,
            dry_run,
            holdout,
            format,
            connection,
        } => outcomes::tune(&tenant, dry_run, holdout, format, &connection).await,
    }
}
