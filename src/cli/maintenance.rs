//! Keeping a data directory sound: `check` (offline verification), `backup`
//! (a consistent copy taken from a running server) and `restore` (putting such a
//! copy in place, on this machine or another).

use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

use super::CliError;
use crate::{
    access::TenantId,
    engine::{INDEX_DIR, STORE_FILE, indexed_documents},
    proto::{self, admin_service_client::AdminServiceClient},
    service::Connection,
    store::{Store, StoreError},
};

/// What `check` found in one tenant.
#[derive(Debug, Default)]
struct TenantReport {
    problems: Vec<String>,
    notes: Vec<String>,
}

/// Verifies a data directory offline: for every tenant (or one), the store's
/// every page and record, the index against the store, and file modes. Returns
/// an error (non-zero exit) when anything is wrong.
pub fn check(data_dir: &Path, tenant: Option<&str>) -> Result<(), CliError> {
    let tenants_dir = data_dir.join("tenants");
    let tenants: Vec<String> = match tenant {
        Some(name) => vec![
            TenantId::parse(name)
                .map_err(crate::access::AccessError::from)?
                .to_string(),
        ],
        None => {
            let mut names: Vec<String> = std::fs::read_dir(&tenants_dir)
                .map_err(|e| CliError::Client(format!("{}: {e}", tenants_dir.display())))?
                .filter_map(|entry| entry.ok())
                .filter(|entry| entry.path().is_dir())
                .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
                .filter(|name| TenantId::parse(name).is_ok())
                .collect();
            names.sort();
            names
        }
    };
    if tenants.is_empty() {
        println!("{}: no tenants", data_dir.display());
        return Ok(());
    }
    let mut failed = 0;
    for name in &tenants {
        let report = check_tenant(&tenants_dir.join(name));
        let verdict = if report.problems.is_empty() { "ok" } else { "PROBLEMS" };
        println!("tenant {name}: {verdict}");
        for note in &report.notes {
            println!("  {note}");
        }
        for problem in &report.problems {
            println!("  problem: {problem}");
        }
        if !report.problems.is_empty() {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(CliError::Client(format!(
            "{failed} of {} tenant(s) have problems; restore them from a backup with `alumni-match restore`",
            tenants.len()
        )));
    }
    Ok(())
}

fn check_tenant(dir: &Path) -> TenantReport {
    let mut report = TenantReport::default();
    let store_path = dir.join(STORE_FILE);
    match std::fs::metadata(&store_path) {
        Err(_) => {
            report.problems.push(format!("{} is missing", store_path.display()));
            return report;
        }
        Ok(metadata) if metadata.len() == 0 => {
            report
                .problems
                .push(format!("{} is empty (0 bytes)", store_path.display()));
            return report;
        }
        Ok(metadata) => report.notes.push(format!("store: {} bytes", metadata.len())),
    }
    let store = match Store::open(&store_path) {
        Ok(store) => store,
        Err(StoreError::InUse { .. }) => {
            report.problems.push(format!(
                "{} is in use by a running server: stop it first (or take a copy with `alumni-match backup`)",
                store_path.display()
            ));
            return report;
        }
        Err(error) => {
            report.problems.push(error.to_string());
            return report;
        }
    };
    match store.check_integrity() {
        Ok(true) => report.notes.push("pages: every page checks".into()),
        Ok(false) => report.notes.push("pages: an interrupted write was repaired".into()),
        Err(error) => report.problems.push(format!("pages: {error}")),
    }
    match store.verify() {
        Ok(summary) => {
            report.notes.push(format!(
                "records: {} alumni, {} opportunities, {} shortlists, sequence {}",
                summary.alumni, summary.opportunities, summary.shortlists, summary.alumni_seq
            ));
            let indexed = indexed_documents(&dir.join(INDEX_DIR));
            if indexed != summary.alumni {
                report.notes.push(format!(
                    "index: {} documents for {} alumni; it is rebuilt from the store at the next start",
                    if indexed == u64::MAX {
                        "unreadable".to_owned()
                    } else {
                        indexed.to_string()
                    },
                    summary.alumni
                ));
            } else {
                report
                    .notes
                    .push(format!("index: {indexed} documents, as many as alumni"));
            }
        }
        Err(error) => report.problems.push(format!("records: {error}")),
    }
    drop(store);
    let wide = wider_than_private(dir);
    if !wide.is_empty() {
        report.problems.push(format!(
            "readable by others (the server narrows them at start-up): {}",
            wide.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    report
}

fn wider_than_private(dir: &Path) -> Vec<PathBuf> {
    let mut wide = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let wanted = if metadata.is_dir() { 0o700 } else { 0o600 };
        if metadata.permissions().mode() & 0o777 & !wanted != 0 {
            wide.push(path.clone());
        }
        if metadata.is_dir()
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            pending.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    wide
}

/// Takes a consistent copy of the key's tenant's store from a running server
/// into `out` (readable by its owner only), checking its SHA-256.
pub async fn backup(out: &Path, connection: &Connection) -> Result<(), CliError> {
    super::data_dir::restrict_umask();
    let channel = connection.connect().await.map_err(CliError::Client)?;
    let mut client = AdminServiceClient::new(channel);
    let mut stream = client
        .backup(proto::BackupRequest {})
        .await
        .map_err(|status| CliError::Client(format!("backup: {}", status.message())))?
        .into_inner();
    let partial = out.with_extension("partial");
    let mut file = private_file(&partial)?;
    let mut hasher = Sha256::new();
    let mut summary: Option<proto::BackupSummary> = None;
    let mut written: u64 = 0;
    let result = async {
        while let Some(message) = stream
            .message()
            .await
            .map_err(|status| CliError::Client(format!("backup stream: {}", status.message())))?
        {
            if let Some(first) = message.summary {
                summary = Some(first);
            }
            hasher.update(&message.chunk);
            file.write_all(&message.chunk)
                .map_err(|e| CliError::Client(format!("{}: {e}", partial.display())))?;
            written += message.chunk.len() as u64;
        }
        file.sync_all()
            .map_err(|e| CliError::Client(format!("{}: {e}", partial.display())))?;
        Ok::<(), CliError>(())
    }
    .await;
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    let summary = summary.ok_or_else(|| CliError::Client("the server sent no backup summary".into()))?;
    let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    if digest != summary.sha256 || written != summary.bytes {
        let _ = std::fs::remove_file(&partial);
        return Err(CliError::Client(format!(
            "the backup arrived damaged ({written} of {} bytes, checksum {})",
            summary.bytes,
            if digest == summary.sha256 { "matches" } else { "differs" }
        )));
    }
    std::fs::rename(&partial, out).map_err(|e| CliError::Client(format!("{}: {e}", out.display())))?;
    println!(
        "wrote {}: {} alumni, {} opportunities, {} shortlists, sequence {}, {} bytes, sha256 {}",
        out.display(),
        summary.alumni,
        summary.opportunities,
        summary.shortlists,
        summary.alumni_seq,
        summary.bytes,
        summary.sha256
    );
    Ok(())
}

fn private_file(path: &Path) -> Result<std::fs::File, CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CliError::Client(format!("{}: {e}", path.display())))
}

/// Puts a backup in place as `tenant`'s store in `data_dir` (the server must be
/// stopped). The file is checked first; an existing store is kept aside, and
/// only with `force`. The index is rebuilt from the restored store at start-up.
pub fn restore(from: &Path, data_dir: &Path, tenant: &str, force: bool) -> Result<(), CliError> {
    let tenant = TenantId::parse(tenant).map_err(crate::access::AccessError::from)?;
    // What is restored is as private as what the server writes.
    super::data_dir::restrict_umask();
    let tenant_dir = data_dir.join("tenants").join(tenant.as_str());
    let existing = tenant_dir.join(STORE_FILE);
    if existing.exists() {
        if let Err(StoreError::InUse { .. }) = Store::open(&existing).map(drop) {
            return Err(CliError::Client(format!(
                "{} is in use by a running server; stop it before restoring",
                existing.display()
            )));
        }
        if !force {
            return Err(CliError::Client(format!(
                "tenant {tenant} already has a store ({}); pass --force to replace it (it is kept aside)",
                existing.display()
            )));
        }
    }
    std::fs::create_dir_all(data_dir.join("tenants"))
        .map_err(|e| CliError::Client(format!("{}: {e}", data_dir.display())))?;
    let staging = data_dir.join("tenants").join(format!(".restoring-{tenant}"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| CliError::Client(format!("{}: {e}", staging.display())))?;
    let staged = staging.join(STORE_FILE);
    std::fs::copy(from, &staged).map_err(|e| CliError::Client(format!("{}: {e}", from.display())))?;
    std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| CliError::Client(format!("{}: {e}", staged.display())))?;
    let summary = {
        let store = Store::open(&staged)
            .map_err(|e| CliError::Client(format!("{} is not a usable backup: {e}", from.display())))?;
        store
            .check_integrity()
            .map_err(|e| CliError::Client(format!("{} is damaged: {e}", from.display())))?;
        store
            .verify()
            .map_err(|e| CliError::Client(format!("{} is damaged: {e}", from.display())))?
    };
    if tenant_dir.exists() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = data_dir
            .join("tenants")
            .join(format!(".{tenant}.before-restore-{stamp}"));
        std::fs::rename(&tenant_dir, &aside).map_err(|e| CliError::Client(format!("{}: {e}", tenant_dir.display())))?;
        println!("kept the replaced tenant directory as {}", aside.display());
    }
    std::fs::rename(&staging, &tenant_dir).map_err(|e| CliError::Client(format!("{}: {e}", tenant_dir.display())))?;
    super::data_dir::make_private(data_dir).map_err(|e| CliError::Client(format!("{}: {e}", data_dir.display())))?;
    println!(
        "restored tenant {tenant} into {}: {} alumni, {} opportunities, {} shortlists; the search index is rebuilt at the next start",
        tenant_dir.display(),
        summary.alumni,
        summary.opportunities,
        summary.shortlists
    );
    Ok(())
}
