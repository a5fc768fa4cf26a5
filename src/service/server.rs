//! Assembles the gRPC server: the API services behind their layers, health,
//! reflection, and a shutdown that finishes within its grace period whatever
//! is in flight.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_stream::{StreamExt, wrappers::TcpListenerStream};
use tonic::{
    codec::CompressionEncoding,
    transport::{Identity, Server, ServerTlsConfig},
};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::ServiceBuilder;

use super::{
    AccessLog, Authentication, Handlers, ServiceError,
    gateway::{ApiService, Gateway},
    http::{HttpState, serve_http},
    layers::{Admission, AdmissionLayer, AdmissionLimits, AuditLayer, AuthLayer, DeadlineLayer},
    metrics::{CallMetrics, MetricsSource},
};
use crate::{
    engine::{Cancellation, Stop, Tenants},
    limits,
    proto::{
        self, admin_service_server::AdminServiceServer, alumni_service_server::AlumniServiceServer,
        match_service_server::MatchServiceServer, opportunity_service_server::OpportunityServiceServer,
        outcome_service_server::OutcomeServiceServer,
    },
    store::StoreHealth,
};

/// PEM files for TLS (rustls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub certificate: std::path::PathBuf,
    /// Its private key.
    pub private_key: std::path::PathBuf,
}

/// Transport settings and limits.
#[derive(Clone)]
pub struct ServerOptions {
    /// Largest request or response message, in bytes (larger: RESOURCE_EXHAUSTED).
    pub max_message_bytes: usize,
    /// Longest a unary call may run before it ends with DEADLINE_EXCEEDED (a
    /// shorter client deadline wins).
    pub request_timeout: Duration,
    /// Longest a client stream (an import) may go without sending a message.
    pub stream_idle_timeout: Duration,
    /// How long a shutdown waits for in-flight calls and open connections before
    /// it stops their work and closes them.
    pub shutdown_grace: Duration,
    /// Calls and streams served at once, in all and per tenant and key; more are
    /// refused with RESOURCE_EXHAUSTED rather than queued.
    pub admission: AdmissionLimits,
    /// Where access records go.
    pub access_log: AccessLog,
    /// Serve TLS instead of plaintext.
    pub tls: Option<TlsFiles>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_message_bytes: limits::DEFAULT_MAX_MESSAGE_BYTES,
            request_timeout: limits::DEFAULT_REQUEST_TIMEOUT,
            stream_idle_timeout: limits::DEFAULT_STREAM_IDLE_TIMEOUT,
            shutdown_grace: limits::DEFAULT_SHUTDOWN_GRACE,
            admission: AdmissionLimits::default(),
            access_log: AccessLog::disabled(),
            tls: None,
        }
    }
}

