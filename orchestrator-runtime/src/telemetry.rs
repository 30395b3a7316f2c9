//! What an operator watches: Prometheus metrics (with the `metrics` facade and
//! `metrics-exporter-prometheus`, installed once per process), the names they go by, and
//! the Slack port that counts its calls. `/metrics`, `/healthz` and `/readyz` are served by
//! the HTTP ingress and, in Socket Mode, on `METRICS_ADDR` (see [`crate::ops::router`]).
//!
//! | metric | kind | labels |
//! | --- | --- | --- |
//! | `slack_orchestrator_flows_started_total` | counter | `flow` |
//! | `slack_orchestrator_flows_ended_total` | counter | `flow`, `state` (`completed`, `error`, `timed_out`) |
//! | `slack_orchestrator_flows_active` | gauge (this process's starts minus ends) | `flow` |
//! | `slack_orchestrator_step_seconds` | histogram | `flow` |
//! | `slack_orchestrator_ack_seconds` | histogram | `transport` (`http`, `socket`) |
//! | `slack_orchestrator_slack_calls_total` | counter | `method` |
//! | `slack_orchestrator_slack_errors_total` | counter | `method`, `error` |
//! | `slack_orchestrator_store_seconds` | histogram | `op` (`receive`, `load`, `commit`) |

use async_trait::async_trait;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use orchestrator_core::{FlowRecord, FlowState, SlackApi, SlackError, SlackReply, SlackRequest};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Histogram buckets, in seconds: from a fast store write to a slow Slack answer.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's Prometheus handle, installing the recorder on first use; `None` if the
/// application installed a `metrics` recorder of its own first (metrics then go to it).
///
/// ```
/// let handle = orchestrator_runtime::telemetry::prometheus();
/// assert!(handle.is_none() || handle.unwrap().render().is_ascii());
/// ```
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| tracing::info!(%error, "metrics: another recorder is installed; /metrics is empty"))
                .ok()
        })
        .as_ref()
}

/// Seconds since `start`, for a histogram.
pub(crate) fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// A store operation's latency.
pub(crate) fn store_op(op: &'static str, start: Instant) {
    metrics::histogram!("slack_orchestrator_store_seconds", "op" => op).record(seconds(start));
}

/// A committed record: a new flow, or one that ended (each happens in exactly one commit).
pub(crate) fn committed(record: &FlowRecord, new: bool) {
    let ended = !record.is_active();
    // Most commits neither start nor end a flow: nothing to count, nothing to allocate.
    // `@…` flows are the runtime's own records (schedules).
    if !(new || ended) || record.flow.starts_with('@') {
        return;
    }
    let flow = record.flow.clone();
    if new {
        metrics::counter!("slack_orchestrator_flows_started_total", "flow" => flow.clone()).increment(1);
        metrics::gauge!("slack_orchestrator_flows_active", "flow" => flow.clone()).increment(1.0);
    }
    let state = match record.state {
        FlowState::Completed => "completed",
        FlowState::Error => "error",
        FlowState::TimedOut => "timed_out",
        FlowState::Initiated | FlowState::Processing | FlowState::WaitingForResponse => return,
    };
    metrics::counter!("slack_orchestrator_flows_ended_total", "flow" => flow.clone(), "state" => state).increment(1);
    metrics::gauge!("slack_orchestrator_flows_active", "flow" => flow).decrement(1.0);
}

/// A step run of `flow` that took from `start` until now.
pub(crate) fn step(flow: &str, start: Instant) {
    metrics::histogram!("slack_orchestrator_step_seconds", "flow" => flow.to_owned()).record(seconds(start));
}

/// An event acked `start`..now after it arrived.
pub(crate) fn acked(transport: &'static str, start: Instant) {
    metrics::histogram!("slack_orchestrator_ack_seconds", "transport" => transport).record(seconds(start));
}

/// The bot's Slack port with each call counted by method, and each failure by method and
/// Slack's error code.
pub(crate) struct MeteredSlack(pub(crate) Arc<dyn SlackApi>);

#[async_trait]
impl SlackApi for MeteredSlack {
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        let method = request.method().to_owned();
        metrics::counter!("slack_orchestrator_slack_calls_total", "method" => method.clone()).increment(1);
        let result = self.0.call(request).await;
        if let Err(error) = &result {
            let code = match error {
                SlackError::Api { code, .. } => code.clone(),
                SlackError::RateLimited { .. } => "ratelimited".to_owned(),
                SlackError::Transport { .. } => "transport".to_owned(),
                SlackError::InvalidRequest { .. } => "invalid_request".to_owned(),
            };
            metrics::counter!("slack_orchestrator_slack_errors_total", "method" => method, "error" => code)
                .increment(1);
        }
        result
    }
}
