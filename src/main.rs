//! The `alumni-match` binary: see `alumni-match --help`.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = alumni_match::cli::Cli::parse();
    if !matches!(cli.command, alumni_match::cli::Command::Serve(_)) {
        restore_default_sigpipe();
    }
    let filter = EnvFilter::try_new(&cli.log).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match alumni_match::cli::run(cli).await {
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
