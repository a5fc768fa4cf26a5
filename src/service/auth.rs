//! Authentication on the wire: where a key travels in a request, how the server
//! checks it, and the client-side interceptor that attaches it.

use std::sync::Arc;

use tonic::{
    Request, Status,
    metadata::{AsciiMetadataValue, MetadataMap},
    service::Interceptor,
};

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
    /// A key that is malformed, unknown or revoked.
    Invalid,
}

impl Authentication {
    /// The principal of a request.
    pub(super) fn authenticate(&self, metadata: &MetadataMap) -> Result<Principal, AuthFailure> {
        let ring = match self {
            Authentication::Disabled => return Ok(Principal::unauthenticated_local()),
            Authentication::ApiKeys(ring) => ring,
        };
        let presented = presented_key(metadata).ok_or(AuthFailure::Missing)?;
        ring.verify(presented).map_err(|error| {
            // Which check failed is for the operator, not for whoever is guessing keys.
            tracing::debug!(reason = %error, "API key refused");
            AuthFailure::Invalid
        })
    }
}

/// The key in `authorization: Bearer …` or `x-api-key`.
fn presented_key(metadata: &MetadataMap) -> Option<&str> {
    if let Some(value) = metadata.get(AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let (scheme, key) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    metadata.get(API_KEY_HEADER)?.to_str().ok().map(str::trim)
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

    fn metadata(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut map = MetadataMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn keys_are_read_from_either_header() {
        assert_eq!(
            presented_key(&metadata(&[("authorization", "Bearer amk_x")])),
            Some("amk_x")
        );
        assert_eq!(
            presented_key(&metadata(&[("authorization", "bearer  amk_x ")])),
            Some("amk_x")
        );
        assert_eq!(presented_key(&metadata(&[("x-api-key", "amk_y")])), Some("amk_y"));
        assert_eq!(presented_key(&metadata(&[("authorization", "Basic abc")])), None);
        assert_eq!(presented_key(&metadata(&[("authorization", "amk_x")])), None);
        assert_eq!(presented_key(&metadata(&[])), None);
    }
}
