//! The `alumni-match` binary: the server and the client commands; see
//! `alumni-match --help`. Tools that are not part of the server (data generation,
//! evaluation, load drivers) are the `alumni-match-tools` binary.

mod cli;

use clap::Parser;

// The library's and the engine's modules under the names the command line uses.
use alumni_match::{access, config, proto, service};
use alumni_match_engine::{domain, engine, index};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_)) {
        restore_default_sigpipe();
    }
    let filter = EnvFilter::try_new(&cli.log).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Client commands print to stdout; piped into `head`, they should end quietly as
/// Unix tools do, not panic on a broken pipe. Rust ignores SIGPIPE by default; the
/// server keeps that, so a client hanging up never kills it.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up before any other thread exists; resets a
    // signal disposition to its default, which has no memory-safety effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
