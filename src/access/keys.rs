//! API keys: issuing, revoking, the key file, and verification.
//!
//! A key reads `amk_<id>_<secret>`: `id` (16 hex digits) is public and names the
//! key in the file and the access log; `secret` (64 hex digits) is never stored.

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
    sync::RwLock,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AccessError, Principal, Role, TenantId};

const PREFIX: &str = "amk_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// One key as stored: never the secret, only its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRecord {
    /// Public id, also part of the key itself.
    pub id: String,
    /// The tenant whose data the key reaches.
    pub tenant: TenantId,
    /// What the key may do.
    pub role: Role,
    /// Hex SHA-256 of the whole key.
    pub sha256: String,
    /// Free text for people: which system holds the key.
    #[serde(default)]
    pub label: String,
    /// When the key was issued (RFC 3339).
    pub created_at: String,
    /// When the key was revoked (RFC 3339); revoked keys stay listed for audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// A newly issued key: the record that was stored and the secret shown once.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// What was written to the key file.
    pub record: ApiKeyRecord,
    /// The key to hand to the client; it cannot be recovered later.
    pub key: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileContents {
    #[serde(default, rename = "key")]
    keys: Vec<ApiKeyRecord>,
}

/// The key file (`api-keys.toml`): read by the server, edited by `alumni-match keys`.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    /// The key file at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, message: impl ToString) -> AccessError {
        AccessError::KeyFile {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    /// All records, revoked ones included; an absent file holds none.
    pub fn records(&self) -> Result<Vec<ApiKeyRecord>, AccessError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => parse(&text).map_err(|e| self.error(e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Issues a new key for `tenant` with `role` and stores its digest.
    pub fn issue(&self, tenant: TenantId, role: Role, label: &str) -> Result<IssuedKey, AccessError> {
        let mut records = self.records()?;
        let id = random_hex(ID_BYTES)?;
        let key = format!("{PREFIX}{id}_{}", random_hex(SECRET_BYTES)?);
        let record = ApiKeyRecord {
            id,
            tenant,
            role,
            sha256: digest_hex(&key),
            label: label.to_owned(),
            created_at: now_rfc3339(),
            revoked_at: None,
        };
        records.push(record.clone());
        self.write(records)?;
        Ok(IssuedKey { record, key })
    }

    /// Marks a key revoked; a running server stops accepting it within a second.
    pub fn revoke(&self, id: &str) -> Result<ApiKeyRecord, AccessError> {
        let mut records = self.records()?;
        let record = records
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| AccessError::NoSuchKey(id.to_owned()))?;
        if record.revoked_at.is_none() {
            record.revoked_at = Some(now_rfc3339());
        }
        let revoked = record.clone();
        self.write(records)?;
        Ok(revoked)
    }

    /// Replaces the file atomically (write a sibling, fsync, rename), readable by
    /// its owner only.
    fn write(&self, keys: Vec<ApiKeyRecord>) -> Result<(), AccessError> {
        let text = toml::to_string_pretty(&KeyFileContents { keys }).map_err(|e| self.error(e))?;
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| self.error(e))?;
        }
        let temporary = self.path.with_extension("toml.tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(|e| self.error(e))?;
        file.write_all(HEADER.as_bytes())
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(|e| self.error(e))?;
        std::fs::rename(&temporary, &self.path).map_err(|e| self.error(e))
    }
}

const HEADER: &str = "# alumni-match API keys: SHA-256 digests only, never the keys themselves.\n\
                      # Edit with `alumni-match keys issue|revoke|list`; the server reloads this file.\n\n";

fn parse(text: &str) -> Result<Vec<ApiKeyRecord>, String> {
    let contents: KeyFileContents = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for record in &contents.keys {
        if !seen.insert(record.id.as_str()) {
            return Err(format!("key id {:?} appears twice", record.id));
        }
    }
    Ok(contents.keys)
}

/// The active keys, by id.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    active: HashMap<String, ApiKeyRecord>,
}

impl KeySet {
    /// The unrevoked keys among `records`.
    pub fn new(records: Vec<ApiKeyRecord>) -> Self {
        Self {
            active: records
                .into_iter()
                .filter(|r| r.revoked_at.is_none())
                .map(|r| (r.id.clone(), r))
                .collect(),
        }
    }

    /// How many keys are active.
    pub fn len(&self) -> usize {
        self.active.len()
    }

    /// Whether no key is active.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Resolves a presented key to its principal. The digest comparison takes the
    /// same time wherever the first difference is.
    pub fn verify(&self, presented: &str) -> Result<Principal, AccessError> {
        let id = key_id(presented).ok_or(AccessError::MalformedKey)?;
        let record = self.active.get(id).ok_or(AccessError::UnknownKey)?;
        let expected = record.sha256.as_bytes();
        let actual = digest_hex(presented);
        if bool::from(expected.ct_eq(actual.as_bytes())) {
            Ok(Principal {
                tenant: record.tenant.clone(),
                key_id: record.id.clone(),
                role: record.role,
            })
        } else {
            Err(AccessError::UnknownKey)
        }
    }
}

/// The public id inside a well-formed key.
fn key_id(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, bytes: usize| s.len() == bytes * 2 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, ID_BYTES) && hex(secret, SECRET_BYTES)).then_some(id)
}

