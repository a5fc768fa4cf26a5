//! Assembles the gRPC server: the three API services, health, reflection, limits,
//! and graceful shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_stream::{StreamExt, wrappers::TcpListenerStream};
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

use super::{AccessLog, Authentication, Handlers, ServiceError};
use crate::{
    engine::Tenants,
    proto::{
        self, alumni_service_server::AlumniServiceServer, match_service_server::MatchServiceServer,
        opportunity_service_server::OpportunityServiceServer,
    },
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
    /// Longest a call may run before it ends with DEADLINE_EXCEEDED (a shorter
    /// client deadline wins).
    pub request_timeout: Duration,
    /// How long a shutdown waits for in-flight calls and open connections.
    pub shutdown_grace: Duration,
    /// Calls served at once; more are refused with RESOURCE_EXHAUSTED rather than
    /// queued, so overload shows at once instead of as everyone's latency.
    pub max_concurrent_calls: usize,
    /// Where access records go.
    pub access_log: AccessLog,
    /// Serve TLS instead of plaintext.
    pub tls: Option<TlsFiles>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            max_concurrent_calls: 64,
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

/// How often the key file is checked for issued and revoked keys.
const KEY_FILE_POLL: Duration = Duration::from_secs(1);

/// Serves the API on `listener` until `shutdown` completes, then stops accepting,
/// lets in-flight calls finish, and flushes every tenant's indexer.
pub async fn serve(
    tenants: Arc<Tenants>,
    authentication: Authentication,
    listener: TcpListener,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServiceError> {
    let handlers = Handlers::new(tenants.clone(), authentication.clone(), &options);
    let key_watch = match &authentication {
        Authentication::ApiKeys(ring) => {
            let ring = ring.clone();
            Some(tokio::spawn(async move {
                let mut ticks = tokio::time::interval(KEY_FILE_POLL);
                loop {
                    ticks.tick().await;
                    let ring = ring.clone();
                    let refreshed = tokio::task::spawn_blocking(move || {
                        ring.refresh().map(|changed| (changed, ring.active_keys()))
                    })
                    .await;
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
        Authentication::Disabled => None,
    };
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<AlumniServiceServer<Handlers>>().await;
    health_reporter
        .set_serving::<OpportunityServiceServer<Handlers>>()
        .await;
    health_reporter.set_serving::<MatchServiceServer<Handlers>>().await;
    health_reporter.set_service_status("", ServingStatus::Serving).await;

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServiceError::Io(std::io::Error::other(e.to_string())))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| ServiceError::Io(std::io::Error::other(e.to_string())))?;

    let max = options.max_message_bytes;
    let local = listener.local_addr()?;
    tracing::info!(%local, tls = options.tls.is_some(), "serving gRPC");
    // Graceful drain is bounded: a client that keeps its connection open must not
    // keep the server (and the indexer flush after it) from stopping.
    let (draining_tx, mut draining_rx) = tokio::sync::watch::channel(false);
    let stopping = {
        let reporter = health_reporter.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new calls, finishing in-flight ones");
            reporter.set_service_status("", ServingStatus::NotServing).await;
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
    // No transport-level timeout: Handlers::call enforces deadlines and answers
    // DEADLINE_EXCEEDED, where tonic's layer would answer CANCELLED.
    let server = builder
        .layer(tower::util::MapResponseLayer::new(oversized_as_resource_exhausted))
        .trace_fn(|request| tracing::info_span!("grpc", path = %request.uri().path()))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            AlumniServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            OpportunityServiceServer::new(handlers.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .add_service(
            MatchServiceServer::new(handlers)
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
        )
        .serve_with_incoming_shutdown(incoming, stopping);
    let grace = options.shutdown_grace;
    let deadline = async move {
        let _ = draining_rx.wait_for(|draining| *draining).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result?,
        () = deadline => tracing::warn!(?grace, "in-flight calls or idle connections outlived the shutdown grace period; closing them"),
    }
    if let Some(watch) = key_watch {
        watch.abort();
    }
    tokio::task::spawn_blocking(move || tenants.shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}
