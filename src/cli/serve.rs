//! `alumni-match serve`: configuration, the data directory's first start and
//! privacy, authentication, the tenants, and the server until a signal stops it.

use std::sync::Arc;

use super::{CliError, ServeArgs, data_dir};
use crate::{
    access::{KeyFile, KeyRing, KeySet, Role, TenantId},
    config::{self, ServeConfig},
    engine::{Tenants, migrate_single_tenant_layout},
    service::{self, ADMIN_KEY_FILE, AccessLog, Authentication, ServerOptions},
};

pub(super) async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let mut config = ServeConfig::load(args.config.as_ref(), &args)?;
    if args.no_sample {
        config.sample_dir = None;
    }
    if args.no_http {
        config.http = false;
    }
    // Before anything is created: personal data is readable by its owner only,
    // and only a brand-new data directory gets the sample dataset.
    data_dir::restrict_umask();
    let brand_new = data_dir::is_brand_new(&config.data_dir);
    let widened = data_dir::make_private(&config.data_dir)
        .map_err(|e| CliError::Client(format!("data directory {}: {e}", config.data_dir.display())))?;
    if !widened.is_empty() {
        tracing::warn!(
            count = widened.len(),
            first = %widened[0].display(),
            "files and directories in the data directory were readable by others; narrowed them to the owner"
        );
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
    reopen_on_hangup(&access_log);
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
    if !brand_new && config.sample_dir.is_some() {
        tracing::debug!("the data directory is not new: the sample dataset is not loaded");
    }
    if let Some(sample) = config.sample_dir().filter(|_| brand_new) {
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
        .map_err(|e| CliError::Client(format!("cannot listen on {} (gRPC): {e}", config.listen)))?;
    let http = if config.http {
        let http = tokio::net::TcpListener::bind(config.http_listen).await.map_err(|e| {
            CliError::Client(format!(
                "cannot listen on {} (HTTP: /metrics): {e}; set http_listen, or --no-http",
                config.http_listen
            ))
        })?;
        let local = http.local_addr().map_err(service::ServiceError::Io)?;
        eprintln!("Console: http://{local}/ (sign in with an API key)\nMetrics: http://{local}/metrics");
        Some(http)
    } else {
        None
    };
    let listeners = service::Listeners { grpc: listener, http };
    service::serve(tenants, authentication, listeners, options, shutdown_signal()).await?;
    Ok(())
}

/// Loads the sample dataset into the default tenant of a brand-new data
/// directory.
fn load_sample(tenants: &Tenants, sample: &std::path::Path) -> Result<(), CliError> {
    let engine = tenants.engine(&TenantId::default_tenant())?;
    if engine.count_alumni()? > 0 {
        return Ok(());
    }
    if sample.join("alumni.jsonl").exists() {
        let (alumni, opportunities) = engine.load_dataset(sample)?;
        tracing::info!(alumni, opportunities, dir = %sample.display(), "empty default tenant: loaded the sample dataset");
        // So that a first look (the console, `alumni-match shortlist`) finds stored
        // shortlists: every open sample opportunity, re-scored in the background
        // once the index holds the sample (a shortlist ranks on what is indexed).
        let loaded = engine.alumni_seq()?;
        let engine = engine.clone();
        std::thread::spawn(move || {
            if engine.wait_indexed_blocking(loaded, std::time::Duration::from_secs(600)) {
                let job = engine.start_rescore_job(Vec::new(), crate::engine::Cancellation::new());
                tracing::info!(job, "re-scoring the sample's open opportunities in the background");
            } else {
                tracing::warn!("the sample was not indexed within 10 minutes; its shortlists are not computed");
            }
        });
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

/// Reopens the access log on every SIGHUP, for rotation (logrotate moves the file,
/// then signals the server).
fn reopen_on_hangup(access_log: &AccessLog) {
    let Some(path) = access_log.path().map(std::path::Path::to_owned) else {
        return;
    };
    #[cfg(unix)]
    {
        let access_log = access_log.clone();
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut hangups) => {
                tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        match access_log.reopen() {
                            Ok(()) => tracing::info!(path = %path.display(), "access log reopened (SIGHUP)"),
                            Err(error) => {
                                tracing::error!(%error, path = %path.display(), "cannot reopen the access log; still writing to the old file")
                            }
                        }
                    }
                });
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP: the access log cannot be rotated by signal")
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
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
