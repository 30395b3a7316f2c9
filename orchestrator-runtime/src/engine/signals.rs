//! Signals: inputs from outside Slack for one flow, named by its id ([`Orchestrator::signal`]
//! in the bot's process; [`Orchestrator::queue_signal`], which `flows signal` uses, from
//! any process on the store). A signal is stored as a received event keyed by the flow and
//! the signal's id (`signal:<flow>:<id>`), so a sender that sends it again (a retried
//! webhook) has it applied once, and it gets what a Slack event gets: it is kept until the
//! step's result is written, taken over by recovery if its worker dies, and ordered after
//! its conversation's earlier events. It is applied in the flow's conversation, as if said
//! by the flow's user, and passes the participants check (it comes from the bot's side).
//! A step sends one to another flow with `Cx::signal_flow`: received before its result is
//! written and applied after it, as the flows a step starts are (`starts`).

use crate::engine::clock::later;
use crate::engine::commit::Prepared;
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{OrchestratorError, Outcome};
use crate::engine::work::Work;
use orchestrator_core::{Incoming, Receipt, Received, Signal, StoreError};
use uuid::Uuid;

/// What [`Orchestrator::queue_signal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// Stored: the running bot applies it (within a second, on its recovery loop), or the
    /// bot started next does.
    Now,
    /// A signal with this id was sent to this flow before: it is applied (or being
    /// applied) once, and this one adds nothing.
    Before,
    /// The flow has ended: nothing waits for the signal, and it was not stored.
    Ended,
}

impl Orchestrator {
    /// Sends `signal` to flow `flow_id` and applies it now: its current step's `Signal`
    /// handler runs (a step without one leaves the flow as it is: `Outcome::Unhandled`).
    /// A signal whose id was sent to this flow before is `Outcome::Duplicate`; one for a
    /// flow that has ended is `Outcome::Ended`; an unknown flow is
    /// `StoreError::NotFound`. Like an event from Slack, it waits for the flow's earlier
    /// events, and if the process dies while it runs, recovery applies it again.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::{MessageContext, Outcome, RecordingSlack, Signal};
    /// #[flow(trigger = command("/build"))]
    /// mod build {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug)]
    ///     pub enum Build { #[start] Start, Running }
    ///     #[step(Start)]
    ///     async fn start(_cx: &mut Cx) -> Next<Build> { goto(Build::Running) }
    ///     #[step(Running)]
    ///     async fn reported(cx: &mut Cx, signal: Signal) -> Next<Build> {
    ///         if signal.name == "started" {
    ///             cx.say(format!("Build {} started.", signal.data["run"])).await?;
    ///             return stay();
    ///         }
    ///         complete(format!("Build {}.", signal.name))
    ///     }
    /// }
    /// # fn posted(slack: &RecordingSlack) -> Vec<String> {
    /// #     slack.requests().into_iter().filter_map(|r| match r {
    /// #         slack_orchestrator::SlackRequest::PostMessage { text, .. } => Some(text),
    /// #         _ => None,
    /// #     }).collect()
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let bot = Orchestrator::builder().flow::<build::Build>().slack(slack.clone()).build().unwrap();
    /// let id = bot.start(MessageContext::new("T1", "U1", "C1"), build::Build::Running).await.unwrap();
    /// // A CI job's webhook, retried by its sender: applied once.
    /// let started = Signal::new("started", serde_json::json!({"run": 42})).with_id("run-42-started");
    /// assert!(matches!(bot.signal(id, started.clone()).await.unwrap(), Outcome::Advanced { .. }));
    /// assert_eq!(bot.signal(id, started).await.unwrap(), Outcome::Duplicate);
    /// bot.signal(id, Signal::new("passed", serde_json::Value::Null)).await.unwrap();
    /// assert_eq!(posted(&slack), ["Build 42 started.", "Build passed."]);
    /// // The flow has ended: nothing waits for a signal any more.
    /// let late = Signal::new("passed", serde_json::Value::Null);
    /// assert_eq!(bot.signal(id, late).await.unwrap(), Outcome::Ended { flow_id: id });
    /// # }
    /// ```
    pub async fn signal(&self, flow_id: Uuid, signal: Signal) -> Result<Outcome, OrchestratorError> {
        let lease = self.inner.settings.event_lease;
        let Some((received, receipt)) = self.receive_signal(flow_id, signal, |now| later(now, lease)).await? else {
            return Ok(Outcome::Ended { flow_id });
        };
        match Work::on_receipt(received, receipt) {
            Some(work) => self.apply_boxed(work).await,
            None => Ok(Outcome::Duplicate),
        }
    }

