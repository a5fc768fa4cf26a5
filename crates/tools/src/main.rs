//! The `alumni-match-tools` binary: what is not the server. Data generation and
//! the derivation of the committed data files, the offline evaluation of the
//! ranking, and the load, soak and benchmark drivers.

use std::path::PathBuf;

use alumni_match_tools::{ToolError, bench, datagen, eval, soak};
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

/// Tools around alumni-match: data, evaluation and load.
#[derive(Debug, Parser)]
#[command(name = "alumni-match-tools", version, about)]
struct Cli {
    /// Log filter (tracing's EnvFilter syntax), e.g. "info" or "alumni_match=debug".
    #[arg(long, global = true, env = "ALUMNI_MATCH_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// Evaluate the ranking offline: NDCG@10 and P@10 against BM25, per kind,
    /// and gate violations. Exits non-zero on any gate violation (not when the
    /// model loses).
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Run a steady mixed load (matches, writes, deletes, re-scores) against a
    /// running server for a fixed time; report latencies, errors and the server's
    /// memory. Exits non-zero on any failed call.
    Soak(soak::SoakArgs),
    /// Load drivers of the end-to-end benchmark (`benches/run.sh`): JSON lines
    /// with latency percentiles and rates.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Derivations from the real reference data (ESCO, O*NET, Sudachi, EDICT2, mimesis).
#[derive(Debug, Subcommand)]
enum DataCommand {
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
    /// Write `data/occupations/`, the occupation tables (titles in English and
    /// Japanese, the Japanese glossary, similar occupations).
    BuildOccupations {
        /// The reference data directory.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "data/occupations")]
        out: PathBuf,
    },
    /// Show the occupations titles are recognised as, with their most similar
    /// occupations (to check the tables).
    Recognise {
        /// The occupation tables.
        #[arg(long, default_value = "data/occupations")]
        dir: PathBuf,
        /// Titles, in English or Japanese.
        #[arg(required = true)]
        titles: Vec<String>,
    },
}

/// The evaluations.
#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// The measure of quality: alumni and openings built from O*NET
    /// occupations, judged by ESCO occupation-skill relations and ISCO groups
    /// (which the ranking never reads), against BM25, per kind and for Japanese
    /// titles; fits the weights on the training half.
    Independent(IndependentArgs),
    /// The regression check on the project's own generator (judged by its labels).
    Generated(EvalArgs),
}

/// Flags of `eval independent`.
#[derive(Debug, clap::Args)]
struct IndependentArgs {
    /// The reference data (O*NET, ESCO).
    #[arg(long, default_value = "../shared/data")]
    shared: PathBuf,
    /// Alumni in the judged set.
    #[arg(long, default_value_t = 20_000)]
    alumni: usize,
    /// Openings per kind (even ones fit the weights, odd ones test them).
    #[arg(long, default_value_t = 40)]
    openings_per_kind: usize,
    /// Seed of the set.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Skill alias table.
    #[arg(long, default_value = "data/taxonomy/skills.tsv")]
    taxonomy_path: PathBuf,
    /// Occupation tables.
    #[arg(long, default_value = "data/occupations")]
    occupations_path: PathBuf,
    /// Ranking weight profiles (TOML) to evaluate [default: built-in data/ranking.toml].
    #[arg(long)]
    ranking_profiles_path: Option<PathBuf>,
    /// Japanese dictionary built by `scripts/setup.sh`.
    #[arg(long, default_value = "data/ja-dict")]
    ja_dictionary_path: PathBuf,
    /// Alumni re-ranked per query [default: the server's default].
    #[arg(long)]
    retrieval_pool: Option<usize>,
    /// Write the fitted weights as a profiles file (data/ranking.toml's format).
    #[arg(long)]
    write_profiles: Option<PathBuf>,
}

