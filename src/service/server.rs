//! Assembles the gRPC server: the three API services, health, reflection, limits,
//! and graceful shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_stream::{StreamExt, wrappers::TcpListenerStream};
use tonic::transport::Server;
use tonic_health::ServingStatus;

use super::{Handlers, ServiceError};
use crate::{
    engine::Engine,
    proto::{
        self, alumni_service_server::AlumniServiceServer, match_service_server::MatchServiceServer,
        opportunity_service_server::OpportunityServiceServer,
    },
};

/// Transport settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Longest a call may run before it is cancelled with DEADLINE_EXCEEDED
    /// (a shorter client deadline wins).
    pub request_timeout: Duration,
    /// How long a shutdown waits for in-flight calls and open connections.
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting,
/// lets in-flight calls finish, and flushes the indexer.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServiceError> {
    let handlers = Handlers::new(engine.clone());
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
    tracing::info!(%local, "serving gRPC");
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
    let server = Server::builder()
        .timeout(options.request_timeout)
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
    let engine_for_shutdown = engine.clone();
    tokio::task::spawn_blocking(move || engine_for_shutdown.shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}
