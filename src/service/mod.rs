//! The gRPC surface: tonic handlers over the tenants' engines, authentication,
//! roles, limits, the access log, health, reflection, and the server's lifecycle.
//! The only layer that knows `tonic::Status`.
//!
//! Every call goes through [`Handlers::call`], which in this order authenticates
//! the key (UNAUTHENTICATED), checks the role (PERMISSION_DENIED), takes a
//! concurrency permit (RESOURCE_EXHAUSTED when none is free, instead of queueing),
//! opens the tenant's engine, runs the handler under the call's deadline
//! (DEADLINE_EXCEEDED), and writes one access-log record.

mod access_log;
mod alumni;
pub mod auth;
pub mod client;
pub mod convert;
mod error;
mod matching;
mod opportunities;
mod server;

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Request, Response, Status, metadata::MetadataMap};
use tracing::Instrument;

pub use access_log::{AccessLog, AccessRecord};
pub use auth::{ApiKeyInterceptor, Authentication};
pub use client::{ADMIN_KEY_FILE, ClientChannel, Connection, connect, styled_bar};
pub use error::{ERROR_DOMAIN, ServiceError};
pub use server::{ServerOptions, TlsFiles, serve};

use crate::{
    access::{Method, Principal},
    engine::{Engine, EngineError, Tenants},
};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct Handlers {
    shared: Arc<Shared>,
}

struct Shared {
    tenants: Arc<Tenants>,
    authentication: Authentication,
    permits: Arc<Semaphore>,
    max_in_flight: usize,
    access_log: AccessLog,
    max_call_duration: Duration,
}

/// What one call may use: its tenant's engine and its concurrency permit, held
/// until the scope (or, for a stream, its producer) is dropped.
pub(crate) struct Scope {
    engine: Arc<Engine>,
    _permit: OwnedSemaphorePermit,
    /// Longest wait for the next message of a client stream.
    message_gap_limit: Duration,
}

impl Scope {
    /// Runs blocking engine work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let engine = self.engine.clone();
        let span = tracing::Span::current();
        Ok(tokio::task::spawn_blocking(move || span.in_scope(|| work(&engine))).await??)
    }
}

/// The number of people a response hands out, for the access log.
pub(crate) trait Returned {
    /// Alumni (or, for MatchForAlumnus, opportunities) in the response.
    fn returned(&self) -> u64 {
        0
    }
}

impl Handlers {
    /// Handlers over the tenants' engines.
    pub fn new(tenants: Arc<Tenants>, authentication: Authentication, options: &ServerOptions) -> Self {
        let max_in_flight = options.max_concurrent_calls.max(1);
        Self {
            shared: Arc::new(Shared {
                tenants,
                authentication,
                permits: Arc::new(Semaphore::new(max_in_flight)),
                max_in_flight,
                access_log: options.access_log.clone(),
                max_call_duration: options.request_timeout,
            }),
        }
    }

    /// Runs one RPC: authentication, role, concurrency permit, tenant, deadline,
    /// then `handler`; logs the outcome (never the content) and one access record.
    async fn call<Req, Resp, Fut>(
        &self,
        method: Method,
        request: Request<Req>,
        handler: impl FnOnce(Scope, Req) -> Fut,
    ) -> Result<Response<Resp>, Status>
    where
        Fut: Future<Output = Result<Resp, ServiceError>>,
        Resp: Returned,
    {
        let started = Instant::now();
        let span = tracing::info_span!(
            "rpc",
            method = method.name(),
            tenant = tracing::field::Empty,
            key = tracing::field::Empty
        );
        let peer = request.remote_addr();
        let deadline = call_deadline(
            request.metadata(),
            (!method.is_client_streaming()).then_some(self.shared.max_call_duration),
            started,
        );
        let (metadata, _, message) = request.into_parts();
        let mut principal: Option<Principal> = None;
        let result = async {
            let caller = self.admit(method, &metadata)?;
            tracing::Span::current()
                .record("tenant", caller.tenant.as_str())
                .record("key", caller.key_id.as_str());
            principal = Some(caller.clone());
            let permit = self
                .shared
                .permits
                .clone()
                .try_acquire_owned()
                .map_err(|_| ServiceError::Overloaded {
                    limit: self.shared.max_in_flight,
                })?;
            let work = async {
                let tenants = self.shared.tenants.clone();
                let tenant = caller.tenant.clone();
                let engine = tokio::task::spawn_blocking(move || tenants.engine(&tenant)).await??;
                handler(
                    Scope {
                        engine,
                        _permit: permit,
                        message_gap_limit: self.shared.max_call_duration,
                    },
                    message,
                )
                .await
            };
            match deadline {
                Deadline::At(at) => tokio::time::timeout_at(at.into(), work)
                    .await
                    .map_err(|_| ServiceError::DeadlineExceeded)?,
                Deadline::Passed => Err(ServiceError::DeadlineExceeded),
                Deadline::None => work.await,
            }
        }
        .instrument(span.clone())
        .await
        .map_err(Status::from);
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (status, returned) = match &result {
            Ok(response) => (tonic::Code::Ok, response.returned()),
            Err(status) => (status.code(), 0),
        };
        span.in_scope(|| tracing::info!(code = ?status, elapsed_ms, returned, "rpc finished"));
        self.shared.access_log.record(&AccessRecord {
            time: now_rfc3339(),
            tenant: principal.as_ref().map(|p| p.tenant.as_str()),
            key_id: principal.as_ref().map(|p| p.key_id.as_str()),
            role: principal.as_ref().map(|p| p.role.name()),
            method: method.name(),
            status: format!("{status:?}"),
            returned,
            elapsed_ms: (elapsed_ms * 1000.0).round() / 1000.0,
            peer,
        });
        result.map(Response::new)
    }

