//! What every ingress (HTTP, Socket Mode) does with a normalized event: accept it (stored
//! as received: with a durable store, written before Slack gets its ack), ack, and apply it
//! in a tracked background task. A modal submission waits (up to 2.5 s of Slack's 3) for
//! its step so a rejection, or the modal's next page, can go back inline.

use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{Ignored, OrchestratorError, Outcome};
use crate::engine::work::Accepted;
use orchestrator_core::tag::tag;
use orchestrator_core::{Incoming, Payload};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

/// How long a modal submission waits for its step before the ack goes out anyway.
const INLINE_WAIT: Duration = Duration::from_millis(2500);

/// Accepts `incoming` and starts applying it; returns the body the ack must carry, if any
/// (`response_action: errors` for a rejected modal submission). An error means the event
/// could not be stored: the ingress must not ack it, so that Slack delivers it again.
pub(crate) async fn dispatch(
    orchestrator: &Orchestrator,
    tasks: &TaskTracker,
    incoming: Arc<Incoming>,
) -> Result<Option<Value>, OrchestratorError> {
    Ok(start(orchestrator, tasks, incoming).await?.ack_body().await)
}

/// An event accepted and being applied in the background.
pub(crate) struct Started {
    /// A modal submission's step, whose answer may go back in the ack.
    submission: Option<JoinHandle<Result<Outcome, OrchestratorError>>>,
}

/// Accepts `incoming` (stored as received when this returns `Ok`) and starts applying it.
pub(crate) async fn start(
    orchestrator: &Orchestrator,
    tasks: &TaskTracker,
    incoming: Arc<Incoming>,
) -> Result<Started, OrchestratorError> {
    let is_submission = matches!(incoming.payload, Payload::ViewSubmission(_));
    let work = match orchestrator.accept(incoming).await? {
        Accepted::Done(outcome) => {
            tracing::debug!(?outcome, "event not applied");
            return Ok(Started { submission: None });
        }
        Accepted::Work(work) => work,
    };
    let orchestrator = orchestrator.clone();
    let task = tasks.spawn(async move {
        let outcome = orchestrator.apply_boxed(*work).await;
        match &outcome {
            Err(error) if error.waits_for_slack() => {
                tracing::warn!(%error, "event put off while Slack cannot serve it; it stays pending")
            }
            Err(error) => tracing::error!(%error, "event not applied; it stays pending"),
            Ok(Outcome::Ignored(Ignored::Unsupported) | Outcome::NoFlow) => {}
            Ok(outcome) => tracing::debug!(?outcome, "event handled"),
        }
        outcome
    });
    Ok(Started {
        submission: is_submission.then_some(task),
    })
}

impl Started {
    /// The body the ack must carry: for a modal submission, its step's rejection or its
    /// answer (the next page) if the step ends within 2.5 s of Slack's 3; otherwise nothing.
    pub(crate) async fn ack_body(self) -> Option<Value> {
        let task = self.submission?;
        match tokio::time::timeout(INLINE_WAIT, task).await {
            Ok(Ok(Ok(Outcome::Rejected { flow_id, errors }))) => {
                // Under the block ids Slack has: the flow's own, tagged when the modal opened.
                let errors: serde_json::Map<String, Value> = errors
                    .into_iter()
                    .map(|(block, message)| (tag(flow_id, &block), Value::String(message)))
                    .collect();
                Some(json!({"response_action": "errors", "errors": errors}))
            }
            // The next page of the modal, or a push, or a clear.
            Ok(Ok(Ok(Outcome::Advanced { answer, .. }))) => answer,
            _ => None,
        }
    }
}
