//! What every ingress (HTTP, Socket Mode) does with a normalized event: ack at once and
//! handle it in a tracked background task, except a modal submission, which waits (up to
//! 2.5 s of Slack's 3) for its step so a rejection can go back inline.

use crate::orchestrator::{Ignored, Orchestrator, Outcome};
use orchestrator_core::{Incoming, Payload};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// How long a modal submission waits for its step before the ack goes out anyway.
const INLINE_WAIT: Duration = Duration::from_millis(2500);

/// Starts handling `incoming`; returns the body the ack must carry, if any
/// (`response_action: errors` for a rejected modal submission).
pub(crate) async fn dispatch(orchestrator: &Orchestrator, tasks: &TaskTracker, incoming: Incoming) -> Option<Value> {
    let is_submission = matches!(incoming.payload, Payload::ViewSubmission(_));
    let orchestrator = orchestrator.clone();
    let task = tasks.spawn(async move {
        let outcome = orchestrator.handle(incoming).await;
        match &outcome {
            Err(error) => tracing::error!(%error, "event not handled"),
            Ok(Outcome::Ignored(Ignored::Unsupported) | Outcome::NoFlow) => {}
            Ok(outcome) => tracing::debug!(?outcome, "event handled"),
        }
        outcome
    });
    if !is_submission {
        return None;
    }
    match tokio::time::timeout(INLINE_WAIT, task).await {
        Ok(Ok(Ok(Outcome::Rejected { errors, .. }))) => Some(json!({"response_action": "errors", "errors": errors})),
        _ => None,
    }
}
