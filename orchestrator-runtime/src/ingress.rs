//! What every ingress (HTTP, Socket Mode) does with a normalized event: accept it (stored
//! as received: with a durable store, written before Slack gets its ack), ack, and apply it
//! in a tracked background task. A modal submission waits (up to 2.5 s of Slack's 3) for
//! its step so a rejection can go back inline.

use crate::orchestrator::{Accepted, Orchestrator};
use crate::outcome::{Ignored, OrchestratorError, Outcome};
use orchestrator_core::{Incoming, Payload};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_util::task::TaskTracker;

/// How long a modal submission waits for its step before the ack goes out anyway.
const INLINE_WAIT: Duration = Duration::from_millis(2500);

/// Accepts `incoming` and starts applying it; returns the body the ack must carry, if any
/// (`response_action: errors` for a rejected modal submission). An error means the event
/// could not be stored: the ingress must not ack it, so that Slack delivers it again.
pub(crate) async fn dispatch(
    orchestrator: &Orchestrator,
    tasks: &TaskTracker,
    incoming: Incoming,
) -> Result<Option<Value>, OrchestratorError> {
    let is_submission = matches!(incoming.payload, Payload::ViewSubmission(_));
    let work = match orchestrator.accept(incoming).await? {
        Accepted::Done(outcome) => {
            tracing::debug!(?outcome, "event not applied");
            return Ok(None);
        }
        Accepted::Work(work) => work,
    };
    let orchestrator = orchestrator.clone();
    let task = tasks.spawn(async move {
        let outcome = orchestrator.apply(*work).await;
        match &outcome {
            Err(error) => tracing::error!(%error, "event not applied; it stays pending"),
            Ok(Outcome::Ignored(Ignored::Unsupported) | Outcome::NoFlow) => {}
            Ok(outcome) => tracing::debug!(?outcome, "event handled"),
        }
        outcome
    });
    if !is_submission {
        return Ok(None);
    }
    Ok(match tokio::time::timeout(INLINE_WAIT, task).await {
        Ok(Ok(Ok(Outcome::Rejected { errors, .. }))) => Some(json!({"response_action": "errors", "errors": errors})),
        _ => None,
    })
}
