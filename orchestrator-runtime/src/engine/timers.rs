//! The timer engine. Deadlines are stored with the record, in the same write
//! ([`Orchestrator::commit`](crate::Orchestrator)); the store keeps them in an ordered index,
//! and the engine only ever asks it for the due end of that index: `claim_due` leases the
//! flows that are due (so one worker or replica fires each, and one that dies leaves them to
//! fire again when the lease ends), `next_deadline` tells how long to sleep. Nothing here
//! looks at every open flow.
//!
//! Firing a timeout runs under the conversation's lock and ends in one commit: a step
//! with a [`Timeout`](orchestrator_core::Timeout) handler continues the flow (a reminder,
//! an escalation) with a new deadline; any other step times out (TIMED_OUT, the timeout
//! message, the `on_timeout` hook). Due flows fire concurrently.

use crate::engine::clock::later;
use crate::engine::commit::{send_final, unsure, Ending};
use crate::engine::execute::{Attempt, End, First, Stepped};
use crate::engine::lease::{holding, Held};
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{OrchestratorError, Outcome};
use crate::engine::scheduled::SCHEDULE_FLOW;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use orchestrator_core::{FlowRecord, FlowState, Incoming, StoreError};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How many due flows one claim takes at most.
const BATCH: usize = 512;
/// How many timeouts fire at once.
const CONCURRENCY: usize = 64;
/// The longest the engine sleeps before looking again: other replicas may have set
/// deadlines, or died holding events whose lease has ended since.
const POLL: Duration = Duration::from_secs(1);
/// How often finished flows and settled events are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60);

impl Orchestrator {
    /// Fires every timeout that is due now; returns how many this call fired.
    pub async fn fire_due_timeouts(&self) -> Result<usize, OrchestratorError> {
        let inner = &self.inner;
        inner
            .schedules_installed
            .get_or_try_init(|| self.install_schedules())
            .await?;
        let mut fired = 0;
        loop {
            let now = inner.clock.now();
            let lease = later(now, inner.settings.claim_lease);
            let claimed = inner.store.claim_due(now, lease, BATCH).await?;
            let full = claimed.len() == BATCH;
            // Every claim is kept from now until its timeout has fired, however slow the
            // steps before it and its own; `CONCURRENCY` fire at once.
            let slots = tokio::sync::Semaphore::new(CONCURRENCY);
            let results: Vec<Result<bool, OrchestratorError>> = claimed
                .into_iter()
                .map(|record| {
                    let held = Held::Claim {
                        id: record.id,
                        until: lease,
                    };
                    let firing = async {
                        let _slot = slots.acquire().await.expect("the semaphore is never closed");
                        self.fire(record, now).await
                    };
                    async move {
                        let firing = std::pin::pin!(firing);
                        holding(&*inner.store, &inner.clock, held, inner.settings.claim_lease, firing).await
                    }
                })
                .collect::<futures_util::stream::FuturesUnordered<_>>()
                .collect()
                .await;
            for result in results {
                match result {
                    Ok(true) => fired += 1,
                    Ok(false) => {}
                    Err(error) if error.waits_for_slack() => {
                        tracing::warn!(%error, "a timeout waits for Slack; it fires again when its lease ends")
                    }
                    Err(error) => {
                        tracing::error!(%error, "a timeout could not fire; it fires again when its lease ends")
                    }
                }
            }
            if !full {
                return Ok(fired);
            }
        }
    }

    /// Fires one claimed timeout if it is still due; `false` if the flow moved on.
    async fn fire(&self, claimed: FlowRecord, now: DateTime<Utc>) -> Result<bool, OrchestratorError> {
        let inner = &self.inner;
        if let Some(deadline) = claimed.deadline {
            // An answer received by the deadline goes first, on whichever replica: it moves
            // the deadline (or ends the flow), and the timeout then finds nothing due.
            self.after_events(&claimed.key, None, Some(deadline)).await?;
        }
        let _turn = inner.locks.lock(claimed.key.as_str()).await;
        for _ in 0..inner.settings.max_attempts {
            let Some(record) = inner.store.load(claimed.id).await? else {
                return Ok(false);
            };
            if !record.is_active() || record.deadline.is_none_or(|d| d > now) {
                return Ok(false);
            }
            let fired = if record.flow == SCHEDULE_FLOW {
                self.fire_schedule(record, now).await
            } else {
                self.time_out(record, now).await.map(|_| ())
            };
            match fired {
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
        let timeout = std::sync::Arc::new(Incoming::timeout(record.context.clone(), deadline));
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
            Ok(Some(hook)) => {
                if let Err(error) = hook.await {
                    tracing::error!(%flow_id, %error, "on_timeout hook failed");
                }
            }
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

    /// Runs the timer engine in the background until the task is aborted: fires due
    /// timeouts, sleeps until the next deadline (or until a commit sets an earlier one, at
    /// most a second), and purges finished flows once a minute. Beside it, every second,
    /// takes over received events whose worker's lease ended (a replica or an earlier run of
    /// this process died before applying them, or Slack could not serve their step): on a
    /// loop of its own, so that events waiting on a slow Slack never hold up a timeout.
    pub fn spawn_timers(&self) -> JoinHandle<()> {
        let orchestrator = self.clone();
        tokio::spawn(async move {
            tokio::join!(orchestrator.fire_timeouts_forever(), orchestrator.recover_forever());
        })
    }

    /// Takes over abandoned events every [`POLL`], for ever.
    async fn recover_forever(&self) {
        loop {
            if let Err(error) = self.recover().await {
                tracing::error!(%error, "taking over abandoned events failed");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fires due timeouts and purges, for ever (see [`Orchestrator::spawn_timers`]).
    async fn fire_timeouts_forever(&self) {
        let inner = &self.inner;
        let mut purged_at = tokio::time::Instant::now();
        loop {
            if let Err(error) = self.fire_due_timeouts().await {
                tracing::error!(%error, "timer pass failed");
            }
            if purged_at.elapsed() >= PURGE_EVERY {
                purged_at = tokio::time::Instant::now();
                if let Err(error) = self.purge().await {
                    tracing::error!(%error, "purge failed");
                }
            }
            let now = self.now();
            let latest = later(now, POLL);
            let until = match inner.store.next_deadline().await {
                Ok(Some(deadline)) => deadline.min(latest),
                _ => latest,
            };
            inner.wake.sleep_until(now, until).await;
        }
    }

    /// Drops finished flows older than the retention and settled events older than the
    /// dedup window.
    pub async fn purge(&self) -> Result<orchestrator_core::Purged, OrchestratorError> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let age = |d: Duration| {
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        let purged = inner
            .store
            .purge(age(inner.settings.retention), age(inner.settings.dedup_ttl))
            .await?;
        if purged != orchestrator_core::Purged::default() {
            tracing::info!(flows = purged.flows, events = purged.events, "purged");
        }
        Ok(purged)
    }
}