/// The key file as the server sees it, re-read when it changes so that issued and
/// revoked keys take effect without a restart.
#[derive(Debug)]
pub struct KeyRing {
    file: KeyFile,
    state: RwLock<(Vec<u8>, KeySet)>,
    /// Bumped whenever the active keys change, so a long call (an import stream)
    /// re-checks its key only when something changed.
    generation: std::sync::atomic::AtomicU64,
}

impl KeyRing {
    /// Loads the key file.
    pub fn load(file: KeyFile) -> Result<Self, AccessError> {
        let bytes = read_bytes(&file)?;
        let keys = KeySet::new(file.records()?);
        Ok(Self {
            file,
            state: RwLock::new((bytes, keys)),
            generation: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Re-reads the file if its bytes changed. A file that no longer parses keeps
    /// the previous keys in force (and is reported), rather than locking everyone out.
    pub fn refresh(&self) -> Result<bool, AccessError> {
        let bytes = read_bytes(&self.file)?;
        if self.state.read().map(|s| s.0 == bytes).unwrap_or(false) {
            return Ok(false);
        }
        let parsed = self.file.records();
        if let Ok(mut state) = self.state.write() {
            // Remember the bytes either way, so a broken file is reported once, not every poll.
            state.0 = bytes;
            if let Ok(records) = &parsed {
                state.1 = KeySet::new(records.clone());
                self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            }
        }
        parsed.map(|_| true)
    }

    /// The number of active keys.
    pub fn active_keys(&self) -> usize {
        self.state.read().map(|s| s.1.len()).unwrap_or(0)
    }

    /// A number that changes whenever the active keys change.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Whether the key with this public id is still active (not revoked).
    pub fn is_active(&self, key_id: &str) -> bool {
        self.state.read().is_ok_and(|state| state.1.active.contains_key(key_id))
    }

    /// Resolves a presented key.
    pub fn verify(&self, presented: &str) -> Result<Principal, AccessError> {
        match self.state.read() {
            Ok(state) => state.1.verify(presented),
            Err(_) => Err(AccessError::UnknownKey),
        }
    }
}

fn read_bytes(file: &KeyFile) -> Result<Vec<u8>, AccessError> {
    match std::fs::read(file.path()) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(file.error(e)),
    }
}

fn random_hex(bytes: usize) -> Result<String, AccessError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| AccessError::Random(e.to_string()))?;
    Ok(to_hex(&buffer))
}

fn digest_hex(key: &str) -> String {
    to_hex(&Sha256::digest(key.as_bytes()))
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, b| {
            let _ = write!(text, "{b:02x}");
            text
        })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> TenantId {
        TenantId::parse(name).unwrap()
    }

    #[test]
    fn issued_keys_verify_to_their_tenant_and_role_and_the_file_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("api-keys.toml"));
        let acme = file.issue(tenant("acme"), Role::Matcher, "ATS").unwrap();
        let globex = file.issue(tenant("globex"), Role::Admin, "").unwrap();
        let keys = KeySet::new(file.records().unwrap());
        let principal = keys.verify(&acme.key).unwrap();
        assert_eq!((principal.tenant.as_str(), principal.role), ("acme", Role::Matcher));
        assert_eq!(keys.verify(&globex.key).unwrap().tenant.as_str(), "globex");
        let text = std::fs::read_to_string(file.path()).unwrap();
        let secret = acme.key.rsplit('_').next().unwrap();
        assert!(!text.contains(secret), "the secret must not be stored");
        assert!(text.contains(&acme.record.sha256));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
    }

    #[test]
    fn tampered_malformed_and_revoked_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("api-keys.toml"));
        let issued = file.issue(tenant("acme"), Role::Analyst, "").unwrap();
        let keys = KeySet::new(file.records().unwrap());
        let mut tampered = issued.key.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert!(matches!(keys.verify(&tampered), Err(AccessError::UnknownKey)));
        for malformed in ["", "amk_", "Bearer x", "amk_zz_zz", &issued.key[..issued.key.len() - 1]] {
            assert!(
                matches!(keys.verify(malformed), Err(AccessError::MalformedKey)),
                "{malformed:?}"
            );
        }
        file.revoke(&issued.record.id).unwrap();
        let after = KeySet::new(file.records().unwrap());
        assert!(matches!(after.verify(&issued.key), Err(AccessError::UnknownKey)));
        assert!(matches!(
            file.revoke("0000000000000000"),
            Err(AccessError::NoSuchKey(_))
        ));
    }

    #[test]
    fn the_ring_follows_the_file_and_keeps_old_keys_when_it_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::new(dir.path().join("api-keys.toml"));
        let first = file.issue(tenant("acme"), Role::Admin, "").unwrap();
        let ring = KeyRing::load(file.clone()).unwrap();
        assert!(!ring.refresh().unwrap());
        let second = file.issue(tenant("acme"), Role::Matcher, "").unwrap();
        assert!(ring.verify(&second.key).is_err(), "not yet re-read");
        assert!(ring.refresh().unwrap());
        assert!(ring.verify(&second.key).is_ok());
        std::fs::write(file.path(), "not = [valid").unwrap();
        assert!(ring.refresh().is_err());
        assert!(ring.verify(&first.key).is_ok(), "a broken file keeps the keys in force");
        assert!(!ring.refresh().unwrap(), "reported once");
    }
}
