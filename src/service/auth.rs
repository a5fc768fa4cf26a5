//! Authentication on the wire: where a key travels in a request, how the server
//! checks it, and the client-side interceptor that attaches it.

use std::sync::Arc;

use tonic::{Request, Status, metadata::AsciiMetadataValue, service::Interceptor};

use crate::access::{KeyRing, Principal};

/// The standard header; `Bearer <key>`.
pub const AUTHORIZATION: &str = "authorization";
/// Accepted as well, for clients that cannot set `authorization`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// How the server decides who is calling.
#[derive(Clone)]
pub enum Authentication {
    /// Every call is the admin of the default tenant. Only allowed on loopback, and
    /// only when configured explicitly.
    Disabled,
    /// Calls must carry an active key from the key file.
    ApiKeys(Arc<KeyRing>),
}

/// Why a call was not authenticated. Which check failed stays in the server log;
/// the client gets one message per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No key in the request.
    Missing,
    /// An `authorization` header that is not `Bearer <key>` (or not text).
    MalformedHeader,
    /// A key that is malformed, unknown or revoked.
    Invalid,
}

impl Authentication {
    /// The principal of a request, from its headers.
    pub(crate) fn authenticate(&self, headers: &http::HeaderMap) -> Result<Principal, AuthFailure> {
        let ring = match self {
            Authentication::Disabled => return Ok(Principal::unauthenticated_local()),
            Authentication::ApiKeys(ring) => ring,
        };
        let presented = presented_key(headers)?;
        ring.verify(presented).map_err(|error| {
            // Which check failed is for the operator, not for whoever is guessing keys.
            tracing::debug!(reason = %error, "API key refused");
            AuthFailure::Invalid
        })
    }

    /// Whether the key a call was admitted with is still active: a long call (an
    /// import stream) asks before each item it writes, so a revocation ends it.
    /// `last_generation` remembers the key file's generation at the last check,
    /// so the lookup happens only when the key file changed; start it at
    /// [`UNCHECKED`] so the first check always looks (the key may have been
    /// revoked between authentication and the first item).
    pub(crate) fn still_valid(&self, principal: &Principal, last_generation: &mut u64) -> bool {
        match self {
            Authentication::Disabled => true,
            Authentication::ApiKeys(ring) => {
                let generation = ring.generation();
                if generation == *last_generation {
                    return true;
                }
                *last_generation = generation;
                ring.is_active(&principal.key_id)
            }
        }
    }
}

/// A generation no key file has: the next [`Authentication::still_valid`] looks
/// the key up.
pub(crate) const UNCHECKED: u64 = u64::MAX;

/// The key in `authorization: Bearer …` or `x-api-key`.
fn presented_key(headers: &http::HeaderMap) -> Result<&str, AuthFailure> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthFailure::MalformedHeader)?.trim();
        let (scheme, key) = value.split_once(' ').ok_or(AuthFailure::MalformedHeader)?;
        return if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() {
            Ok(key.trim())
        } else {
            Err(AuthFailure::MalformedHeader)
        };
    }
    match headers.get(API_KEY_HEADER) {
        Some(value) => value.to_str().map(str::trim).map_err(|_| AuthFailure::MalformedHeader),
        None => Err(AuthFailure::Missing),
    }
}

/// Attaches an API key to every call of a tonic client.
#[derive(Clone)]
pub struct ApiKeyInterceptor {
    header: Option<AsciiMetadataValue>,
}

impl ApiKeyInterceptor {
    /// An interceptor sending `key`, or nothing when `None` (a server without
    /// authentication).
    pub fn new(key: Option<&str>) -> Result<Self, String> {
        let header = key
            .map(|key| {
                format!("Bearer {}", key.trim())
                    .parse::<AsciiMetadataValue>()
                    .map_err(|_| "the API key contains characters not allowed in a header".to_owned())
            })
            .transpose()?;
        Ok(Self { header })
    }
}

impl Interceptor for ApiKeyInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request.metadata_mut().insert(AUTHORIZATION, header.clone());
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn keys_are_read_from_either_header_and_a_bad_header_is_told_apart_from_none() {
        assert_eq!(
            presented_key(&headers(&[("authorization", "Bearer amk_x")])),
            Ok("amk_x")
        );
        assert_eq!(
            presented_key(&headers(&[("authorization", "bearer  amk_x ")])),
            Ok("amk_x")
        );
        assert_eq!(presented_key(&headers(&[("x-api-key", "amk_y")])), Ok("amk_y"));
        for malformed in ["Basic abc", "amk_x", "Bearer  "] {
            assert_eq!(
                presented_key(&headers(&[("authorization", malformed)])),
                Err(AuthFailure::MalformedHeader),
                "{malformed:?}"
            );
        }
        assert_eq!(presented_key(&headers(&[])), Err(AuthFailure::Missing));
    }
}
