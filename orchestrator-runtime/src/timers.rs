//! The timer engine: finds flows whose deadline has passed, claims each with a
//! compare-and-swap to TIMED_OUT (so exactly one worker or replica fires it, also after a
//! restart), then sends the timeout message and runs the flow's `on_timeout` hook.

use crate::orchestrator::{Orchestrator, OrchestratorError};
use orchestrator_core::{Cx, FlowState, StoreError};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How many due flows one pass claims at most.
const BATCH: usize = 100;
/// The longest the engine sleeps before looking again (other replicas may have set deadlines).
const POLL: Duration = Duration::from_secs(5);

impl Orchestrator {
    /// Fires every timeout that is due now; returns how many this call fired.
    pub async fn fire_due_timeouts(&self) -> Result<usize, OrchestratorError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let mut fired = 0;
        for due in inner.store.due(now, BATCH).await? {
            let _turn = inner.locks.lock(due.key.as_str()).await;
            let Some(mut record) = inner.store.load(due.id).await? else {
                continue;
            };
            if !record.is_active() || record.deadline.is_none_or(|d| d > now) {
                continue;
            }
            let expected = record.version;
            if record.set_state(FlowState::TimedOut).is_err() {
                continue;
            }
            record.deadline = None;
            record.version = expected + 1;
            record.updated_at = now;
            match inner.store.update(&record, expected).await {
                Ok(()) => fired += 1,
                Err(StoreError::Conflict(_)) => continue, // another replica fired it
                Err(e) => return Err(e.into()),
            }
            self.after_timeout(record).await;
        }
        Ok(fired)
    }

    /// The timeout message and hook of a flow this worker has claimed as TIMED_OUT.
    async fn after_timeout(&self, claimed: orchestrator_core::FlowRecord) {
        let inner = &self.inner;
        let Some(definition) = inner.by_name.get(&claimed.flow).cloned() else {
            return;
        };
        let version = claimed.version;
        let step = claimed.step.clone();
        let flow_id = claimed.id;
        let mut cx = Cx::new(claimed, inner.slack.clone(), None, inner.clock.now());
        if let Some(message) = &definition.options().timeout_message {
            if let Err(error) = cx.say(message.as_str()).await {
                tracing::warn!(%flow_id, %error, "could not send the timeout message");
            }
        }
        match definition.on_timeout(step, &mut cx) {
            Ok(Some(hook)) => {
                if let Err(error) = hook.await {
                    tracing::error!(%flow_id, %error, "on_timeout hook failed");
                }
            }
            Ok(None) => {}
            Err(decode) => tracing::error!(%flow_id, %decode, "on_timeout hook skipped"),
        }
        // Keep what the hook and message changed (log, metadata); losing this race is harmless.
        let mut record = cx.into_record();
        record.version = version + 1;
        if let Err(error) = inner.store.update(&record, version).await {
            tracing::debug!(%error, "timeout bookkeeping not saved");
        }
    }

    /// Runs the timer engine in the background until the task is aborted.
    pub fn spawn_timers(&self) -> JoinHandle<()> {
        let orchestrator = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = orchestrator.fire_due_timeouts().await {
                    tracing::error!(%error, "timer pass failed");
                }
                let wait = match orchestrator.inner.store.next_deadline().await {
                    Ok(Some(deadline)) => (deadline - orchestrator.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(POLL),
                    _ => POLL,
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = orchestrator.inner.deadline_changed.notified() => {}
                }
            }
        })
    }
}
