//! Deadlines, whoever fires them. A flow's deadline is fired by the timer engine (which
//! claims the due end of the store's index, `timers.rs`) or by an event of the flow that
//! arrived after it: that event goes after the timeout, so it claims the deadline
//! ([`Store::claim_deadline`](orchestrator_core::Store::claim_deadline)) and fires it first,
//! or, when another worker or replica holds the claim, waits until that one has fired it.
//! Both take the same claim, so each deadline fires once; and the order is the same on
//! every replica: the events that arrived before the deadline, the timeout, the events
//! that arrived after it.
//!
//! Firing a timeout runs under the conversation's lock and ends in one commit: a step with
//! a [`Timeout`](orchestrator_core::Timeout) handler continues the flow (a reminder, an
//! escalation) with a new deadline; any other step times out (TIMED_OUT, the timeout
//! message, the `on_timeout` hook).

use crate::engine::clock::later;
use crate::engine::commit::{send_final, unsure, Ending};
use crate::engine::execute::{Attempt, End, First, Stepped};
use crate::engine::lease::{holding, Held};
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{caught, OrchestratorError, Outcome};
use chrono::{DateTime, Utc};
use orchestrator_core::{FlowRecord, FlowState, Incoming, StoreError};
use std::sync::Arc;

impl Orchestrator {
    /// Fires the deadline of `record` (an event that `arrived` after it is about to be
    /// applied to the flow), claimed by this worker, or waits until the worker holding its
    /// claim has fired it. Returns once the flow no longer has that deadline.
    pub(crate) async fn deadline_first(
        &self,
        record: &FlowRecord,
        arrived: DateTime<Utc>,
    ) -> Result<(), OrchestratorError> {
        let inner = &self.inner;
        let Some(deadline) = record.deadline else {
            return Ok(());
        };
        tracing::debug!(flow_id = %record.id, %deadline, %arrived, "an event arrived after its flow's deadline: the timeout goes first");
        // Another worker renews its claim for as long as it fires; past two leases with no
        // write, it is stuck on Slack (or the store), and so is this event.
        let give_up = tokio::time::Instant::now() + 2 * inner.settings.claim_lease;
        loop {
            let now = inner.clock.now();
            let lease = later(now, inner.settings.claim_lease);
            if inner.store.claim_deadline(record.id, now, lease).await? {
                let held = Held::Claim {
                    id: record.id,
                    until: lease,
                };
                let firing = std::pin::pin!(self.fire_claimed(record, now));
                holding(&*inner.store, &inner.clock, held, inner.settings.claim_lease, firing).await?;
                return Ok(());
            }
            match inner.store.load_shared(record.id).await? {
                Some(current) if current.is_active() && current.deadline == Some(deadline) => {}
                _ => return Ok(()), // fired (or the flow ended otherwise)
            }
            if tokio::time::Instant::now() >= give_up {
                return match self.within_patience(deadline) {
                    // Left pending, applied again after its lease, still after the timeout.
                    true => Err(OrchestratorError::EarlierPending(format!(
                        "the timeout of flow {}",
                        record.id
                    ))),
                    false => {
                        tracing::warn!(flow_id = %record.id, "the flow's deadline is still not fired; going on");
                        Ok(())
                    }
                };
            }
            // Usually this process's timer engine fires it, under this conversation's lock.
            self.wait_turn(&record.key, give_up).await;
        }
    }

    /// Fires the deadline of `claimed`, claimed by this worker `now`, under its
    /// conversation's lock, if the flow still has it; `false` if the flow moved on.
    pub(crate) async fn fire_claimed(
        &self,
        claimed: &FlowRecord,
        now: DateTime<Utc>,
    ) -> Result<bool, OrchestratorError> {
        self.fire_locked(claimed, now, |record| async move {
            self.time_out(record, now).await.map(drop)
        })
        .await
    }

