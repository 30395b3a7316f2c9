//! The timer engine. Deadlines are stored with the record, in the same write
//! ([`Orchestrator::commit`](crate::Orchestrator)); the store keeps them in an ordered index,
//! and the engine only ever asks it for the due end of that index: `claim_due` leases the
//! flows that are due (so one worker or replica fires each, and one that dies leaves them to
//! fire again when the lease ends), `next_deadline` tells how long to sleep. Nothing here
//! looks at every open flow.
//!
//! A claimed flow's deadline fires as `engine/deadline.rs` says (which an event that
//! arrived after the deadline also uses), a claimed schedule here. Due flows fire
//! concurrently, each keeping its claim until it is done.

use crate::engine::clock::later;
use crate::engine::lease::{holding, Held};
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{caught, OrchestratorError};
use crate::engine::scheduled::SCHEDULE_FLOW;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use orchestrator_core::FlowRecord;
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
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message, timeout = "5m")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ask { #[start] Ask, Wait }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; goto(Ask::Wait) }
    ///     #[step(Wait)]
    ///     async fn wait(_cx: &mut Cx, name: Text) -> Next<Ask> { complete(format!("Hi, {name}!")) }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// bot.dm("U1").send("hi").await;
    /// assert_eq!(bot.orchestrator().fire_due_timeouts().await.unwrap(), 0, "not due yet");
    /// tokio::time::advance(std::time::Duration::from_secs(301)).await;
    /// assert_eq!(bot.orchestrator().fire_due_timeouts().await.unwrap(), 1);
    /// # }
    /// ```
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
                        // The firings run in the timer engine's own task: a panic in one
                        // (what the bot's code panics on is caught nearer, as a failed step
                        // or hook) must not end the engine, and with it every timeout.
                        caught(self.fire(record, now)).await.unwrap_or_else(|panic| {
                            tracing::error!(%panic, "a timeout's firing panicked; it fires again when its lease ends");
                            Ok(false)
                        })
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
        if let Some(deadline) = claimed.deadline {
            // An answer received by the deadline goes first, on whichever replica: it moves
            // the deadline (or ends the flow), and the timeout then finds nothing due. (One
            // received after it goes after it: `engine/deadline.rs`.)
            self.after_events(&claimed.key, None, Some(deadline)).await?;
            // And one said where the flow talks, if that is not its conversation: a flow
            // named by its user's id (a global shortcut's, `team_join`'s, a Home button's)
            // talks in their DM.
            let talks_in = claimed.context.conversation_key();
            if talks_in != claimed.key {
                self.after_events(&talks_in, None, Some(deadline)).await?;
            }
            // So does a reply in the thread under one of its posts (routed to it): one
            // read per post in the flow's log. (Not under the user's own messages, which
            // is rare, and would cost a read for each of those too.)
            for thread in claimed.reply_threads() {
                self.after_events(&thread, None, Some(deadline)).await?;
            }
        }
        if claimed.flow == SCHEDULE_FLOW {
            return self
                .fire_locked(&claimed, now, |record| self.fire_schedule(record, now))
                .await;
        }
        self.fire_claimed(&claimed, now).await
    }

    /// Runs the timer engine in the background until the task is aborted: fires due
    /// timeouts, sleeps until the next deadline (or until a commit sets an earlier one, at
    /// most a second), and purges finished flows once a minute. Beside it, every second,
    /// takes over received events whose worker's lease ended (a replica or an earlier run of
    /// this process died before applying them, or Slack could not serve their step): on a
    /// loop of its own, so that events waiting on a slow Slack never hold up a timeout.
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message, timeout = "5m")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ask { #[start] Ask, Wait }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; goto(Ask::Wait) }
    ///     #[step(Wait)]
    ///     async fn wait(_cx: &mut Cx, name: Text) -> Next<Ask> { complete(format!("Hi, {name}!")) }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use slack_orchestrator::FlowState;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// let timers = bot.orchestrator().spawn_timers(); // what `run` starts beside the ingress
    /// bot.dm("U1").send("hi").await;
    /// tokio::time::sleep(std::time::Duration::from_secs(301)).await; // paused time: no real wait
    /// assert_eq!(bot.flows().await[0].state, FlowState::TimedOut);
    /// timers.abort();
    /// # }
    /// ```
    pub fn spawn_timers(&self) -> JoinHandle<()> {
        let orchestrator = self.clone();
        tokio::spawn(async move {
            tokio::join!(orchestrator.fire_timeouts_forever(), orchestrator.recover_forever());
        })
    }

    /// Takes over abandoned events every [`POLL`], for ever.
    async fn recover_forever(&self) {
        loop {
            // In the timer engine's task, as the firings: a panic must not end it.
            match caught(self.recover()).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::error!(%error, "taking over abandoned events failed"),
                Err(panic) => tracing::error!(%panic, "taking over abandoned events panicked"),
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
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message, timeout = "5m")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ask { #[start] Ask, Wait }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; goto(Ask::Wait) }
    ///     #[step(Wait)]
    ///     async fn wait(_cx: &mut Cx, name: Text) -> Next<Ask> { complete(format!("Hi, {name}!")) }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>().retention(Duration::from_secs(3600)));
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// chat.send("Ada").await; // completed
    /// tokio::time::advance(Duration::from_secs(3601)).await;
    /// let purged = bot.orchestrator().purge().await.unwrap();
    /// assert_eq!(purged.flows, 1, "kept for the retention, then dropped");
    /// assert!(bot.flows().await.is_empty());
    /// # }
    /// ```
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
