//! A tenant's settings kept beside its data: the contact policy, and the
//! versioned ranking profiles fitted to its outcomes (`alumni-match tune`).

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

use super::{
    OrStore, SETTINGS, Store, StoreError,
    codec::{decode, encode},
};
use crate::domain::{ContactPolicy, Timestamp};

const CONTACT_POLICY: &str = "contact_policy";
const ACTIVE_PROFILE: &str = "profiles/active";

fn profile_key(version: u32) -> String {
    format!("profiles/{version:010}")
}

/// One installed version of a tenant's ranking profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredProfile {
    /// 1, 2, …; 0 is the server's base profiles and is never stored.
    pub version: u32,
    /// When it was installed.
    pub installed_at: Timestamp,
    /// The profiles, in the format of `data/ranking.toml`.
    pub toml: String,
    /// How it was obtained (the tuning report, in words).
    pub note: String,
}

impl Store {
    /// The tenant's own contact policy, if one was set.
    pub fn contact_policy(&self) -> Result<Option<ContactPolicy>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(SETTINGS).or_store()?;
            match table.get(CONTACT_POLICY).or_store()? {
                Some(bytes) => Ok(Some(decode("settings", bytes.value())?)),
                None => Ok(None),
            }
        })
    }

    /// Sets the tenant's contact policy, durably.
    pub fn put_contact_policy(&self, policy: &ContactPolicy) -> Result<(), StoreError> {
        let bytes = encode(policy)?;
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            txn.open_table(SETTINGS)
                .or_store()?
                .insert(CONTACT_POLICY, bytes.as_slice())
                .or_store()?;
            txn.commit().or_store()
        })
    }

    /// The installed profile version in force, if any.
    pub fn active_profile(&self) -> Result<Option<StoredProfile>, StoreError> {
        self.handle.read(|db| {
            let txn = db.begin_read().or_store()?;
            let table = txn.open_table(SETTINGS).or_store()?;
            let Some(active) = table.get(ACTIVE_PROFILE).or_store()? else {
                return Ok(None);
            };
            let version: u32 = decode("settings", active.value())?;
            match table.get(profile_key(version).as_str()).or_store()? {
                Some(bytes) => Ok(Some(decode("settings", bytes.value())?)),
                None => Ok(None),
            }
        })
    }

    /// Installs profiles as the next version and makes it the one in force, in
    /// one durable transaction; returns the version. Earlier versions are kept.
    pub fn install_profile(&self, toml: String, note: String, now: Timestamp) -> Result<u32, StoreError> {
        self.handle.write(|db| {
            let txn = db.begin_write().or_store()?;
            let version = {
                let mut table = txn.open_table(SETTINGS).or_store()?;
                let latest = match table.range("profiles/0".."profiles/:").or_store()?.next_back() {
                    Some(entry) => {
                        let (_, bytes) = entry.or_store()?;
                        decode::<StoredProfile>("settings", bytes.value())?.version
                    }
                    None => 0,
                };
                let version = latest.saturating_add(1);
                let record = encode(&StoredProfile {
                    version,
                    installed_at: now,
                    toml,
                    note,
                })?;
                table
                    .insert(profile_key(version).as_str(), record.as_slice())
                    .or_store()?;
                table.insert(ACTIVE_PROFILE, encode(&version)?.as_slice()).or_store()?;
                version
            };
            txn.commit().or_store()?;
            Ok(version)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_and_profiles_persist_and_versions_count_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let now = Timestamp { seconds: 1, nanos: 0 };
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.contact_policy().unwrap(), None);
            assert_eq!(store.active_profile().unwrap(), None);
            let policy = ContactPolicy {
                max_contacts: 5,
                ..ContactPolicy::default()
            };
            store.put_contact_policy(&policy).unwrap();
            assert_eq!(store.install_profile("a".into(), "first".into(), now).unwrap(), 1);
            assert_eq!(store.install_profile("b".into(), "second".into(), now).unwrap(), 2);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.contact_policy().unwrap().map(|p| p.max_contacts), Some(5));
        let active = store.active_profile().unwrap().unwrap();
        assert_eq!((active.version, active.toml.as_str()), (2, "b"));
    }
}
