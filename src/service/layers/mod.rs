//! The cross-cutting concerns of every call, as tower layers around the gRPC
//! routes, outermost first:
//!
//! 1. [`AuditLayer`]: the call's span and its access-log record (written when
//!    the response ends, or as CANCELLED when the client goes away first);
//! 2. [`AuthLayer`]: the method from the request path, the caller from the API
//!    key, and the role check, all before the request body is read;
//! 3. [`AdmissionLayer`]: a concurrency permit from the caller's key, tenant and
//!    the whole server, with separate pools for streams, so no tenant or stream
//!    can starve the rest;
//! 4. [`DeadlineLayer`]: the call's deadline (the client's or the server's
//!    limit), answered with DEADLINE_EXCEEDED, and the cancellation token that
//!    stops the call's work when the deadline passes or the client goes away.
//!
//! Each puts what it learns into the call's [`Call`](super::Call) in the
//! request extensions; a handler takes it from there. Paths that are not API
//! methods (health, reflection) pass through untouched.

mod admission;
mod audit;
mod authenticate;
mod deadline;

pub use admission::{Admission, AdmissionLayer, AdmissionLimits, Permit, Refusal};
pub use audit::AuditLayer;
pub use authenticate::AuthLayer;
pub use deadline::{DeadlineLayer, parse_grpc_timeout};

use std::{convert::Infallible, future::Future, pin::Pin};

/// The HTTP request and response types the gRPC routes speak.
pub(crate) type HttpRequest = http::Request<tonic::body::Body>;
/// See [`HttpRequest`].
pub(crate) type HttpResponse = http::Response<tonic::body::Body>;
/// A layer's boxed response future.
pub(crate) type ResponseFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

/// A gRPC error as a complete HTTP response (trailers-only).
pub(crate) fn respond(status: tonic::Status) -> HttpResponse {
    status.into_http()
}
