//! One engine per tenant, each over its own directory under `<data>/tenants/`.
//!
//! Nothing is shared between tenants but read-only configuration, so no query,
//! write or shortlist of one tenant can reach another's records, and a tenant can
//! be copied or erased as one directory.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use super::{Engine, EngineConfig, EngineError, TenantId};

/// The engines of all tenants, opened on first use.
pub struct Tenants {
    root: PathBuf,
    template: EngineConfig,
    // One slot per tenant, so opening one tenant (index catch-up can take seconds)
    // does not hold up calls to the others.
    slots: Mutex<HashMap<TenantId, Slot>>,
}

/// A tenant's engine once opened; locked while it opens.
type Slot = Arc<Mutex<Option<Arc<Engine>>>>;

impl Tenants {
    /// Tenants under `template.data_dir`; each engine gets the template's settings
    /// with its own directory.
    pub fn new(template: EngineConfig) -> Self {
        Self {
            root: template.data_dir.join("tenants"),
            template,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The directory holding a tenant's store and index.
    pub fn tenant_dir(&self, tenant: &TenantId) -> PathBuf {
        self.root.join(tenant.as_str())
    }

    /// Tenants that have a directory, whether or not they are open.
    pub fn existing(&self) -> Result<Vec<TenantId>, EngineError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(data_error(&self.root, e)),
        };
        let mut tenants = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| data_error(&self.root, e))?;
            if entry.path().is_dir()
                && let Some(name) = entry.file_name().to_str()
                && let Ok(tenant) = TenantId::parse(name)
            {
                tenants.push(tenant);
            }
        }
        tenants.sort();
        Ok(tenants)
    }

    /// The tenant's engine, opening (and creating) it on first use. Blocking.
    pub fn engine(&self, tenant: &TenantId) -> Result<Arc<Engine>, EngineError> {
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| poisoned())?;
            slots.entry(tenant.clone()).or_default().clone()
        };
        let mut slot = slot.lock().map_err(|_| poisoned())?;
        if let Some(engine) = slot.as_ref() {
            return Ok(engine.clone());
        }
        let mut config = self.template.clone();
        config.data_dir = self.tenant_dir(tenant);
        let span = tracing::info_span!("tenant", %tenant);
        let engine = Arc::new(span.in_scope(|| Engine::open(config))?);
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// The engine if the tenant is already open.
    pub fn open_engine(&self, tenant: &TenantId) -> Option<Arc<Engine>> {
        let slot = self.slots.lock().ok()?.get(tenant)?.clone();
        let slot = slot.lock().ok()?;
        slot.clone()
    }

    /// Every tenant's engine that is open now.
    pub fn open_engines(&self) -> Vec<(TenantId, Arc<Engine>)> {
        let slots: Vec<(TenantId, Slot)> = match self.slots.lock() {
            Ok(slots) => slots.iter().map(|(t, s)| (t.clone(), s.clone())).collect(),
            Err(_) => return Vec::new(),
        };
        slots
            .into_iter()
            .filter_map(|(tenant, slot)| {
                // A slot being opened right now is skipped rather than waited for.
                let guard = slot.try_lock().ok()?;
                guard.clone().map(|engine| (tenant, engine))
            })
            .collect()
    }

    /// Opens every tenant that has a directory, so their indexes catch up at start-up
    /// rather than on their first call.
    pub fn open_existing(&self) -> Result<Vec<TenantId>, EngineError> {
        let tenants = self.existing()?;
        for tenant in &tenants {
            self.engine(tenant)?;
        }
        Ok(tenants)
    }

    /// Flushes and stops every open engine.
    pub fn shutdown(&self) {
        let slots: Vec<_> = match self.slots.lock() {
            Ok(slots) => slots.values().cloned().collect(),
            Err(_) => return,
        };
        for slot in slots {
            if let Ok(slot) = slot.lock()
                && let Some(engine) = slot.as_ref()
            {
                engine.shutdown();
            }
        }
    }
}

/// Moves a data directory from before tenants (`store.redb` and `index/` at its
/// top) into `tenants/default/`, so an upgrade keeps every record. Returns whether
/// anything moved.
pub fn migrate_single_tenant_layout(data_dir: &Path) -> Result<bool, EngineError> {
    let legacy_store = data_dir.join("store.redb");
    if !legacy_store.exists() {
        return Ok(false);
    }
    let target = data_dir.join("tenants").join(TenantId::DEFAULT);
    if target.join("store.redb").exists() {
        return Err(EngineError::DataFile {
            path: legacy_store.display().to_string(),
            message: format!(
                "both a pre-tenant store and {} exist; move one aside",
                target.join("store.redb").display()
            ),
        });
    }
    std::fs::create_dir_all(&target).map_err(|e| data_error(&target, e))?;
    std::fs::rename(&legacy_store, target.join("store.redb")).map_err(|e| data_error(&legacy_store, e))?;
    let legacy_index = data_dir.join("index");
    if legacy_index.is_dir() {
        std::fs::rename(&legacy_index, target.join("index")).map_err(|e| data_error(&legacy_index, e))?;
    }
    tracing::info!(to = %target.display(), "moved the single-tenant data into the default tenant");
    Ok(true)
}

fn data_error(path: &Path, error: std::io::Error) -> EngineError {
    EngineError::DataFile {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

fn poisoned() -> EngineError {
    EngineError::Internal("tenant registry lock poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pre_tenant_directory_moves_into_the_default_tenant() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("store.redb"), b"records").unwrap();
        std::fs::create_dir(dir.path().join("index")).unwrap();
        std::fs::write(dir.path().join("index/meta.json"), b"{}").unwrap();
        assert!(migrate_single_tenant_layout(dir.path()).unwrap());
        let tenant = dir.path().join("tenants/default");
        assert_eq!(std::fs::read(tenant.join("store.redb")).unwrap(), b"records");
        assert!(tenant.join("index/meta.json").exists());
        assert!(
            !migrate_single_tenant_layout(dir.path()).unwrap(),
            "nothing left to move"
        );
    }
}
