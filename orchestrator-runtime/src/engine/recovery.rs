//! Events that were received (and acked to Slack) but never applied, because the worker
//! that received them died or failed first: once the event's lease has ended, any replica
//! (or this process after a restart) claims it and applies it, oldest first. Each runs as a
//! replay: a post its earlier run may have made is looked up in Slack by its tag instead of
//! being posted again.

use crate::engine::clock::later;
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::OrchestratorError;
use crate::engine::work::Work;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// How many pending events are claimed, and applied side by side, at a time: each claim
/// is applied at once (its lease renewed while it is), so none waits for a slot while its
/// lease runs out. Side by side, because Slack may answer each slowly (an outage, rate
/// limits): one at a time, a page would take minutes.
const PAGE: usize = 32;

impl Orchestrator {
    /// Claims and applies every received-but-unsettled event whose lease has ended; returns
    /// how many were applied. An event that fails again stays pending (and is logged) and is
    /// tried again when its new lease ends. `spawn_timers` calls this every second, on a
    /// loop beside the timer loop's.
    /// Events of one conversation in a page still go in order: a later one waits for the
    /// earlier one's worker, as every event does.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use slack_orchestrator::{Incoming, MemoryStore, Received, Store};
    /// use std::sync::Arc;
    /// # #[flow(trigger = direct_message)]
    /// # mod ask {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ask { #[start] Name }
    /// #     #[step(Name)]
    /// #     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    /// #     #[step(Name)]
    /// #     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { complete(format!("Hi, {name}!")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let store = Arc::new(MemoryStore::new());
    /// // An event a worker received (and acked) and then died on: its lease ended long ago.
    /// let dm = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
    ///     "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.1"}});
    /// let long_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    /// let received = Received::new(Incoming::from_json(&dm).unwrap().unwrap(), long_ago).unwrap();
    /// store.receive(&received, long_ago).await.unwrap();
    ///
    /// let slack = RecordingSlack::new();
    /// let bot = Orchestrator::builder().flow::<ask::Ask>().store(store.clone()).slack(slack.clone()).build().unwrap();
    /// assert_eq!(bot.recover().await.unwrap(), 1, "applied now");
    /// assert_eq!(slack.requests().len(), 1, "the flow asked its question");
    /// assert_eq!(bot.recover().await.unwrap(), 0, "settled: nothing left");
    /// # }
    /// ```
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
            let mut runs: FuturesUnordered<_> = claimed
                .into_iter()
                .map(|received| async move {
                    let key = received.key.clone();
                    (key, self.apply_boxed(Work::replay(received)).await)
                })
                .collect();
            while let Some((key, result)) = runs.next().await {
                match result {
                    Ok(outcome) => {
                        tracing::info!(event = %key, ?outcome, "applied an event whose first worker did not");
                        applied += 1;
                    }
                    Err(error) if error.waits_for_slack() => {
                        tracing::warn!(event = %key, %error, "an event waits for Slack; it stays pending")
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
