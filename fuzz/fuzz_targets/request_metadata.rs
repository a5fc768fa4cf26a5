//! Request metadata the server reads before any handler runs.
//!
//! The input is one header value. As the server does:
//! - `grpc-timeout`: `HeaderValue::to_str` (visible ASCII only), then
//!   `service::parse_grpc_timeout`;
//! - the API key from `x-api-key` (trimmed) or `authorization: Bearer <key>`:
//!   `access::KeySet::verify` on a key set holding one real key, issued once into a
//!   temporary key file (`KeyFile::issue`). `service::auth::presented_key` is
//!   private, so its few lines of header splitting are repeated here.
//!
//! Any UTF-8 input also goes to `access::TenantId::parse` and `KeySet::verify`.
#![no_main]

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use alumni_match::{
    access::{KeyFile, KeySet, Role, TenantId},
    service::parse_grpc_timeout,
};
use libfuzzer_sys::fuzz_target;

struct Keys {
    _dir: tempfile::TempDir,
    set: KeySet,
}

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    &KEYS
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("alumni-match-fuzz-keys-")
                .tempdir()
                .expect("temporary directory");
            let file = KeyFile::new(dir.path().join("api-keys.toml"));
            let tenant = TenantId::parse("fuzz").expect("valid tenant name");
            let issued = file.issue(tenant, Role::Analyst, "fuzz").expect("issue a key");
            let set = KeySet::new(file.records().expect("read the key file back"));
            // Harness sanity: the issued key itself is accepted.
            assert!(set.verify(&issued.key).is_ok(), "the issued key verifies");
            Keys { _dir: dir, set }
        })
        .set
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    if let Ok(value) = http::HeaderValue::from_bytes(data)
        && let Ok(text) = value.to_str()
    {
        if let Some(timeout) = parse_grpc_timeout(text) {
            // What the server does with it: the earlier of this and its own limit.
            let _ = Instant::now().checked_add(timeout.min(Duration::from_secs(60)));
        }
        let _ = keys.verify(text.trim());
        if let Some((scheme, key)) = text.trim().split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            let _ = keys.verify(key.trim());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TenantId::parse(text);
        let _ = keys.verify(text);
    }
});
