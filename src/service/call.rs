//! What the layers learn about one call, shared with its handler through the
//! request's extensions: the method, the authenticated caller, the call's
//! cancellation token, how many people it returned, and what must live as long
//! as its response (its concurrency permit, the guard that cancels its work when
//! the client goes away).

use std::{
    any::Any,
    net::SocketAddr,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use super::ServiceError;
use crate::{
    access::{Method, Principal},
    engine::Cancellation,
};

/// One call's shared state. Cheap to clone.
#[derive(Clone)]
pub struct Call(Arc<CallState>);

struct CallState {
    method: Method,
    started: Instant,
    peer: Option<SocketAddr>,
    principal: OnceLock<Principal>,
    cancellation: OnceLock<Cancellation>,
    returned: AtomicU64,
    keepalive: Mutex<Vec<Box<dyn Any + Send>>>,
}

impl Call {
    pub(crate) fn new(method: Method, peer: Option<SocketAddr>) -> Self {
        Self(Arc::new(CallState {
            method,
            started: Instant::now(),
            peer,
            principal: OnceLock::new(),
            cancellation: OnceLock::new(),
            returned: AtomicU64::new(0),
            keepalive: Mutex::new(Vec::new()),
        }))
    }

    /// The call of a request that went through the server's layers.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Self, ServiceError> {
        request
            .extensions()
            .get::<Call>()
            .cloned()
            .ok_or(ServiceError::Setup("the call layers are missing"))
    }

    /// The RPC.
    pub fn method(&self) -> Method {
        self.0.method
    }

    /// When the call arrived.
    pub fn started(&self) -> Instant {
        self.0.started
    }

    /// The client's address.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.0.peer
    }

    /// The authenticated caller, once the authentication layer has run.
    pub fn principal(&self) -> Option<&Principal> {
        self.0.principal.get()
    }

    /// The authenticated caller; an error in a handler means the server was
    /// assembled without its authentication layer.
    pub fn caller(&self) -> Result<&Principal, ServiceError> {
        self.principal()
            .ok_or(ServiceError::Setup("the authentication layer is missing"))
    }

    pub(crate) fn set_principal(&self, principal: Principal) {
        let _ = self.0.principal.set(principal);
    }

    /// The token that stops the call's work at its deadline, when its client goes
    /// away, or at shutdown.
    pub fn cancellation(&self) -> Cancellation {
        self.0.cancellation.get().cloned().unwrap_or_default()
    }

    pub(crate) fn set_cancellation(&self, cancellation: Cancellation) {
        let _ = self.0.cancellation.set(cancellation);
    }

    /// Records how many people (alumni, or opportunities for MatchForAlumnus) the
    /// response hands out, for the access log.
    pub fn set_returned(&self, count: usize) {
        self.0.returned.store(count as u64, Ordering::Relaxed);
    }

    pub(crate) fn returned(&self) -> u64 {
        self.0.returned.load(Ordering::Relaxed)
    }

    /// Keeps `value` alive until the call's response has been sent in full (or
    /// abandoned): its permit, its cancel-on-drop guard.
    pub(crate) fn keep_alive(&self, value: Box<dyn Any + Send>) {
        if let Ok(mut kept) = self.0.keepalive.lock() {
            kept.push(value);
        }
    }

    pub(crate) fn take_kept(&self) -> Vec<Box<dyn Any + Send>> {
        self.0
            .keepalive
            .lock()
            .map(|mut kept| std::mem::take(&mut *kept))
            .unwrap_or_default()
    }
}

/// Cancels a token when dropped, unless disarmed: the work of a call whose
/// future or response body is dropped (the client went away) stops.
pub(crate) struct CancelOnDrop {
    token: Option<Cancellation>,
}

impl CancelOnDrop {
    pub(crate) fn new(token: Cancellation) -> Self {
        Self { token: Some(token) }
    }

    pub(crate) fn disarm(&mut self) {
        self.token = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            token.cancel();
        }
    }
}
