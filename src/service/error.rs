//! Errors of the service layer and their one mapping to `tonic::Status`.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use super::auth::AuthFailure;
use crate::{domain::Violations, engine::EngineError};

/// Error domain named in `google.rpc.ErrorInfo` details.
pub const ERROR_DOMAIN: &str = "alumni.matching.v1";

/// What can go wrong while serving a call.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A bulk import stopped at an invalid item after `committed` items were written.
    #[error("import stopped at item {committed}")]
    ImportRejected {
        /// Items durably written before the bad one.
        committed: u64,
        /// What was wrong with the item.
        violations: Violations,
    },
    /// No valid API key.
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    /// The key's role does not include the method.
    #[error("role {role} may not call {method}")]
    PermissionDenied {
        /// The RPC.
        method: &'static str,
        /// The caller's role.
        role: &'static str,
    },
    /// Every concurrency permit is taken; the call is shed rather than queued.
    #[error("overloaded: {limit} calls in flight")]
    Overloaded {
        /// The configured limit.
        limit: usize,
    },
    /// The call's deadline (the client's, or the server's limit) passed.
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// The client's request stream failed.
    #[error("request stream: {0}")]
    Stream(Status),
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

fn bad_request(violations: Violations) -> ErrorDetails {
    ErrorDetails::with_bad_request(
        violations
            .into_items()
            .into_iter()
            .map(|v| FieldViolation::new(v.field, v.description))
            .collect::<Vec<_>>(),
    )
}

fn summary(violations: &Violations) -> String {
    match violations.items() {
        [] => "invalid request".to_owned(),
        [only] => format!("{}: {}", only.field, only.description),
        [first, rest @ ..] => format!(
            "{}: {} (and {} more violation(s))",
            first.field,
            first.description,
            rest.len()
        ),
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Engine(EngineError::Invalid(violations)) => {
                let message = summary(&violations);
                Status::with_error_details(Code::InvalidArgument, message.clone(), bad_request(violations))
            }
            ServiceError::ImportRejected { committed, violations } => {
                let message = format!("{}; {committed} item(s) before it were written", summary(&violations));
                let mut details = bad_request(violations);
                details.set_error_info(
                    "INVALID_ITEM",
                    ERROR_DOMAIN,
                    [("committed".to_owned(), committed.to_string())]
                        .into_iter()
                        .collect::<std::collections::HashMap<_, _>>(),
                );
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ServiceError::Engine(EngineError::NotFound { entity, id }) => {
                Status::not_found(format!("{entity} {id:?} not found"))
            }
            ServiceError::Engine(EngineError::ShuttingDown) => Status::unavailable("the server is shutting down"),
            ServiceError::Unauthenticated(AuthFailure::Missing) => Status::unauthenticated(
                "missing API key: send `authorization: Bearer <key>` (keys are issued with `alumni-match keys issue`)",
            ),
            ServiceError::Unauthenticated(AuthFailure::Invalid) => {
                Status::unauthenticated("invalid, unknown or revoked API key")
            }
            ServiceError::PermissionDenied { method, role } => {
                let mut details = ErrorDetails::new();
                details.set_error_info(
                    "ROLE_NOT_ALLOWED",
                    ERROR_DOMAIN,
                    [
                        ("method".to_owned(), method.to_owned()),
                        ("role".to_owned(), role.to_owned()),
                    ]
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
                );
                Status::with_error_details(
                    Code::PermissionDenied,
                    format!("the {role} role may not call {method}"),
                    details,
                )
            }
            ServiceError::Overloaded { limit } => {
                // Tell well-behaved clients when to come back instead of hammering.
                let details = ErrorDetails::with_retry_info(Some(std::time::Duration::from_millis(100)));
                Status::with_error_details(
                    Code::ResourceExhausted,
                    format!("server busy: {limit} calls in flight; retry with backoff"),
                    details,
                )
            }
            ServiceError::DeadlineExceeded => Status::deadline_exceeded("the call's deadline passed"),
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
