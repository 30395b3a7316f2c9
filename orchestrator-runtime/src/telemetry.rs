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
//! | `slack_orchestrator_app_rate_limited_total` | counter | (none): minutes in which Slack dropped the app's events (`app_rate_limited`) |
//! | `slack_orchestrator_options_total` | counter | `outcome` (`answered`, `unknown`, `failed`, `late`): external selects' options requests |
//! | `slack_orchestrator_options_seconds` | histogram | (none): how long their handlers took |

use async_trait::async_trait;
use metrics::{Counter, Gauge, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use orchestrator_core::{FlowRecord, FlowState, SlackApi, SlackError, SlackReply, SlackRequest, WorkflowToken};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

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
            let handle = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| tracing::info!(%error, "metrics: another recorder is installed; /metrics is empty"))
                .ok()?;
            start_upkeep(handle.clone());
            Some(handle)
        })
        .as_ref()
}

/// How often the recorder's histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// Upkeep passes run so far (for the test that they run without a scrape).
static UPKEEPS: AtomicU64 = AtomicU64::new(0);

/// Folds the histogram samples into their buckets every [`UPKEEP_EVERY`], on a thread of
/// its own. The recorder keeps every sample until then, or until a scrape of `/metrics`
/// (`install_recorder` leaves this to its caller): a bot nobody scrapes would otherwise grow
/// by the size of five samples for every event, without end. A thread rather than a task:
/// the recorder is installed once per process, whatever runtime builds the first bot.
fn start_upkeep(handle: PrometheusHandle) {
    let upkeep = move || loop {
        std::thread::sleep(UPKEEP_EVERY);
        handle.run_upkeep();
        UPKEEPS.fetch_add(1, Ordering::Relaxed);
    };
    if let Err(error) = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(upkeep) {
        tracing::warn!(%error, "metrics: no upkeep thread; histograms are folded only when /metrics is read");
    }
}

/// Slack said (`app_rate_limited`) that it drops the app's events from workspace `team`
/// for the rest of `minute`: they never arrive, so conversations may miss a user's answer.
/// A warning and a count, for the operator's alert.
pub(crate) fn app_rate_limited(team: &str, minute: Option<i64>) {
    let minute = minute
        .and_then(|m| chrono::DateTime::from_timestamp(m, 0))
        .map_or_else(|| "-".to_owned(), |m| m.to_rfc3339());
    tracing::warn!(
        team,
        %minute,
        "Slack is dropping this app's events for the rest of a minute (app_rate_limited: over 30,000 events from the workspace in an hour)"
    );
    metrics::counter!("slack_orchestrator_app_rate_limited_total").increment(1);
}

/// An external select's options request was answered: by its handler (`answered`), with
/// none because no handler is registered (`unknown`), the handler panicked (`failed`) or
/// took longer than Slack waits (`late`).
pub(crate) fn options_answered(outcome: &'static str, start: Instant) {
    metrics::counter!("slack_orchestrator_options_total", "outcome" => outcome).increment(1);
    metrics::histogram!("slack_orchestrator_options_seconds").record(seconds(start));
}

/// Seconds since `start`, for a histogram.
pub(crate) fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// A store operation that is timed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StoreOp {
    Receive,
    Load,
    Commit,
}

/// How an event reached the bot.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Transport {
    Http,
    Socket,
}

/// The metric handles the engine records into, registered once when the orchestrator is
/// built: a `metrics` macro looks its name and labels up in the registry on every call
/// (and allocates for a `String` label), several times for each event.
pub(crate) struct Meters {
    store: [Histogram; 3],
    acks: [Histogram; 2],
    flows: HashMap<String, FlowMeters>,
    /// Per Slack method, registered at its first call.
    slack_calls: RwLock<HashMap<String, Counter>>,
}

/// One flow's handles.
struct FlowMeters {
    step: Histogram,
    started: Counter,
    active: Gauge,
    completed: Counter,
    error: Counter,
    timed_out: Counter,
}

impl FlowMeters {
    fn new(flow: &str) -> Self {
        let flow = flow.to_owned();
        let ended = |state: &'static str| metrics::counter!("slack_orchestrator_flows_ended_total", "flow" => flow.clone(), "state" => state);
        FlowMeters {
            step: metrics::histogram!("slack_orchestrator_step_seconds", "flow" => flow.clone()),
            started: metrics::counter!("slack_orchestrator_flows_started_total", "flow" => flow.clone()),
            active: metrics::gauge!("slack_orchestrator_flows_active", "flow" => flow.clone()),
            completed: ended("completed"),
            error: ended("error"),
            timed_out: ended("timed_out"),
        }
    }
}

