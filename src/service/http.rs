//! The HTTP/1.1 listener beside the gRPC one: the analysts' console (`/`) and the
//! JSON gateway it calls (`/api/…`), `/metrics` for Prometheus, and `/healthz`
//! for load balancers that cannot speak gRPC health. It binds to loopback unless
//! told otherwise.

use std::{future::Future, net::SocketAddr};

use axum::{
    Router,
    extract::{FromRef, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tokio::net::TcpListener;

use crate::store::StoreHealth;

use super::{
    console,
    gateway::{self, Gateway},
    metrics::MetricsSource,
};

/// The Prometheus text format's content type.
const EXPOSITION_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the HTTP routes read from.
#[derive(Clone)]
pub struct HttpState {
    /// For `/metrics` and `/healthz`.
    pub metrics: MetricsSource,
    /// For `/api/…`.
    pub gateway: Gateway,
}

impl FromRef<HttpState> for MetricsSource {
    fn from_ref(state: &HttpState) -> Self {
        state.metrics.clone()
    }
}

impl FromRef<HttpState> for Gateway {
    fn from_ref(state: &HttpState) -> Self {
        state.gateway.clone()
    }
}

/// Serves the HTTP routes on `listener` until `shutdown` completes.
pub async fn serve_http(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    tracing::info!(%local, "serving HTTP (console, /api, /metrics, /healthz)");
    let routes = Router::new()
        .route("/", get(console::index))
        .route("/assets/app.js", get(console::app_js))
        .route("/assets/i18n.js", get(console::i18n_js))
        .route("/assets/style.css", get(console::style_css))
        .route("/api/session", get(gateway::session))
        .route("/api/{service}/{method}", post(gateway::call))
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(state);
    axum::serve(listener, routes.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics_text(State(source): State<MetricsSource>) -> Response {
    // Reading each tenant's sizes touches the file system: off the async threads.
    match tokio::task::spawn_blocking(move || source.render()).await {
        Ok(text) => plain(StatusCode::OK, EXPOSITION_CONTENT_TYPE, text),
        Err(error) => {
            tracing::error!(%error, "rendering the metrics failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "metrics unavailable\n".into(),
            )
        }
    }
}

async fn healthz(State(source): State<MetricsSource>) -> Response {
    let healthy = tokio::task::spawn_blocking(move || {
        source
            .tenants
            .open_engines()
            .iter()
            .all(|(_, engine)| engine.health().is_ok_and(|h| h.store == StoreHealth::Healthy))
    })
    .await
    .unwrap_or(false);
    if healthy {
        plain(StatusCode::OK, "text/plain; charset=utf-8", "serving\n".into())
    } else {
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            "not serving: a tenant's store cannot make writes durable\n".into(),
        )
    }
}

async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "not found\n".into())
}

/// A plain-text response with the headers every response here carries.
fn plain(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    console::add_security_headers(headers);
    response
}
