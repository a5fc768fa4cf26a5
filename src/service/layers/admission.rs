//! Concurrency limits: a call takes a permit from its key's share, its tenant's
//! share and the server's pool, or is refused at once with RESOURCE_EXHAUSTED
//! (load is shed, not queued, so overload shows as errors a client can back off
//! from instead of as everyone's latency).
//!
//! Streams (imports, re-score progress, backups) have a pool of their own: a
//! stream can hold its permit for minutes, and streams that never send must not
//! take the permits unary calls need. Shares per tenant and per key keep one
//! tenant, or one leaked key, from taking a whole pool.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, ResponseFuture, respond};
use crate::{
    access::{Principal, Streaming},
    limits,
    service::{Call, ServiceError},
};

/// How many calls may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Unary calls on the whole server.
    pub calls: usize,
    /// Unary calls of one tenant.
    pub calls_per_tenant: usize,
    /// Unary calls made with one key.
    pub calls_per_key: usize,
    /// Streams (client or server streaming) on the whole server.
    pub streams: usize,
    /// Streams of one tenant.
    pub streams_per_tenant: usize,
    /// Streams opened with one key.
    pub streams_per_key: usize,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        Self {
            calls: limits::DEFAULT_MAX_CALLS,
            calls_per_tenant: limits::DEFAULT_MAX_CALLS_PER_TENANT,
            calls_per_key: limits::DEFAULT_MAX_CALLS_PER_KEY,
            streams: limits::DEFAULT_MAX_STREAMS,
            streams_per_tenant: limits::DEFAULT_MAX_STREAMS_PER_TENANT,
            streams_per_key: limits::DEFAULT_MAX_STREAMS_PER_KEY,
        }
    }
}

#[derive(Debug, Default)]
struct Pool {
    total: usize,
    by_tenant: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
}

/// The permit counters of the whole server.
#[derive(Debug)]
pub struct Admission {
    limits: AdmissionLimits,
    unary: Mutex<Pool>,
    streams: Mutex<Pool>,
    /// Calls refused so far, by pool ("calls", "streams") and by the limit that
    /// refused them ("server", "tenant", "key"), for the metrics.
    shed: Mutex<std::collections::BTreeMap<(&'static str, &'static str), u64>>,
}

/// Which limit refused a call, for its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server's pool is full.
    Server {
        /// The limit.
        limit: usize,
        /// "calls" or "streams".
        what: &'static str,
    },
    /// The tenant's share is used up.
    Tenant {
        /// The limit.
        limit: usize,
        /// "calls" or "streams".
        what: &'static str,
    },
    /// The key's share is used up.
    Key {
        /// The limit.
        limit: usize,
        /// "calls" or "streams".
        what: &'static str,
    },
}

impl Refusal {
    /// "calls" or "streams".
    pub fn pool(&self) -> &'static str {
        match self {
            Refusal::Server { what, .. } | Refusal::Tenant { what, .. } | Refusal::Key { what, .. } => what,
        }
    }

    /// "server", "tenant" or "key".
    pub fn limit_name(&self) -> &'static str {
        match self {
            Refusal::Server { .. } => "server",
            Refusal::Tenant { .. } => "tenant",
            Refusal::Key { .. } => "key",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Server { limit, what } => write!(f, "the server has {limit} {what} in flight, its limit"),
            Refusal::Tenant { limit, what } => {
                write!(f, "this tenant has {limit} {what} in flight, its share of the server")
            }
            Refusal::Key { limit, what } => write!(f, "this API key has {limit} {what} in flight, its share"),
        }
    }
}

/// A held permit; released when dropped.
pub struct Permit {
    admission: Arc<Admission>,
    streaming: bool,
    tenant: String,
    key: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let pool = if self.streaming {
            &self.admission.streams
        } else {
            &self.admission.unary
        };
        if let Ok(mut pool) = pool.lock() {
            pool.total = pool.total.saturating_sub(1);
            decrement(&mut pool.by_tenant, &self.tenant);
            decrement(&mut pool.by_key, &self.key);
        }
    }
}

fn decrement(counts: &mut HashMap<String, usize>, name: &str) {
    if let Some(count) = counts.get_mut(name) {
        *count -= 1;
        if *count == 0 {
            counts.remove(name);
        }
    }
}

impl Admission {
    /// Counters for `limits` (each at least 1).
    pub fn new(limits: AdmissionLimits) -> Arc<Self> {
        let at_least_one = |n: usize| n.max(1);
        Arc::new(Self {
            limits: AdmissionLimits {
                calls: at_least_one(limits.calls),
                calls_per_tenant: at_least_one(limits.calls_per_tenant),
                calls_per_key: at_least_one(limits.calls_per_key),
                streams: at_least_one(limits.streams),
                streams_per_tenant: at_least_one(limits.streams_per_tenant),
                streams_per_key: at_least_one(limits.streams_per_key),
            },
            unary: Mutex::new(Pool::default()),
            streams: Mutex::new(Pool::default()),
            shed: Mutex::default(),
        })
    }

    /// Takes a permit for a call of `principal`, or says which limit is reached.
    pub fn admit(self: &Arc<Self>, principal: &Principal, streaming: Streaming) -> Result<Permit, Refusal> {
        let admitted = self.try_admit(principal, streaming);
        if let Err(refusal) = &admitted
            && let Ok(mut shed) = self.shed.lock()
        {
            *shed.entry((refusal.pool(), refusal.limit_name())).or_default() += 1;
        }
        admitted
    }