/// tonic answers a message over the size limit with OUT_OF_RANGE; gRPC's status
/// code guide and the other implementations use RESOURCE_EXHAUSTED, which is what
/// clients retry-classify on. No handler here answers OUT_OF_RANGE, so the status is
/// rewritten only when its message is tonic's size-limit message.
fn oversized_as_resource_exhausted(
    mut response: http::Response<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    let headers = response.headers_mut();
    let oversized = headers.get("grpc-status").is_some_and(|s| s.as_bytes() == b"11")
        && headers
            .get("grpc-message")
            .is_some_and(|m| contains(m.as_bytes(), b"too%20large") || contains(m.as_bytes(), b"too large"));
    if oversized {
        headers.insert("grpc-status", http::HeaderValue::from_static("8"));
    }
    response
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// The sockets the server answers on: gRPC, and optionally the HTTP/1.1 routes
/// (`/metrics`, `/healthz`).
pub struct Listeners {
    /// The API.
    pub grpc: TcpListener,
    /// The HTTP routes, if any.
    pub http: Option<TcpListener>,
}

impl From<TcpListener> for Listeners {
    fn from(grpc: TcpListener) -> Self {
        Self { grpc, http: None }
    }
}

/// How often the key file is checked for issued and revoked keys.
const KEY_FILE_POLL: Duration = Duration::from_secs(1);
/// How often the tenants' stores are probed for health (and, after a failed
/// write, tried again so writes resume once the disk has room).
const HEALTH_PROBE: Duration = Duration::from_secs(1);

/// Serves the API on `listeners` until `shutdown` completes. Then it stops
/// accepting, lets in-flight calls finish for the grace period, stops the work
/// of those still running (their callers get UNAVAILABLE), closes connections,
/// and flushes every tenant's indexer.
pub async fn serve(
    tenants: Arc<Tenants>,
    authentication: Authentication,
    listeners: impl Into<Listeners>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServiceError> {
    let Listeners { grpc: listener, http } = listeners.into();
    let root = Cancellation::new();
    let handlers = Handlers::new(
        tenants.clone(),
        authentication.clone(),
        options.stream_idle_timeout,
        root.clone(),
    );
    let key_watch = watch_key_file(&authentication);
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    set_health(&health_reporter, ServingStatus::Serving).await;
    let health_watch = tokio::spawn(watch_health(tenants.clone(), health_reporter.clone()));

    // The google.rpc types too, so that a client such as grpcurl can decode
    // the error details (BadRequest, QuotaFailure, …) every error carries.
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServiceError::Io(std::io::Error::other(e.to_string())))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| ServiceError::Io(std::io::Error::other(e.to_string())))?;

    let max = options.max_message_bytes;
    let local = listener.local_addr()?;
    tracing::info!(%local, tls = options.tls.is_some(), "serving gRPC");
    // Graceful drain is bounded: a client that keeps its connection open must not
    // keep the server (and the indexer flush after it) from stopping.
    let (draining_tx, mut draining_rx) = tokio::sync::watch::channel(false);
    let admission = Admission::new(options.admission);
    let calls = CallMetrics::default();
    let metrics = MetricsSource {
        calls: calls.clone(),
        admission: admission.clone(),
        tenants: tenants.clone(),
        access_log: options.access_log.clone(),
    };
    let stopping = {
        let reporter = health_reporter.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new calls, finishing in-flight ones");
            set_health(&reporter, ServingStatus::NotServing).await;
            let _ = draining_tx.send(true);
        }
    };
    // Nagle's algorithm with delayed ACKs adds ~40 ms to small unary responses;
    // tonic sets TCP_NODELAY only on listeners it binds itself.
    let incoming = TcpListenerStream::new(listener).map(|accepted| {
        accepted.and_then(|stream| {
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    });
    let mut builder = Server::builder();
    if let Some(tls) = &options.tls {
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
        };
        let identity = Identity::from_pem(read(&tls.certificate)?, read(&tls.private_key)?);
        builder = builder.tls_config(ServerTlsConfig::new().identity(identity))?;
    }
    let layers = ServiceBuilder::new()
        .layer(AuditLayer::new(options.access_log.clone(), calls))
        .layer(AuthLayer::new(authentication.clone()))
        .layer(AdmissionLayer::new(admission))
        .layer(DeadlineLayer::new(options.request_timeout, root.clone()))
        .layer(tower::util::MapResponseLayer::new(oversized_as_resource_exhausted))
        .into_inner();
    let routes = tonic::service::Routes::new(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            AlumniServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            OpportunityServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            MatchServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            AdminServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            OutcomeServiceServer::new(handlers)
                .max_decoding_message_size(max)
                .max_encoding_message_size(max)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        );
    // The console's gateway calls the API in process, through the same layers.
    let in_process: ApiService = tower::util::BoxCloneSyncService::new(tower::Layer::layer(&layers, routes.clone()));
    let gateway = Gateway::new(in_process, authentication).map_err(|e| ServiceError::Io(std::io::Error::other(e)))?;
    let http_task = http.map(|http| {
        let state = HttpState { metrics, gateway };
        let mut draining = draining_rx.clone();
        tokio::spawn(async move {
            let stopping = async move {
                let _ = draining.wait_for(|draining| *draining).await;
            };
            if let Err(error) = serve_http(http, state, stopping).await {
                tracing::error!(%error, "the HTTP listener failed; gRPC goes on");
            }
        })
    });
    // No transport-level timeout: the deadline layer answers DEADLINE_EXCEEDED,
    // where tonic's would answer CANCELLED.
    let server = builder
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, stopping);
    let grace = options.shutdown_grace;
    let deadline = async move {
        let _ = draining_rx.wait_for(|draining| *draining).await;
        tokio::time::sleep(grace).await;
    };
    let outcome = tokio::select! {
        result = server => result.map_err(ServiceError::from),
        () = deadline => {
            tracing::warn!(?grace, "in-flight calls or idle connections outlived the shutdown grace period; stopping their work");
            Ok(())
        }
    };
    // Whatever still runs on the blocking pool or in rayon (a call whose client
    // kept waiting, a background re-score) stops at its next check.
    root.stop(Stop::ShuttingDown);
    if let Some(watch) = key_watch {
        watch.abort();
    }
    health_watch.abort();
    if let Some(http_task) = http_task {
        http_task.abort();
    }
    tokio::task::spawn_blocking(move || tenants.shutdown()).await?;
    tracing::info!("stopped");
    outcome
}

