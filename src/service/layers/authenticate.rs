//! Authentication and the role check, from the request's headers alone: a call
//! without a valid key, or outside its key's role, is answered before its
//! message is read (a 16 MiB body is never decoded for a caller who may not
//! send it).

use std::{
    convert::Infallible,
    task::{Context, Poll},
};

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, ResponseFuture, respond};
use crate::{
    access::Principal,
    service::{Authentication, Call, ServiceError},
};

/// See the module's documentation.
#[derive(Clone)]
pub struct AuthLayer {
    authentication: Authentication,
}

impl AuthLayer {
    /// Authenticates with `authentication`.
    pub fn new(authentication: Authentication) -> Self {
        Self { authentication }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticate<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Authenticate {
            inner,
            authentication: self.authentication.clone(),
        }
    }
}

/// The service of [`AuthLayer`].
#[derive(Clone)]
pub struct Authenticate<S> {
    inner: S,
    authentication: Authentication,
}

impl<S> Service<HttpRequest> for Authenticate<S>
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
        match admit(&self.authentication, &call, request.headers()) {
            Ok(()) => Box::pin(inner.call(request)),
            Err(error) => Box::pin(std::future::ready(Ok(respond(error.into())))),
        }
    }
}

fn admit(authentication: &Authentication, call: &Call, headers: &http::HeaderMap) -> Result<(), ServiceError> {
    let principal: Principal = authentication
        .authenticate(headers)
        .map_err(ServiceError::Unauthenticated)?;
    tracing::Span::current()
        .record("tenant", principal.tenant.as_str())
        .record("key", principal.key_id.as_str());
    let allowed = principal.role.may_call(call.method());
    let role = principal.role.name();
    // Recorded even when the role check fails: the access log says who was refused.
    call.set_principal(principal);
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied {
            method: call.method().name(),
            role,
        })
    }
}