/// Flags of `eval generated`.
#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// Number of alumni to generate.
    #[arg(long, default_value_t = 5_000)]
    alumni: usize,
    /// Opportunities queried per kind.
    #[arg(long, default_value_t = 25)]
    opportunities_per_kind: usize,
    /// Generator seed: the same seed gives the same judged set.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Skill alias table used by the engine under evaluation.
    #[arg(long, default_value = "data/taxonomy/skills.tsv")]
    taxonomy_path: PathBuf,
    /// Evaluate without the skill alias table.
    #[arg(long, conflicts_with = "taxonomy_path")]
    no_taxonomy: bool,
    /// Occupation tables.
    #[arg(long, default_value = "data/occupations")]
    occupations_path: PathBuf,
    /// Ranking weight profiles (TOML) to evaluate [default: built-in data/ranking.toml].
    #[arg(long)]
    ranking_profiles_path: Option<PathBuf>,
    /// Japanese dictionary built by `scripts/setup.sh`; bigrams only when missing.
    #[arg(long, default_value = "data/ja-dict")]
    ja_dictionary_path: PathBuf,
    /// Also report NDCG with each model component removed in turn.
    #[arg(long)]
    ablation: bool,
    /// Alumni re-ranked per query [default: the server's default].
    #[arg(long)]
    retrieval_pool: Option<usize>,
}

/// Output formats of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// A plain-text table.
    Table,
    /// Pretty-printed JSON, including per-query results.
    Json,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    restore_default_sigpipe();
    let filter = match EnvFilter::try_new(&cli.log) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("error: invalid --log filter {:?}: {error}", cli.log);
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), ToolError> {
    match command {
        Command::Gen {
            alumni,
            opportunities,
            seed,
            japanese_share,
            out,
        } => {
            let config = datagen::GenConfig {
                alumni,
                opportunities,
                seed,
                japanese_share,
                ..datagen::GenConfig::default()
            };
            generate(config, out).await
        }
        Command::Data(DataCommand::BuildVocabulary { shared, out }) => {
            let stats = datagen::build_vocabulary(&shared, &out)?;
            println!("wrote {}: {stats:?}", out.display());
            Ok(())
        }
        Command::Data(DataCommand::BuildTaxonomy { shared, out }) => {
            let stats = datagen::build_skill_taxonomy(&shared, &out)?;
            println!("wrote {}: {stats:?}", out.display());
            Ok(())
        }
        Command::Data(DataCommand::BuildOccupations { shared, out }) => {
            let stats = datagen::build_occupations(&shared, &out)?;
            println!("wrote {}: {stats:?}", out.display());
            Ok(())
        }
        Command::Data(DataCommand::Recognise { dir, titles }) => {
            let tables = alumni_match_engine::taxonomy::Occupations::load(&dir)?;
            for title in titles {
                println!("{title}");
                for found in tables.recognise(&title).iter() {
                    let similar: Vec<String> = tables
                        .similar(found.occupation)
                        .iter()
                        .take(3)
                        .map(|(other, s)| format!("{} {s:.2}", tables.title(*other)))
                        .collect();
                    println!(
                        "  {:.2} {} {} (similar: {})",
                        found.confidence,
                        tables.code(found.occupation),
                        tables.title(found.occupation),
                        similar.join(", ")
                    );
                }
            }
            Ok(())
        }
        Command::Eval(EvalCommand::Generated(args)) => evaluate(args).await,
        Command::Eval(EvalCommand::Independent(args)) => evaluate_independent(args).await,
        Command::Soak(args) => soak::run(args).await,
        Command::Bench(command) => bench::run(command).await,
    }
}

fn read_profiles(path: Option<&std::path::Path>) -> Result<alumni_match_engine::ranking::RankingProfiles, ToolError> {
    use alumni_match::config::ConfigError;
    Ok(match path {
        Some(path) => {
            let file_error = |message: String| ConfigError::File {
                path: path.display().to_string(),
                message,
            };
            let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
            alumni_match_engine::ranking::RankingProfiles::from_toml(&text).map_err(|e| file_error(e.to_string()))?
        }
        None => alumni_match_engine::ranking::RankingProfiles::defaults(),
    })
}

fn existing(path: PathBuf, what: &str) -> Result<PathBuf, ToolError> {
    if path.exists() {
        Ok(path)
    } else {
        Err(ToolError::Client(format!("{what} {} not found", path.display())))
    }
}