    /// Stores `signal` for flow `flow_id` without applying it: the bot running on this
    /// store (this process or another) applies it on its recovery loop, within a second,
    /// as one whose first worker let go of it. What `flows signal` does beside a running
    /// bot. An unknown flow is `StoreError::NotFound`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::{MessageContext, RecordingSlack, Signal, Queued};
    /// # #[flow(trigger = command("/build"))]
    /// # mod build {
    /// #     use slack_orchestrator::prelude::*;
    /// #     #[derive(Debug)]
    /// #     pub enum Build { #[start] Start, Running }
    /// #     #[step(Start)]
    /// #     async fn start(_cx: &mut Cx) -> Next<Build> { goto(Build::Running) }
    /// #     #[step(Running)]
    /// #     async fn done(_cx: &mut Cx, signal: Signal) -> Next<Build> { complete(format!("Build {}.", signal.name)) }
    /// # }
    /// # fn posted(slack: &RecordingSlack) -> Vec<String> {
    /// #     slack.requests().into_iter().filter_map(|r| match r {
    /// #         slack_orchestrator::SlackRequest::PostMessage { text, .. } => Some(text),
    /// #         _ => None,
    /// #     }).collect()
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let bot = Orchestrator::builder().flow::<build::Build>().slack(slack.clone()).build().unwrap();
    /// let id = bot.start(MessageContext::new("T1", "U1", "C1"), build::Build::Running).await.unwrap();
    /// assert_eq!(bot.queue_signal(id, Signal::new("passed", serde_json::Value::Null)).await.unwrap(), Queued::Now);
    /// bot.recover().await.unwrap(); // what the running bot's recovery loop does every second
    /// assert_eq!(posted(&slack), ["Build passed."]);
    /// # }
    /// ```
    pub async fn queue_signal(&self, flow_id: Uuid, signal: Signal) -> Result<Queued, OrchestratorError> {
        // Its lease ends as it is stored: recovery claims it as it would a dead worker's.
        Ok(match self.receive_signal(flow_id, signal, |now| now).await? {
            None => Queued::Ended,
            Some((_, Receipt::Settled | Receipt::Busy | Receipt::Pending)) => Queued::Before,
            Some(_) => Queued::Now,
        })
    }

    /// Receives the signals a run asked to send (`Cx::signal_flow`), before the run's result
    /// is written, each under an id derived from the flow and the version it is written as
    /// (a run applied again sends the same ones): the work that applies each after the
    /// write. A signal for a flow that has ended, or is unknown, is dropped with a log line.
    pub(crate) async fn receive_signals(&self, prepared: &mut Prepared) -> Result<Vec<Work>, OrchestratorError> {
        let (by, version) = prepared.written_as();
        let lease = self.inner.settings.event_lease;
        let mut works = Vec::new();
        for (n, (to, signal)) in std::mem::take(&mut prepared.signals).into_iter().enumerate() {
            let signal = signal.with_id(format!("{by}:{version}:{n}"));
            let name = signal.name.clone();
            match self.receive_signal(to, signal, |now| later(now, lease)).await {
                Ok(Some((received, receipt))) => works.extend(Work::on_receipt(received, receipt)),
                Ok(None) => tracing::info!(%by, %to, %name, "a signal for a flow that has ended is dropped"),
                Err(OrchestratorError::Store(StoreError::NotFound(_))) => {
                    tracing::warn!(%by, %to, %name, "a signal for an unknown flow is dropped")
                }
                Err(error) => return Err(error),
            }
        }
        Ok(works)
    }

    /// Stores `signal` for flow `flow_id` as received, leased until `lease(now)`: the event
    /// and what the store answered, or `None` if the flow has ended.
    async fn receive_signal(
        &self,
        flow_id: Uuid,
        signal: Signal,
        lease: impl FnOnce(chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(Received, Receipt)>, OrchestratorError> {
        let store = &self.inner.store;
        let Some(record) = store.load_shared(flow_id).await? else {
            return Err(StoreError::NotFound(flow_id).into());
        };
        if !record.is_active() {
            return Ok(None);
        }
        let now = self.now();
        let incoming = Incoming::signal(record.context.clone(), flow_id, signal);
        let received = Received::new(incoming, now).expect("a signal is keyed by its flow and id");
        let receipt = store.receive(&received, lease(now)).await?;
        Ok(Some((received, receipt)))
    }
}
