//! The operator's HTTP endpoints over an [`Orchestrator`]: metrics (from
//! [`telemetry`](crate::telemetry)), liveness and readiness. Its own module above the
//! engine, so that the engine can record metrics without depending on what serves them.

use crate::Orchestrator;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

/// `GET /metrics` (Prometheus text), `GET /healthz` (the process answers) and `GET /readyz`
/// (the store answers and the bot knows who it is on Slack), for the HTTP server and for
/// `METRICS_ADDR` in Socket Mode.
///
/// ```
/// use orchestrator_runtime::{ops, Orchestrator, RecordingSlack};
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let endpoints = ops::router(orchestrator); // serve it with `axum::serve`
/// # drop(endpoints);
/// ```
pub fn router(orchestrator: Orchestrator) -> Router {
    crate::telemetry::prometheus();
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(orchestrator)
}

async fn metrics_text() -> Response {
    let text = crate::telemetry::prometheus()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([("content-type", "text/plain; version=0.0.4")], text).into_response()
}

async fn ready(State(orchestrator): State<Orchestrator>) -> Response {
    match orchestrator.readiness().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why.to_string()).into_response(),
    }
}
