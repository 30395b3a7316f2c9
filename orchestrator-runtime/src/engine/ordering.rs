//! The order of a conversation's events, across workers and replicas: an event (or a
//! deadline) waits while an older event of its conversation is received and not applied,
//! and takes over one whose worker's lease ended. Also how long an event is put off while
//! Slack cannot serve its step (`slack_patience`).

use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::OrchestratorError;
use crate::engine::work::Work;
use orchestrator_core::{ConversationKey, Receipt, Received};
use std::time::Duration;

/// How often an event waiting for an earlier one of its conversation looks again.
const EARLIER_POLL: Duration = Duration::from_millis(20);

impl Orchestrator {
    /// Waits until no event of `conversation` (but `unless`) received by `by` (or ever) is
    /// unsettled, applying first, as a replay, one whose worker's lease ended. Events wait
    /// for the older ones of their conversation; a deadline waits for those received before
    /// it fell due (a user who answered in time is answered, not timed out, whichever
    /// replica applies the answer).
    pub(crate) async fn after_events(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
        by: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), OrchestratorError> {
        let inner = &self.inner;
        let give_up = tokio::time::Instant::now() + 2 * inner.settings.event_lease;
        while let Some((earlier, lease_until)) = inner.store.oldest_unsettled(conversation, unless).await? {
            if by.is_some_and(|by| earlier.at > by) {
                return Ok(());
            }
            let now = inner.clock.now();
            let arrived = earlier.at;
            let earlier_key = earlier.key.clone();
            if lease_until <= now {
                let retaken = Received { at: now, ..earlier };
                let lease = crate::engine::clock::later(now, inner.settings.event_lease);
                if inner.store.receive(&retaken, lease).await? == Receipt::Pending {
                    tracing::info!(event = %retaken.key, later = ?unless, "applying an abandoned earlier event first");
                    let replay = Work {
                        arrived: Some(arrived),
                        ..Work::replay(retaken)
                    };
                    if let Err(error) = self.apply_boxed(replay).await {
                        tracing::error!(%error, "an abandoned earlier event failed; it stays pending");
                    }
                    continue;
                }
            }
            if tokio::time::Instant::now() >= give_up {
                if self.within_patience(arrived) {
                    // Slack is likely down and the earlier event waits for it: so does
                    // this one (left pending, tried again after its lease), in order.
                    return Err(OrchestratorError::EarlierPending(earlier_key));
                }
                tracing::warn!(%conversation, later = ?unless, "an earlier event of this conversation is still not applied; going on");
                return Ok(());
            }
            // Usually the earlier event is being applied here (the user answered the
            // question its step posted before the step's result was saved).
            self.wait_turn(conversation, give_up).await;
        }
        Ok(())
    }

    /// Waits for another worker's turn in `conversation`: until this process's worker lets
    /// go of it, or, if none holds it (another replica's worker, or its task not started
    /// yet), a while. The caller then looks again.
    pub(crate) async fn wait_turn(&self, conversation: &ConversationKey, give_up: tokio::time::Instant) {
        let wait = self.inner.locks.wait_if_held(conversation.as_str());
        if !matches!(tokio::time::timeout_at(give_up, wait).await, Ok(true)) {
            tokio::time::sleep(EARLIER_POLL).await;
        }
    }

    /// Whether an event that arrived `at` (or a deadline that fell due `at`) is still put
    /// off, not failed, when Slack cannot serve its step now (`slack_patience`).
    pub(crate) fn within_patience(&self, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.patience_ends(at)
            .is_some_and(|until| self.inner.clock.now() < until)
    }

    /// When the patience for an event that arrived (or a deadline that fell due) `at` ends.
    pub(crate) fn patience_ends(&self, at: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        at.checked_add_signed(self.inner.settings.slack_patience)
    }
}