    fn try_admit(self: &Arc<Self>, principal: &Principal, streaming: Streaming) -> Result<Permit, Refusal> {
        let is_stream = streaming != Streaming::Unary;
        let (pool, total, per_tenant, per_key, what) = if is_stream {
            (
                &self.streams,
                self.limits.streams,
                self.limits.streams_per_tenant,
                self.limits.streams_per_key,
                "streams",
            )
        } else {
            (
                &self.unary,
                self.limits.calls,
                self.limits.calls_per_tenant,
                self.limits.calls_per_key,
                "calls",
            )
        };
        let tenant = principal.tenant.as_str();
        // Keys are unique per key file, but a disabled-auth caller is "-" in
        // every tenant; qualify by tenant so shares never mix.
        let key = format!("{tenant}/{}", principal.key_id);
        let mut pool = pool.lock().map_err(|_| Refusal::Server { limit: total, what })?;
        if pool.total >= total {
            return Err(Refusal::Server { limit: total, what });
        }
        if pool.by_tenant.get(tenant).copied().unwrap_or(0) >= per_tenant {
            return Err(Refusal::Tenant {
                limit: per_tenant,
                what,
            });
        }
        if pool.by_key.get(&key).copied().unwrap_or(0) >= per_key {
            return Err(Refusal::Key { limit: per_key, what });
        }
        pool.total += 1;
        *pool.by_tenant.entry(tenant.to_owned()).or_default() += 1;
        *pool.by_key.entry(key.clone()).or_default() += 1;
        Ok(Permit {
            admission: self.clone(),
            streaming: is_stream,
            tenant: tenant.to_owned(),
            key,
        })
    }

    /// Permits held now: `(unary calls, streams)`.
    /// Calls refused so far: (pool, limit, count), pool "calls" or "streams" and
    /// limit "server", "tenant" or "key".
    pub fn shed(&self) -> Vec<(&'static str, &'static str, u64)> {
        self.shed
            .lock()
            .map(|shed| shed.iter().map(|(&(pool, limit), &n)| (pool, limit, n)).collect())
            .unwrap_or_default()
    }

    /// The limits in force (each at least 1).
    pub fn limits(&self) -> AdmissionLimits {
        self.limits
    }

    pub fn in_use(&self) -> (usize, usize) {
        let count = |pool: &Mutex<Pool>| pool.lock().map(|p| p.total).unwrap_or(0);
        (count(&self.unary), count(&self.streams))
    }
}

/// See the module's documentation.
#[derive(Clone)]
pub struct AdmissionLayer {
    admission: Arc<Admission>,
}

impl AdmissionLayer {
    /// Admits calls against `admission`.
    pub fn new(admission: Arc<Admission>) -> Self {
        Self { admission }
    }
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Admit {
            inner,
            admission: self.admission.clone(),
        }
    }
}

/// The service of [`AdmissionLayer`].
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    admission: Arc<Admission>,
}

impl<S> Service<HttpRequest> for Admit<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let mut inner = self.inner.clone();
        std::mem::swap(&mut inner, &mut self.inner);
        let Some(call) = request.extensions().get::<Call>().cloned() else {
            return Box::pin(inner.call(request));
        };
        let Some(principal) = call.principal() else {
            return Box::pin(inner.call(request));
        };
        match self.admission.admit(principal, call.method().streaming()) {
            Ok(permit) => {
                call.keep_alive(Box::new(permit));
                Box::pin(inner.call(request))
            }
            Err(refusal) => {
                tracing::info!(%refusal, "call shed");
                Box::pin(std::future::ready(Ok(respond(
                    ServiceError::Overloaded(refusal).into(),
                ))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Role, TenantId};

    fn principal(tenant: &str, key: &str) -> Principal {
        Principal {
            tenant: TenantId::parse(tenant).unwrap(),
            key_id: key.into(),
            role: Role::Admin,
        }
    }

    #[test]
    fn one_key_or_tenant_cannot_take_the_pool_and_streams_never_take_unary_permits() {
        let admission = Admission::new(AdmissionLimits {
            calls: 4,
            calls_per_tenant: 3,
            calls_per_key: 2,
            streams: 4,
            streams_per_tenant: 2,
            streams_per_key: 1,
        });
        let acme = principal("acme", "k1");
        let first = admission.admit(&acme, Streaming::Client).unwrap();
        assert_eq!(
            admission.admit(&acme, Streaming::Client).err(),
            Some(Refusal::Key {
                limit: 1,
                what: "streams"
            })
        );
        let _second = admission.admit(&principal("acme", "k2"), Streaming::Server).unwrap();
        assert!(matches!(
            admission.admit(&principal("acme", "k3"), Streaming::Client),
            Err(Refusal::Tenant { .. })
        ));
        let _other = admission.admit(&principal("globex", "k9"), Streaming::Client).unwrap();
        // Every stream permit acme may hold is held; its unary calls still run.
        let _a = admission.admit(&acme, Streaming::Unary).unwrap();
        let _b = admission.admit(&acme, Streaming::Unary).unwrap();
        assert!(matches!(
            admission.admit(&acme, Streaming::Unary),
            Err(Refusal::Key { .. })
        ));
        assert_eq!(admission.in_use(), (2, 3));
        assert_eq!(
            admission.shed(),
            [("calls", "key", 1), ("streams", "key", 1), ("streams", "tenant", 1)],
            "every refusal is counted by pool and limit"
        );
        drop(first);
        assert!(admission.admit(&acme, Streaming::Client).is_ok(), "released on drop");
    }
}