    /// Loads `claimed` under its conversation's lock and, if its deadline is still due
    /// `now`, runs `fire` on it: `true` once that wrote it, `false` if the flow moved on. A
    /// lost compare-and-swap loads it again. (Shared with the timer engine's schedules.)
    pub(crate) async fn fire_locked<F>(
        &self,
        claimed: &FlowRecord,
        now: DateTime<Utc>,
        fire: impl Fn(FlowRecord) -> F,
    ) -> Result<bool, OrchestratorError>
    where
        F: std::future::Future<Output = Result<(), OrchestratorError>>,
    {
        let inner = &self.inner;
        let _turn = inner.locks.lock(claimed.key.as_str()).await;
        for _ in 0..inner.settings.max_attempts {
            let Some(record) = inner.store.load(claimed.id).await? else {
                return Ok(false);
            };
            if !record.is_active() || record.deadline.is_none_or(|d| d > now) {
                return Ok(false);
            }
            match fire(record).await {
                Err(OrchestratorError::Store(StoreError::Conflict(_))) => continue,
                other => return other.map(|()| true),
            }
        }
        Ok(false)
    }

    /// The deadline of `record` passed (claimed `now`): its step's `Timeout` handler runs, or
    /// the flow times out. A call Slack cannot make now puts the timeout off, as it does a
    /// user's event, within `slack_patience` of the deadline: nothing is saved, and it fires
    /// again when its claim's lease ends, as a replay.
    async fn time_out(&self, record: FlowRecord, now: DateTime<Utc>) -> Result<Outcome, OrchestratorError> {
        let inner = &self.inner;
        let Some(definition) = inner.by_name.get(&record.flow).cloned() else {
            let reason = format!("flow `{}` is not registered in this bot", record.flow);
            return self.fail_record(record, reason, None, true).await;
        };
        let deadline = record.deadline.unwrap_or(now);
        // A deadline that passed before this process started may have fired in one that
        // died; one claimed a claim's lease or more after it fell due may have fired before
        // (its claim lapsed: put off while Slack was down, or its worker died). Either way
        // its posts are looked for before they are made. (A first claim comes within a
        // second of the deadline while the timer engine keeps up; when it is later, the
        // look-ups are all it costs.)
        let replay = deadline < inner.started_at || later(deadline, inner.settings.claim_lease) <= now;
        let timeout = Arc::new(Incoming::timeout(record.context.clone(), deadline));
        let stepped = inner
            .steps
            .step(
                &definition,
                Box::new(record),
                &timeout,
                First::Input,
                Attempt {
                    replay,
                    retry_until: self.patience_ends(deadline),
                },
            )
            .await;
        if !matches!(stepped.run.end, End::Unhandled) {
            return self.finish(&definition, stepped, None).await;
        }
        // The run's step is the record's: no handler took the timeout, so none moved it.
        let Stepped { mut cx, expected, run } = stepped;
        let step = run.step;
        let flow_id = cx.flow_id();
        let timed_out = Ending::Failed("the step timed out");
        send_final(&mut cx, definition.options().timeout_message.as_deref(), timed_out).await;
        unsure(&cx)?;
        match definition.on_timeout(&step, &mut cx) {
            // A hook that panics (a bug in the bot's code) is a hook that failed: the flow
            // times out all the same, and the timer engine goes on.
            Ok(Some(hook)) => match caught(hook).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%flow_id, %error, "on_timeout hook failed"),
                Err(panic) => tracing::error!(%flow_id, %panic, "on_timeout hook panicked"),
            },
            Ok(None) => {}
            Err(decode) => tracing::error!(%flow_id, %decode, "on_timeout hook skipped"),
        }
        unsure(&cx)?; // the hook's posts
        let mut record = cx.into_record();
        record
            .set_state(FlowState::TimedOut)
            .map_err(|illegal| StoreError::Conflict(format!("flow {flow_id} cannot time out: {illegal}")))?;
        record.deadline = None;
        let record = inner.writer.commit(record, expected, None).await?;
        Ok(Outcome::advanced(&record))
    }
}
