//! The outermost layer: a tracing span per RPC, and one access-log record per
//! call, written when its response has been sent in full (with the final
//! grpc-status, from the headers or the trailers) or, when the client goes away
//! first, as CANCELLED.

use std::{
    convert::Infallible,
    pin::Pin,
    task::{Context, Poll},
};

use http_body::{Body, Frame, SizeHint};
use tonic::Code;
use tower::{Layer, Service};
use tracing::Instrument;

use super::{HttpRequest, HttpResponse, ResponseFuture};
use crate::{
    access::Method,
    service::{AccessLog, AccessRecord, Call, metrics::CallMetrics},
};

/// See the module's documentation.
#[derive(Clone)]
pub struct AuditLayer {
    log: AccessLog,
    metrics: CallMetrics,
}

impl AuditLayer {
    /// Records calls in `log`, and counts them in `metrics`.
    pub fn new(log: AccessLog, metrics: CallMetrics) -> Self {
        Self { log, metrics }
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Audit {
            inner,
            log: self.log.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

/// The service of [`AuditLayer`].
#[derive(Clone)]
pub struct Audit<S> {
    inner: S,
    log: AccessLog,
    metrics: CallMetrics,
}

impl<S> Service<HttpRequest> for Audit<S>
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

    fn call(&mut self, mut request: HttpRequest) -> Self::Future {
        // The clone that was made ready is the one that serves this call.
        let mut inner = self.inner.clone();
        std::mem::swap(&mut inner, &mut self.inner);
        let Some(method) = Method::from_path(request.uri().path()) else {
            return Box::pin(inner.call(request));
        };
        let call = Call::new(method, peer_of(&request));
        request.extensions_mut().insert(call.clone());
        let span = tracing::info_span!(
            "rpc",
            method = method.name(),
            tenant = tracing::field::Empty,
            key = tracing::field::Empty
        );
        let mut recorder = Recorder {
            call,
            log: self.log.clone(),
            metrics: self.metrics.clone(),
            span: span.clone(),
            done: false,
        };
        Box::pin(
            async move {
                let response = inner.call(request).await?;
                let (parts, body) = response.into_parts();
                let header_code = grpc_status(&parts.headers);
                let kept = recorder.call.take_kept();
                if let Some(code) = header_code {
                    recorder.finish(code);
                }
                let body = RecordedBody {
                    inner: body,
                    recorder: (header_code.is_none()).then_some(recorder),
                    _kept: kept,
                };
                Ok(http::Response::from_parts(parts, tonic::body::Body::new(body)))
            }
            .instrument(span),
        )
    }
}

/// The client's address, as tonic's transport records it.
fn peer_of(request: &HttpRequest) -> Option<std::net::SocketAddr> {
    use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|info| info.get_ref().remote_addr())
        })
}

fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<i32>().ok())
        .map(Code::from_i32)
}

/// Writes the call's access record once: with its final code, or as CANCELLED
/// when dropped before one was known.
struct Recorder {
    call: Call,
    log: AccessLog,
    metrics: CallMetrics,
    span: tracing::Span,
    done: bool,
}

impl Recorder {
    fn finish(&mut self, code: Code) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let call = &self.call;
        let elapsed = call.started().elapsed();
        self.metrics.observe(call.method().name(), code, elapsed);
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        let returned = if code == Code::Ok { call.returned() } else { 0 };
        let principal = call.principal();
        self.span
            .in_scope(|| tracing::info!(?code, elapsed_ms, returned, "rpc finished"));
        self.log.record(&AccessRecord {
            time: now_rfc3339(),
            tenant: principal.map(|p| p.tenant.as_str()),
            key_id: principal.map(|p| p.key_id.as_str()),
            role: principal.map(|p| p.role.name()),
            method: call.method().name(),
            status: format!("{code:?}"),
            returned,
            elapsed_ms: (elapsed_ms * 1000.0).round() / 1000.0,
            peer: call.peer(),
        });
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // The response (or its body) was dropped before its status was known:
        // the client went away, or the connection closed.
        self.finish(Code::Cancelled);
    }
}

/// The response body, watched for its trailers; holds the call's permit and
/// cancel guard until it is done.
struct RecordedBody {
    inner: tonic::body::Body,
    recorder: Option<Recorder>,
    _kept: Vec<Box<dyn std::any::Any + Send>>,
}

impl Body for RecordedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(code) = grpc_status(trailers)
                    && let Some(mut recorder) = self.recorder.take()
                {
                    recorder.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(mut recorder) = self.recorder.take() {
                    recorder.finish(Code::Internal);
                }
            }
            Poll::Ready(None) => {
                if let Some(mut recorder) = self.recorder.take() {
                    recorder.finish(Code::Unknown);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
