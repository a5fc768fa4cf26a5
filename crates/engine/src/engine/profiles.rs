//! The ranking profiles in force for a tenant: the server's base profiles
//! (version 0) until `alumni-match tune` installs one fitted to the tenant's
//! outcomes (versions 1, 2, …, kept in the tenant's store). Every ranking
//! reads one version for its whole computation and names it in its answer.

use std::sync::Arc;

use super::{Engine, EngineError};
use crate::{ranking::RankingProfiles, store::Store};

/// A version of a tenant's ranking profiles.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveProfiles {
    /// 0 = the server's base profiles; n ≥ 1 = the tenant's n-th tuned profile.
    pub version: u32,
    /// The weights of every kind.
    pub profiles: RankingProfiles,
}

/// The profiles a tenant starts with: its installed version, or `base` when
/// it has none (or when the installed one no longer reads, say after a
/// component was removed: the base is safe, and the operator is told).
pub(super) fn load(store: &Store, base: RankingProfiles) -> Result<ActiveProfiles, EngineError> {
    let Some(stored) = store.active_profile()? else {
        return Ok(ActiveProfiles {
            version: 0,
            profiles: base,
        });
    };
    match RankingProfiles::from_toml(&stored.toml) {
        Ok(profiles) => Ok(ActiveProfiles {
            version: stored.version,
            profiles,
        }),
        Err(error) => {
            tracing::error!(version = stored.version, %error, "the tenant's tuned ranking profile does not read; using the base profiles");
            Ok(ActiveProfiles {
                version: 0,
                profiles: base,
            })
        }
    }
}

impl Engine {
    /// The profiles in force now.
    pub fn active_profiles(&self) -> Arc<ActiveProfiles> {
        match self.profiles.read() {
            Ok(active) => active.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts a newly installed version in force.
    pub(super) fn activate_profiles(&self, active: ActiveProfiles) {
        let active = Arc::new(active);
        match self.profiles.write() {
            Ok(mut current) => *current = active,
            Err(poisoned) => *poisoned.into_inner() = active,
        }
    }
}
