//! After a restart: the events that were received (and acked to Slack) but never applied,
//! because the process died first, are applied now, oldest first, before new traffic is
//! served. Each runs as a replay: a post its earlier run may have made is looked up in
//! Slack by its tag instead of being posted again.

use crate::orchestrator::{Orchestrator, Work};
use crate::outcome::OrchestratorError;

/// How many pending events are read at a time.
const PAGE: usize = 256;

impl Orchestrator {
    /// Applies every received-but-unsettled event; returns how many were applied. An event
    /// that fails again stays pending (and is logged) for the next start.
    pub async fn recover(&self) -> Result<usize, OrchestratorError> {
        let mut applied = 0;
        let mut failed = std::collections::HashSet::new();
        loop {
            let pending = self.inner.store.pending(PAGE + failed.len()).await?;
            let fresh: Vec<_> = pending.into_iter().filter(|p| !failed.contains(&p.key)).collect();
            if fresh.is_empty() {
                return Ok(applied);
            }
            for received in fresh {
                let key = received.key.clone();
                let work = Work {
                    incoming: received.incoming,
                    key: Some(received.key),
                    replay: true,
                };
                match self.apply(work).await {
                    Ok(outcome) => {
                        tracing::info!(event = %key, ?outcome, "applied an event received before the restart");
                        applied += 1;
                    }
                    Err(error) => {
                        tracing::error!(event = %key, %error, "an event received before the restart still fails");
                        failed.insert(key);
                    }
                }
            }
        }
    }
}
