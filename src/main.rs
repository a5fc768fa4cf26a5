//! The `alumni-match` binary: the server and the client commands; see
//! `alumni-match --help`. Tools that are not part of the server (data generation,
//! evaluation, load drivers) are the `alumni-match-tools` binary.

mod cli;

use clap::Parser;

// The library's and the engine's modules under the names the command line uses.
use alumni_match::{access, config, proto, service};
use alumni_match_engine::{domain, engine, index, store};
use tracing_subscriber::EnvFilter;

/// How long the runtime waits, after the command returned, for blocking tasks
/// that are still running (their work has been told to stop by then).
const RUNTIME_SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_)) {
        restore_default_sigpipe();
    }
    let filter = match EnvFilter::try_new(&cli.log) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("error: invalid --log filter {:?}: {error}", cli.log);
            return std::process::ExitCode::from(2);
        }
    };
    let logger = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        // Colour only for a person at a terminal: a log file or a pipe gets plain text.
        cli::LogFormat::Text => logger
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        cli::LogFormat::Json => logger
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    report_panics_through_the_log();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli));
    // A blocking task still running here was stopped by its cancellation token;
    // the process does not wait for it beyond this bound.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A panic anywhere (none should reach a handler: the store catches its own)
/// is logged as one error line, without its payload's data beyond the message.
fn report_panics_through_the_log() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if store::panic_is_guarded() {
            // Caught by the store, which reports the damage once.
            tracing::debug!(%location, %message, "panic inside the store's guard");
        } else {
            tracing::error!(%location, %message, "panic");
        }
    }));
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
