//! The gRPC surface: tonic handlers over the tenants' engines, the layers that
//! authenticate, admit, bound and record every call, health, reflection, and the
//! server's lifecycle, and the HTTP routes beside it: the analysts' console and
//! the JSON gateway it calls (every call through the same layers), Prometheus
//! `/metrics`, `/healthz`. The only layer that knows `tonic::Status`.
//!
//! A call passes, in order: the audit layer (span, access record), the
//! authentication layer (UNAUTHENTICATED, PERMISSION_DENIED), the admission layer
//! (RESOURCE_EXHAUSTED when the caller's key, tenant or the server is at its
//! limit), the deadline layer (DEADLINE_EXCEEDED), and then its handler, which
//! converts and validates the request once and hands it to the caller's tenant's
//! engine. See `layers` for each.

mod access_log;
pub mod auth;
mod call;
pub mod client;
pub mod codec;
mod console;
pub mod convert;
mod error;
mod gateway;
mod handlers;
mod http;
pub mod layers;
mod metrics;
pub mod server;

pub use access_log::{AccessLog, AccessRecord};
pub use auth::{ApiKeyInterceptor, Authentication};
pub use call::Call;
pub use client::{ADMIN_KEY_FILE, ClientChannel, Connection, connect, styled_bar};
pub use error::{ERROR_DOMAIN, ServiceError};
pub use handlers::Handlers;
pub use layers::{AdmissionLimits, parse_grpc_timeout};
pub use metrics::{CallMetrics, MetricsSource};
pub use server::{Listeners, ServerOptions, TlsFiles, serve};
