//! The gRPC surface: tonic handlers over the [`Engine`], health, reflection, and
//! the server's lifecycle. The only layer that knows `tonic::Status`.

mod alumni;
pub mod convert;
mod error;
mod matching;
mod opportunities;
mod server;

use std::{future::Future, sync::Arc, time::Instant};

use tonic::{Response, Status};
use tracing::Instrument;

pub use error::{ERROR_DOMAIN, ServiceError};
pub use server::{ServerOptions, serve};

use crate::engine::Engine;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct Handlers {
    engine: Arc<Engine>,
}

impl Handlers {
    /// Handlers over an engine.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }

    /// Runs blocking engine work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Engine) -> Result<T, crate::engine::EngineError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let engine = self.engine.clone();
        let span = tracing::Span::current();
        Ok(tokio::task::spawn_blocking(move || span.in_scope(|| work(&engine))).await??)
    }
}

/// Runs one RPC inside a span that records method, status code and duration.
/// Nothing about the request's content is logged.
async fn observe<T>(
    method: &'static str,
    call: impl Future<Output = Result<T, ServiceError>>,
) -> Result<Response<T>, Status> {
    let span = tracing::info_span!("rpc", method);
    let started = Instant::now();
    let result = call.instrument(span.clone()).await.map_err(Status::from);
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let code = match &result {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    };
    span.in_scope(|| tracing::info!(?code, elapsed_ms, "rpc finished"));
    result.map(Response::new)
}
