//! The gRPC handlers. By the time one runs, the layers have authenticated the
//! caller, checked the role, taken a concurrency permit and set the deadline;
//! a handler converts and validates its request once (see `convert`), hands it
//! to the caller's tenant's engine on the blocking pool, and converts the result.

mod admin;
mod alumni;
mod matching;
mod opportunities;
mod outcomes;

use std::{sync::Arc, time::Duration};

use super::{Authentication, Call, ServiceError};
use crate::engine::{Cancellation, Engine, EngineError, Tenants};

/// The handlers of every API service, over the tenants' engines.
#[derive(Clone)]
pub struct Handlers {
    shared: Arc<Shared>,
}

struct Shared {
    tenants: Arc<Tenants>,
    authentication: Authentication,
    /// Longest wait for the next message of a client stream.
    stream_idle_timeout: Duration,
    /// Stopped at shutdown; background work (re-score jobs) runs under it.
    shutdown: Cancellation,
}

impl Handlers {
    /// Handlers over `tenants`. `authentication` re-checks the key of long
    /// streams; `shutdown` stops background work when the server stops.
    pub fn new(
        tenants: Arc<Tenants>,
        authentication: Authentication,
        stream_idle_timeout: Duration,
        shutdown: Cancellation,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                tenants,
                authentication,
                stream_idle_timeout,
                shutdown,
            }),
        }
    }

    /// The caller's tenant's engine, opened on first use (off the runtime: an
    /// index may need to catch up).
    async fn engine(&self, call: &Call) -> Result<Arc<Engine>, ServiceError> {
        let tenant = call.caller()?.tenant.clone();
        let tenants = self.shared.tenants.clone();
        Ok(tokio::task::spawn_blocking(move || tenants.engine(&tenant)).await??)
    }

    /// Runs engine work for `call` on the blocking pool, under the call's span
    /// and cancellation token (which stops it at the deadline, when the client
    /// goes away, or at shutdown).
    async fn run<T: Send + 'static>(
        &self,
        call: &Call,
        work: impl FnOnce(&Engine, &Cancellation) -> Result<T, EngineError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        let engine = self.engine(call).await?;
        let cancel = call.cancellation();
        cancel.check().map_err(EngineError::Stopped)?;
        let span = tracing::Span::current();
        Ok(tokio::task::spawn_blocking(move || span.in_scope(|| work(&engine, &cancel))).await??)
    }
}