    fn admit(&self, method: Method, metadata: &MetadataMap) -> Result<Principal, ServiceError> {
        let principal = self
            .shared
            .authentication
            .authenticate(metadata)
            .map_err(ServiceError::Unauthenticated)?;
        if principal.role.may_call(method) {
            Ok(principal)
        } else {
            Err(ServiceError::PermissionDenied {
                method: method.name(),
                role: principal.role.name(),
            })
        }
    }
}

enum Deadline {
    At(Instant),
    Passed,
    /// Neither the client nor the server bounds the call as a whole.
    None,
}

/// Margin by which our deadline precedes the client's, so the call ends with our
/// DEADLINE_EXCEEDED rather than tonic's transport-level CANCELLED, which fires at
/// the client's exact deadline.
const DEADLINE_MARGIN: Duration = Duration::from_millis(2);

/// The earlier of the client's `grpc-timeout` and the server's limit.
fn call_deadline(metadata: &MetadataMap, server_limit: Option<Duration>, started: Instant) -> Deadline {
    let client = metadata
        .get("grpc-timeout")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_grpc_timeout);
    let limit = match (client, server_limit) {
        (Some(timeout), _) if timeout <= DEADLINE_MARGIN => return Deadline::Passed,
        (Some(timeout), Some(server)) => (timeout - DEADLINE_MARGIN).min(server),
        (Some(timeout), None) => timeout - DEADLINE_MARGIN,
        (None, Some(server)) => server,
        (None, None) => return Deadline::None,
    };
    Deadline::At(started + limit)
}

/// Parses the gRPC `grpc-timeout` header: at most 8 digits and a unit
/// (`H`, `M`, `S`, `m`, `u`, `n`); anything else is `None` (no client deadline).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 || !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
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

    #[test]
    fn grpc_timeouts_parse_per_the_spec() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "m", "100", "100x", "123456789S", "-1S", "1.5S", "1é", "é"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_earlier_deadline_wins_and_a_spent_one_is_passed() {
        let now = Instant::now();
        let mut metadata = MetadataMap::new();
        metadata.insert("grpc-timeout", "500m".parse().unwrap());
        let Deadline::At(at) = call_deadline(&metadata, Some(Duration::from_secs(60)), now) else {
            panic!("a 500 ms deadline is not spent")
        };
        assert_eq!(at, now + Duration::from_millis(498));
        let Deadline::At(at) = call_deadline(&metadata, Some(Duration::from_millis(100)), now) else {
            panic!("not spent")
        };
        assert_eq!(at, now + Duration::from_millis(100));
        metadata.insert("grpc-timeout", "1m".parse().unwrap());
        assert!(matches!(
            call_deadline(&metadata, Some(Duration::from_secs(60)), now),
            Deadline::Passed
        ));
    }

    #[test]
    fn a_client_stream_is_bounded_only_by_the_client_deadline() {
        let now = Instant::now();
        let mut metadata = MetadataMap::new();
        assert!(matches!(call_deadline(&metadata, None, now), Deadline::None));
        metadata.insert("grpc-timeout", "5S".parse().unwrap());
        let Deadline::At(at) = call_deadline(&metadata, None, now) else {
            panic!("the client's deadline applies")
        };
        assert_eq!(at, now + Duration::from_millis(4998));
    }
}
