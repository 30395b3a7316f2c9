//! Events that were received (and acked to Slack) but never applied, because the worker
//! that received them died or failed first: once the event's lease has ended, any replica
//! (or this process after a restart) claims it and applies it, oldest first. Each runs as a
//! replay: a post its earlier run may have made is looked up in Slack by its tag instead of
//! being posted again.

use crate::engine::clock::later;
use crate::engine::orchestrator::{Orchestrator, Work};
use crate::engine::outcome::OrchestratorError;

/// How many pending events are claimed at a time.
const PAGE: usize = 256;

impl Orchestrator {
    /// Claims and applies every received-but-unsettled event whose lease has ended; returns
    /// how many were applied. An event that fails again stays pending (and is logged) and is
    /// tried again when its new lease ends. The timer engine calls this every second.
    pub async fn recover(&self) -> Result<usize, OrchestratorError> {
        let inner = &self.inner;
        let mut applied = 0;
        loop {
            let now = inner.clock.now();
            let claimed = inner
                .store
                .claim_pending(now, later(now, inner.settings.event_lease), PAGE)
                .await?;
            let full = claimed.len() == PAGE;
            for received in claimed {
                let key = received.key.clone();
                match self.apply(Work::replay(received)).await {
                    Ok(outcome) => {
                        tracing::info!(event = %key, ?outcome, "applied an event whose first worker did not");
                        applied += 1;
                    }
                    Err(error) => {
                        tracing::error!(event = %key, %error, "an abandoned event still fails; it stays pending")
                    }
                }
            }
            if !full {
                return Ok(applied);
            }
        }
    }
}
