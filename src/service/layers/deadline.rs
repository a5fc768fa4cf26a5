//! Deadlines: the earlier of the client's `grpc-timeout` and the server's limit,
//! computed when the call arrives, answered with DEADLINE_EXCEEDED, and carried
//! by the call's cancellation token so that the work behind it (on the blocking
//! pool and in rayon) stops too. The token also stops when the client goes away
//! (the call's future or its response body is dropped) and at shutdown.
//!
//! tonic's own timeout layer, outside ours, answers the client's deadline with
//! CANCELLED. Ours is computed from the same moment minus [`DEADLINE_MARGIN`],
//! and tonic polls the call before its timer, so the call always ends with our
//! DEADLINE_EXCEEDED however loaded the machine is.

use std::{
    convert::Infallible,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, ResponseFuture, respond};
use crate::{
    access::Streaming,
    engine::{Cancellation, Stop},
    service::{Call, ServiceError, call::CancelOnDrop},
};

/// Margin by which our deadline precedes the client's.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(2);

/// See the module's documentation.
#[derive(Clone)]
pub struct DeadlineLayer {
    server_limit: Duration,
    root: Cancellation,
}

impl DeadlineLayer {
    /// Unary calls run at most `server_limit` (streams are bounded by the client's
    /// deadline, and a client stream's every wait for its next message by its
    /// handler); every call's token is a child of `root`, which the server stops
    /// at shutdown.
    pub fn new(server_limit: Duration, root: Cancellation) -> Self {
        Self { server_limit, root }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            server_limit: self.server_limit,
            root: self.root.clone(),
        }
    }
}

/// The service of [`DeadlineLayer`].
#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    server_limit: Duration,
    root: Cancellation,
}

impl<S> Service<HttpRequest> for Deadline<S>
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
        let client = request
            .headers()
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_grpc_timeout);
        // A stream (an import, a re-score's progress, a backup) may rightly run
        // longer than any unary call; only the client's own deadline bounds it.
        let server = (call.method().streaming() == Streaming::Unary).then_some(self.server_limit);
        let deadline = match call_deadline(client, server, call.started()) {
            CallDeadline::Passed => {
                return Box::pin(std::future::ready(Ok(respond(ServiceError::DeadlineExceeded.into()))));
            }
            CallDeadline::At(at) => Some(at),
            CallDeadline::None => None,
        };
        let token = self.root.child(deadline);
        call.set_cancellation(token.clone());
        // Stops the work if this future is dropped before it answers (the client
        // went away); once answered, the body keeps a guard for streams.
        let mut guard = CancelOnDrop::new(token.clone());
        Box::pin(async move {
            let response = match deadline {
                Some(at) => match tokio::time::timeout_at(at.into(), inner.call(request)).await {
                    Ok(response) => response,
                    Err(_) => {
                        token.stop(Stop::DeadlineExceeded);
                        Ok(respond(ServiceError::DeadlineExceeded.into()))
                    }
                },
                None => inner.call(request).await,
            };
            guard.disarm();
            call.keep_alive(Box::new(CancelOnDrop::new(token)));
            response
        })
    }
}

enum CallDeadline {
    At(Instant),
    Passed,
    /// Neither the client nor the server bounds the call as a whole.
    None,
}

/// The earlier of the client's `grpc-timeout` (less [`DEADLINE_MARGIN`]) and the
/// server's limit, from `started`.
fn call_deadline(client: Option<Duration>, server_limit: Option<Duration>, started: Instant) -> CallDeadline {
    let limit = match (client, server_limit) {
        (Some(timeout), _) if timeout <= DEADLINE_MARGIN => return CallDeadline::Passed,
        (Some(timeout), Some(server)) => (timeout - DEADLINE_MARGIN).min(server),
        (Some(timeout), None) => timeout - DEADLINE_MARGIN,
        (None, Some(server)) => server,
        (None, None) => return CallDeadline::None,
    };
    CallDeadline::At(started + limit)
}

/// Parses the gRPC `grpc-timeout` header: at most 8 digits and a unit
/// (`H`, `M`, `S`, `m`, `u`, `n`); anything else is `None` (no client deadline).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 || !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_per_the_spec() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "m", "100", "100x", "123456789S", "-1S", "1.5S", "1é", "é"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_earlier_deadline_wins_and_a_spent_one_is_passed() {
        let now = Instant::now();
        let half = Some(Duration::from_millis(500));
        let CallDeadline::At(at) = call_deadline(half, Some(Duration::from_secs(60)), now) else {
            panic!("a 500 ms deadline is not spent")
        };
        assert_eq!(at, now + Duration::from_millis(498));
        let CallDeadline::At(at) = call_deadline(half, Some(Duration::from_millis(100)), now) else {
            panic!("not spent")
        };
        assert_eq!(at, now + Duration::from_millis(100));
        assert!(matches!(
            call_deadline(Some(Duration::from_millis(1)), Some(Duration::from_secs(60)), now),
            CallDeadline::Passed
        ));
    }

    #[test]
    fn a_client_stream_is_bounded_only_by_the_client_deadline() {
        let now = Instant::now();
        assert!(matches!(call_deadline(None, None, now), CallDeadline::None));
        let CallDeadline::At(at) = call_deadline(Some(Duration::from_secs(5)), None, now) else {
            panic!("the client's deadline applies")
        };
        assert_eq!(at, now + Duration::from_millis(4998));
    }
}