async fn evaluate_independent(args: IndependentArgs) -> Result<(), ToolError> {
    let mut config = eval::independent::IndependentConfig::new(args.shared);
    config.alumni = args.alumni;
    config.openings_per_kind = args.openings_per_kind;
    config.seed = args.seed;
    config.taxonomy_path = Some(existing(args.taxonomy_path, "skill taxonomy")?);
    config.occupations_path = Some(existing(args.occupations_path, "occupation tables")?);
    config.japanese_dictionary = Some(existing(args.ja_dictionary_path, "Japanese dictionary")?);
    config.profiles = read_profiles(args.ranking_profiles_path.as_deref())?;
    if let Some(pool) = args.retrieval_pool {
        config.retrieval_pool = pool.max(1);
    }
    let report = tokio::task::spawn_blocking(move || eval::independent::run(&config))
        .await
        .map_err(|e| ToolError::Client(format!("evaluation task failed: {e}")))??;
    let text = match args.format {
        OutputFormat::Table => eval::independent::render(&report),
        OutputFormat::Json => serde_json::to_string_pretty(&report).map_err(eval::EvalError::Json)? + "\n",
    };
    write_stdout(&text)?;
    if let Some(path) = args.write_profiles {
        std::fs::write(&path, eval::independent::profiles_toml(&report)).map_err(ToolError::Output)?;
    }
    if report.gate_violations > 0 {
        return Err(ToolError::GateViolations(report.gate_violations));
    }
    Ok(())
}

async fn evaluate(args: EvalArgs) -> Result<(), ToolError> {
    let profiles = read_profiles(args.ranking_profiles_path.as_deref())?;
    let mut eval_config = eval::EvalConfig::new(args.alumni, args.opportunities_per_kind, args.seed);
    eval_config.taxonomy_path = (!args.no_taxonomy).then_some(args.taxonomy_path);
    eval_config.occupations_path = args.occupations_path.exists().then_some(args.occupations_path);
    eval_config.japanese_dictionary = args.ja_dictionary_path.exists().then_some(args.ja_dictionary_path);
    eval_config.profiles = profiles;
    eval_config.ablation = args.ablation;
    if let Some(pool) = args.retrieval_pool {
        eval_config.retrieval_pool = pool.max(1);
    }
    let report = tokio::task::spawn_blocking(move || eval::run(&eval_config))
        .await
        .map_err(|e| ToolError::Client(format!("evaluation task failed: {e}")))??;
    let text = match args.format {
        OutputFormat::Table => eval::render_table(&report),
        OutputFormat::Json => report.to_json()? + "\n",
    };
    write_stdout(&text)?;
    if report.gate_violations > 0 {
        return Err(ToolError::GateViolations(report.gate_violations));
    }
    Ok(())
}

/// Writes to standard output by hand rather than with `print!`, so a closed pipe
/// (`| head`) is no panic; a reader that stopped early is no failure either.
fn write_stdout(text: &str) -> Result<(), ToolError> {
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, text.as_bytes()).and_then(|()| std::io::Write::flush(&mut stdout)) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(ToolError::Output(e)),
        _ => Ok(()),
    }
}

async fn generate(config: datagen::GenConfig, out: PathBuf) -> Result<(), ToolError> {
    let vocabulary = datagen::Vocabulary::embedded()?;
    let bar = alumni_match::service::styled_bar(
        config.alumni as u64,
        "alumni [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
    );
    let progress = bar.clone();
    let stats = tokio::task::spawn_blocking(move || {
        datagen::write_dataset(&vocabulary, &config, &out, |done| progress.set_position(done as u64))
            .map(|stats| (stats, out))
    })
    .await
    .map_err(|e| ToolError::Client(format!("generator task failed: {e}")))?;
    bar.finish_and_clear();
    let (stats, out) = stats?;
    println!("wrote {}: {stats:?}", out.display());
    Ok(())
}

/// Output goes to pipes (`| head`); end quietly on a closed pipe as Unix tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up before any other thread exists; resets a
    // signal disposition to its default, which has no memory-safety effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