/// Re-reads the key file every [`KEY_FILE_POLL`], so issued and revoked keys take
/// effect without a restart.
fn watch_key_file(authentication: &Authentication) -> Option<tokio::task::JoinHandle<()>> {
    let Authentication::ApiKeys(ring) = authentication else {
        return None;
    };
    let ring = ring.clone();
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(KEY_FILE_POLL);
        loop {
            ticks.tick().await;
            let ring = ring.clone();
            let refreshed =
                tokio::task::spawn_blocking(move || ring.refresh().map(|changed| (changed, ring.active_keys()))).await;
            match refreshed {
                Ok(Ok((true, active))) => tracing::info!(active, "API key file changed; keys reloaded"),
                Ok(Ok((false, _))) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, "API key file unusable; keeping the keys loaded before")
                }
                Err(error) => tracing::error!(%error, "API key reload task failed"),
            }
        }
    }))
}

async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in [
        "alumni.matching.v1.AlumniService",
        "alumni.matching.v1.OpportunityService",
        "alumni.matching.v1.MatchService",
        "alumni.matching.v1.AdminService",
        "alumni.matching.v1.OutcomeService",
    ] {
        reporter.set_service_status(service, status).await;
    }
}

/// Probes every open tenant's store every [`HEALTH_PROBE`]: while any cannot make
/// writes durable (a full disk, an I/O error, a damaged file) the server reports
/// NOT_SERVING, and a store that failed is tried again, so writes resume once the
/// disk has room, without a restart.
async fn watch_health(tenants: Arc<Tenants>, reporter: HealthReporter) {
    let mut ticks = tokio::time::interval(HEALTH_PROBE);
    let mut serving = true;
    loop {
        ticks.tick().await;
        let probed = {
            let tenants = tenants.clone();
            tokio::task::spawn_blocking(move || {
                tenants
                    .open_engines()
                    .into_iter()
                    .filter_map(|(tenant, engine)| engine.probe().ok().map(|health| (tenant, health)))
                    .filter(|(_, health)| health.store != StoreHealth::Healthy)
                    .map(|(tenant, health)| (tenant.to_string(), health.store))
                    .collect::<Vec<_>>()
            })
            .await
        };
        let Ok(unhealthy) = probed else { continue };
        let healthy = unhealthy.is_empty();
        if healthy != serving {
            serving = healthy;
            if healthy {
                tracing::info!("every tenant's store takes durable writes again; serving");
                set_health(&reporter, ServingStatus::Serving).await;
            } else {
                tracing::error!(
                    ?unhealthy,
                    "a tenant's store cannot make writes durable; health is NOT_SERVING"
                );
                set_health(&reporter, ServingStatus::NotServing).await;
            }
        }
    }
}