impl Meters {
    /// Handles for `flows`, in the process's recorder (install it first: [`prometheus`]).
    pub(crate) fn new<'a>(flows: impl IntoIterator<Item = &'a str>) -> Self {
        let store_op = |op: &'static str| metrics::histogram!("slack_orchestrator_store_seconds", "op" => op);
        let ack =
            |transport: &'static str| metrics::histogram!("slack_orchestrator_ack_seconds", "transport" => transport);
        Meters {
            store: [store_op("receive"), store_op("load"), store_op("commit")],
            acks: [ack("http"), ack("socket")],
            flows: flows
                .into_iter()
                .map(|flow| (flow.to_owned(), FlowMeters::new(flow)))
                .collect(),
            slack_calls: RwLock::default(),
        }
    }

    /// A store operation's latency.
    pub(crate) fn store_op(&self, op: StoreOp, start: Instant) {
        self.store[op as usize].record(seconds(start));
    }

    /// An event acked `start`..now after it arrived.
    pub(crate) fn acked(&self, transport: Transport, start: Instant) {
        self.acks[transport as usize].record(seconds(start));
    }

    /// A step run of `flow` (a registered one: only those run) that took from `start` until now.
    pub(crate) fn step(&self, flow: &str, start: Instant) {
        if let Some(meters) = self.flows.get(flow) {
            meters.step.record(seconds(start));
        }
    }

    /// A committed record: a new flow, or one that ended (each happens in exactly one
    /// commit). `@…` flows are the runtime's own records (schedules) and are not counted.
    pub(crate) fn committed(&self, record: &FlowRecord, new: bool) {
        let Some(meters) = self.flows.get(&record.flow) else {
            return;
        };
        if new {
            meters.started.increment(1);
            meters.active.increment(1.0);
        }
        let ended = match record.state {
            FlowState::Completed => &meters.completed,
            FlowState::Error => &meters.error,
            FlowState::TimedOut => &meters.timed_out,
            FlowState::Initiated | FlowState::Processing | FlowState::WaitingForResponse => return,
        };
        ended.increment(1);
        meters.active.decrement(1.0);
    }

    fn slack_call(&self, method: &str) {
        let known = self.slack_calls.read().unwrap_or_else(|p| p.into_inner());
        if let Some(counter) = known.get(method) {
            counter.increment(1);
            return;
        }
        drop(known);
        let mut known = self.slack_calls.write().unwrap_or_else(|p| p.into_inner());
        known
            .entry(method.to_owned())
            .or_insert_with(|| metrics::counter!("slack_orchestrator_slack_calls_total", "method" => method.to_owned()))
            .increment(1);
    }
}

/// The bot's Slack port with each call counted by method, and each failure by method and
/// Slack's error code.
pub(crate) struct MeteredSlack {
    pub(crate) slack: Arc<dyn SlackApi>,
    pub(crate) meters: Arc<Meters>,
}

#[async_trait]
impl SlackApi for MeteredSlack {
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        self.meters.slack_call(request.method());
        let result = self.slack.call(request).await;
        if let Err(error) = &result {
            let (method, code) = match error {
                SlackError::Api { method, code } => (method, code.clone()),
                SlackError::RateLimited { method } => (method, "ratelimited".to_owned()),
                SlackError::Transport { method, .. } => (method, "transport".to_owned()),
                SlackError::InvalidRequest { method, .. } => (method, "invalid_request".to_owned()),
            };
            metrics::counter!("slack_orchestrator_slack_errors_total", "method" => method.clone(), "error" => code)
                .increment(1);
        }
        result
    }

    fn with_token(&self, token: &WorkflowToken) -> Option<Arc<dyn SlackApi>> {
        let slack = self.slack.with_token(token)?;
        Some(Arc::new(MeteredSlack {
            slack,
            meters: self.meters.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_samples_are_folded_into_buckets_without_a_scrape() {
        let handle = prometheus().expect("no other recorder in this test binary");
        let histogram = metrics::histogram!("slack_orchestrator_upkeep_test_seconds");
        for _ in 0..1000 {
            histogram.record(0.002);
        }
        let before = UPKEEPS.load(Ordering::Relaxed);
        let give_up = Instant::now() + 10 * UPKEEP_EVERY;
        while UPKEEPS.load(Ordering::Relaxed) < before + 2 && Instant::now() < give_up {
            std::thread::sleep(UPKEEP_EVERY / 10);
        }
        assert!(
            UPKEEPS.load(Ordering::Relaxed) >= before + 2,
            "the upkeep thread runs on its own"
        );
        // Folded, not dropped: the buckets count every sample.
        let text = handle.render();
        assert!(
            text.contains("slack_orchestrator_upkeep_test_seconds_count 1000"),
            "{text}"
        );
        assert!(
            text.contains("slack_orchestrator_upkeep_test_seconds_bucket{le=\"0.0025\"} 1000"),
            "{text}"
        );
    }
}
