//! Errors of the service layer and their one mapping to `tonic::Status`.

use std::{collections::HashMap, time::Duration};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::{auth::AuthFailure, layers::Refusal};
use crate::{
    domain::Violations,
    engine::{EngineError, Stop},
    index::IndexError,
    store::StoreError,
};

/// Error domain named in `google.rpc.ErrorInfo` details.
pub const ERROR_DOMAIN: &str = "alumni.matching.v1";

/// What can go wrong while serving a call.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A bulk import stopped after `committed` items were written: at an invalid
    /// item, an item that did not decode or was too large, a revoked key, a full
    /// disk. `cause` is the status the stop itself would have had.
    #[error("import stopped after {committed} item(s): {cause}")]
    ImportStopped {
        /// Items durably written before the stop.
        committed: u64,
        /// Why it stopped.
        cause: Box<ServiceError>,
    },
    /// No valid API key.
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    /// The key was revoked while the call (a stream) was running.
    #[error("the API key was revoked during the call")]
    KeyRevoked,
    /// The key's role does not include the method.
    #[error("role {role} may not call {method}")]
    PermissionDenied {
        /// The RPC.
        method: &'static str,
        /// The caller's role.
        role: &'static str,
    },
    /// A concurrency limit is reached; the call is shed rather than queued.
    #[error("overloaded: {0}")]
    Overloaded(Refusal),
    /// The call's deadline (the client's, or the server's limit) passed.
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// A client stream sent nothing for longer than the server allows.
    #[error("the stream sent nothing for {0:?}")]
    StreamIdle(Duration),
    /// The client's request stream failed (an item did not decode, was too
    /// large, or the connection broke).
    #[error("request stream: {0}")]
    Stream(Status),
    /// The server was assembled without a layer a handler relies on (a bug).
    #[error("server setup: {0}")]
    Setup(&'static str),
    /// A blocking task did not complete (panicked or was cancelled).
    #[error("internal task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The server could not start or stopped with an error.
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Could not bind or accept.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

impl From<Violations> for ServiceError {
    fn from(violations: Violations) -> Self {
        Self::Engine(EngineError::Invalid(violations))
    }
}

/// Most bytes of field violations in one BadRequest detail: details travel in a
/// response header, and HTTP/2 peers refuse header lists much over 16 KiB.
const MAX_DETAIL_BYTES: usize = 8 * 1024;

fn bad_request(violations: Violations) -> ErrorDetails {
    let omitted = violations.omitted();
    let items = violations.into_items();
    let total = items.len() + omitted;
    let mut kept = Vec::new();
    let mut bytes = 0;
    for violation in items {
        bytes += violation.field.len() + violation.description.len();
        if bytes > MAX_DETAIL_BYTES {
            break;
        }
        kept.push(FieldViolation::new(violation.field, violation.description));
    }
    if kept.len() < total {
        let more = total - kept.len();
        kept.push(FieldViolation::new(
            "",
            format!("and {more} more violation(s) not listed"),
        ));
    }
    ErrorDetails::with_bad_request(kept)
}

fn summary(violations: &Violations) -> String {
    let more = violations.items().len().saturating_sub(1) + violations.omitted();
    match violations.items() {
        [] => "invalid request".to_owned(),
        [only] if more == 0 => format!("{}: {}", only.field, only.description),
        [first, ..] => format!("{}: {} (and {more} more violation(s))", first.field, first.description),
    }
}

fn with_info(
    code: Code,
    message: String,
    reason: &str,
    metadata: &[(&str, String)],
    retry: Option<Duration>,
) -> Status {
    let mut details = ErrorDetails::new();
    let metadata: HashMap<String, String> = metadata.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    details.set_error_info(reason, ERROR_DOMAIN, metadata);
    if let Some(delay) = retry {
        details.set_retry_info(Some(delay));
    }
    Status::with_error_details(code, message, details)
}

/// A store failure as a status: a full disk is RESOURCE_EXHAUSTED and an I/O
/// failure UNAVAILABLE (both retryable once the server recovers, which it does
/// without a restart); a damaged store is DATA_LOSS.
fn store_status(error: &StoreError) -> Option<Status> {
    Some(match error {
        StoreError::StorageFull { .. } => with_info(
            Code::ResourceExhausted,
            "the server's disk is full: the write was not made durable and nothing of it was kept; \
             retry once space is freed"
                .into(),
            "STORAGE_FULL",
            &[],
            Some(Duration::from_secs(5)),
        ),
        StoreError::Unavailable { .. } => with_info(
            Code::Unavailable,
            "the server cannot make writes durable right now (a disk I/O error); nothing of this write was \
             kept; retry shortly"
                .into(),
            "STORE_UNAVAILABLE",
            &[],
            Some(Duration::from_secs(1)),
        ),
        StoreError::Damaged { .. } | StoreError::Corrupt { .. } => with_info(
            Code::DataLoss,
            "this tenant's store is damaged and refuses writes; the operator must check and restore it".into(),
            "STORE_DAMAGED",
            &[],
            None,
        ),
        StoreError::InUse { .. } => with_info(
            Code::Unavailable,
            "this tenant's store is in use by another process".into(),
            "STORE_IN_USE",
            &[],
            None,
        ),
        _ => return None,
    })
}

fn stop_status(stop: Stop) -> Status {
    match stop {
        Stop::DeadlineExceeded => Status::deadline_exceeded("the call's deadline passed"),
        Stop::Cancelled => Status::cancelled("the call was cancelled"),
        Stop::ShuttingDown => Status::unavailable("the server is shutting down; retry on another instance"),
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Engine(EngineError::Invalid(violations)) => {
                let message = summary(&violations);
                Status::with_error_details(Code::InvalidArgument, message, bad_request(violations))
            }
            ServiceError::ImportStopped { committed, cause } => {
                let committed_info = [("committed".to_owned(), committed.to_string())]
                    .into_iter()
                    .collect::<HashMap<_, _>>();
                let (code, message, mut details, reason) = match *cause {
                    ServiceError::Engine(EngineError::Invalid(violations)) => (
                        Code::InvalidArgument,
                        summary(&violations),
                        bad_request(violations),
                        "INVALID_ITEM",
                    ),
                    other => {
                        let status = Status::from(other);
                        let reason = match status.code() {
                            Code::InvalidArgument => "UNDECODABLE_ITEM",
                            Code::ResourceExhausted => "ITEM_TOO_LARGE_OR_STORAGE_FULL",
                            Code::Unauthenticated => "KEY_REVOKED",
                            _ => "IMPORT_STOPPED",
                        };
                        (status.code(), status.message().to_owned(), ErrorDetails::new(), reason)
                    }
                };
                details.set_error_info(reason, ERROR_DOMAIN, committed_info);
                Status::with_error_details(
                    code,
                    format!("{message}; {committed} item(s) before it were written"),
                    details,
                )
            }
            ServiceError::Engine(EngineError::NotFound { entity, id }) => {
                Status::not_found(format!("{entity} {id:?} not found"))
            }
            ServiceError::Engine(EngineError::ShuttingDown) => stop_status(Stop::ShuttingDown),
            ServiceError::Engine(EngineError::Stopped(stop)) => stop_status(stop),
            ServiceError::Engine(EngineError::Store(store)) => store_status(&store).unwrap_or_else(|| {
                tracing::error!(error = %store, "store error");
                Status::internal("internal error; see the server log")
            }),
            ServiceError::Engine(EngineError::Index(IndexError::Stopped(stop))) => stop_status(stop),
            inconsistent @ ServiceError::Engine(EngineError::Inconsistent { .. }) => {
                tracing::error!(error = %inconsistent, "a tenant could not be opened");
                Status::unavailable(
                    "this tenant's data cannot be opened; the operator has been told why (see the server log)",
                )
            }
            ServiceError::Unauthenticated(AuthFailure::Missing) => Status::unauthenticated(
                "missing API key: send `authorization: Bearer <key>` (keys are issued with `alumni-match keys issue`)",
            ),
            ServiceError::Unauthenticated(AuthFailure::MalformedHeader) => {
                Status::unauthenticated("malformed authorization header: expected `authorization: Bearer <key>`")
            }
            ServiceError::Unauthenticated(AuthFailure::Invalid) => {
                Status::unauthenticated("invalid, unknown or revoked API key")
            }
            ServiceError::KeyRevoked => Status::unauthenticated("the API key was revoked during the call"),
            ServiceError::PermissionDenied { method, role } => with_info(
                Code::PermissionDenied,
                format!("the {role} role may not call {method}"),
                "ROLE_NOT_ALLOWED",
                &[("method", method.to_owned()), ("role", role.to_owned())],
                None,
            ),
            ServiceError::Overloaded(refusal) => {
                // Tell well-behaved clients when to come back instead of hammering.
                let details = ErrorDetails::with_retry_info(Some(Duration::from_millis(100)));
                Status::with_error_details(
                    Code::ResourceExhausted,
                    format!("server busy: {refusal}; retry with backoff"),
                    details,
                )
            }
            ServiceError::DeadlineExceeded => Status::deadline_exceeded("the call's deadline passed"),
            ServiceError::StreamIdle(limit) => Status::deadline_exceeded(format!(
                "the stream sent nothing for {} s, the server's limit for an idle stream",
                limit.as_secs_f64()
            )),
            // A streamed item over the size limit: same code as for a unary message.
            ServiceError::Stream(status) if status.code() == Code::OutOfRange => {
                Status::resource_exhausted(status.message().to_owned())
            }
            ServiceError::Stream(status) => status,
            other => {
                // Internal details stay in the server log; callers get a generic message.
                tracing::error!(error = %other, "internal error");
                Status::internal("internal error; see the server log")
            }
        }
    }
}
