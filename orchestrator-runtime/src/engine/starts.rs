//! Flows started from code: by the bot ([`Orchestrator::start`]), by a step
//! (`Cx::start_flow`) or by a schedule. A start is stored as a received event keyed by the
//! new flow's id (`start:<id>`) and applied as one, so it gets what a Slack event gets: it
//! is kept until the first step's result is written (settled in that write), taken over
//! by recovery if its worker dies, put off while Slack cannot serve it, and ordered with the
//! other events of its conversation. A step's starts are received before its own result is
//! written, under ids derived from that result, so a crash between the two loses none and
//! a run applied again asks for the same ones; a write that loses its compare-and-swap
//! withdraws them.

use crate::engine::clock::later;
use crate::engine::commit::Prepared;
use crate::engine::execute::First;
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{OrchestratorError, Outcome};
use crate::engine::work::Work;
use orchestrator_core::{Flow, FlowRecord, FlowStart, Incoming, Received, StoreError, StoredStep};
use std::sync::Arc;
use uuid::Uuid;

impl Orchestrator {
    /// Starts flow `F` from code, at step `first` (with its data), in the conversation
    /// `at`: a DM (`MessageContext::new(team, user, dm_channel)`, the channel from
    /// `conversations.open`), or a channel. The start is stored as a received event, the
    /// flow saved, then its step's entry handler runs as for a triggered flow; the user of
    /// `at` is its participant. Returns the flow id. A first step Slack cannot serve now (an
    /// outage, see
    /// [`OrchestratorBuilder::slack_patience`](crate::OrchestratorBuilder::slack_patience))
    /// is put off: this returns, and the step runs when Slack serves it, by this process or,
    /// after a crash, by whichever process (or replica) takes the start over.
    ///
    /// One flow is active per conversation: if one is, this is
    /// [`OrchestratorError::ConversationBusy`] naming it (cancel it, or start later). Any
    /// other error once the start is stored (the store failed while the first step ran,
    /// say) leaves the start pending, as an event whose worker failed: it is applied again
    /// after its lease, so the flow may still start.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::{MessageContext, RecordingSlack};
    /// #[flow(trigger = command("/standup"))]
    /// mod standup {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug)]
    ///     pub enum Standup { #[start] ByHand, Ask { team: String }, Listen }
    ///     #[step(ByHand)]
    ///     async fn by_hand(_cx: &mut Cx, c: Command) -> Next<Standup> { goto(Standup::Ask { team: c.text.clone() }) }
    ///     #[step(Ask { team })]
    ///     async fn ask(cx: &mut Cx, team: String) -> Next<Standup> {
    ///         cx.say(format!("Standup for {team}: what did you do yesterday?")).await?;
    ///         goto(Standup::Listen)
    ///     }
    ///     #[step(Listen)]
    ///     async fn listen(_cx: &mut Cx, said: Text) -> Next<Standup> { complete(format!("Noted: {}", said.as_str())) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let bot = Orchestrator::builder().flow::<standup::Standup>().slack(slack.clone()).build().unwrap();
    /// let dm = MessageContext::new("T1", "U_ANA", "D_ANA");
    /// bot.start(dm.clone(), standup::Standup::Ask { team: "core".into() }).await.unwrap();
    /// let posted: Vec<_> = slack.requests().into_iter().filter_map(|r| match r {
    ///     slack_orchestrator::SlackRequest::PostMessage { text, .. } => Some(text),
    ///     _ => None,
    /// }).collect();
    /// assert_eq!(posted, ["Standup for core: what did you do yesterday?"]);
    /// assert!(bot.start(dm, standup::Standup::Listen).await.is_err(), "one active flow per conversation");
    /// # }
    /// ```
    pub async fn start<F: Flow>(
        &self,
        at: orchestrator_core::MessageContext,
        first: F,
    ) -> Result<Uuid, OrchestratorError> {
        let step =
            StoredStep::of(&first).map_err(|e| StoreError::Backend(format!("the step does not serialize: {e}")))?;
        self.start_at(orchestrator_core::FlowStart {
            flow: F::options().name,
            context: at,
            step,
        })
        .await
    }

    /// Starts a flow by name (what [`Orchestrator::start`] and `Cx::start_flow` do) under a
    /// new id.
    pub(crate) async fn start_at(&self, start: FlowStart) -> Result<Uuid, OrchestratorError> {
        let id = Uuid::new_v4();
        match self.start_with_id(start, id, self.now()).await {
            Err(error) if error.waits_for_slack() => {
                tracing::warn!(flow_id = %id, %error, "a started flow waits for Slack; its start stays pending");
                Ok(id)
            }
            other => other,
        }
    }

    /// Starts a flow by name under the flow id `id` (a schedule derives it from the
    /// occurrence, so a start repeated after a crash is the same start) and runs its first
    /// step, unless that start was received before and is applied or being applied. Within
    /// `slack_patience` of `asked_at` (a schedule's occurrence, or when the start was asked
    /// for), a first step Slack cannot serve now is put off (an error that
    /// [`waits_for_slack`](OrchestratorError::waits_for_slack)): the start stays pending and
    /// is applied again after its lease, as any event.
    pub(crate) async fn start_with_id(
        &self,
        start: FlowStart,
        id: Uuid,
        asked_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Uuid, OrchestratorError> {
        if !self.inner.by_name.contains_key(&start.flow) {
            return Err(OrchestratorError::NotRegistered(start.flow));
        }
        if let Some(work) = self.receive_start(start, id, asked_at).await? {
            self.apply_boxed(work).await?;
        }
        Ok(id)
    }

    /// Stores the start of flow `id` as a received event, leased to the caller: the work
    /// that applies it, or `None` if it was received before and is settled or held by
    /// another worker.
    async fn receive_start(
        &self,
        start: FlowStart,
        id: Uuid,
        asked_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Work>, OrchestratorError> {
        let incoming = Incoming::started(start, id);
        let key = incoming.dedup_key().expect("a start is keyed by its flow id");
        let now = self.now();
        let received = Received {
            key,
            at: now,
            incoming: Arc::new(incoming),
        };
        let lease = later(now, self.inner.settings.event_lease);
        let receipt = self.inner.store.receive(&received, lease).await?;
        let Some(work) = Work::on_receipt(received, receipt) else {
            return Ok(None);
        };
        Ok(Some(Work {
            arrived: Some(asked_at),
            ..work
        }))
    }

    /// Receives the starts a run asked for, before the run's result is written: each
    /// under an id derived from the flow and the version it is written as.
    pub(crate) async fn receive_starts(&self, prepared: &mut Prepared) -> Result<Vec<Work>, OrchestratorError> {
        let (by, version) = prepared.written_as();
        let mut works = Vec::new();
        // No clock read unless a start was asked for: this runs on every event's commit.
        for (n, start) in std::mem::take(&mut prepared.starts).into_iter().enumerate() {
            let id = FlowStart::id_for(by, version, n);
            works.extend(self.receive_start(start, id, self.now()).await?);
        }
        Ok(works)
    }

    /// Applies received starts (and signals, `signals.rs`) now that the run that asked for
    /// them is written, each in its own task (another conversation's lock must not be taken
    /// while holding this one's). One that fails stays pending, for recovery.
    pub(crate) fn apply_starts(&self, by: Uuid, starts: Vec<Work>) {
        for work in starts {
            let orchestrator = self.clone();
            tokio::spawn(async move {
                let flow_id = work.incoming.flow_id;
                match orchestrator.apply_boxed(work).await {
                    Ok(outcome) => {
                        tracing::info!(%by, ?flow_id, ?outcome, "applied a start or a signal a step asked for")
                    }
                    Err(error) if error.waits_for_slack() => {
                        tracing::warn!(%by, ?flow_id, %error, "a start or signal waits for Slack; it stays pending")
                    }
                    Err(error) => {
                        tracing::error!(%by, ?flow_id, %error, "could not apply a start or signal; it stays pending")
                    }
                }
            });
        }
    }

    /// The starts (and signals) of a run whose write lost its compare-and-swap (the run is
    /// decided again from the stored record). If another write took the version the run
    /// was to be written as, no run will ask for these again: they are settled, never
    /// applied. Otherwise their leases are let go, so that the run decided again, asking
    /// for the same ones, applies them at once.
    pub(crate) async fn withdraw_starts(&self, (by, version): (Uuid, u64), starts: Vec<Work>) {
        if starts.is_empty() {
            return;
        }
        let store = &self.inner.store;
        let taken = match store.load_shared(by).await {
            Ok(stored) => stored.is_some_and(|stored| stored.version >= version),
            Err(error) => {
                // Left as they are: applied when their leases end.
                return tracing::warn!(%by, %error, "cannot tell whether a run's starts still stand");
            }
        };
        let now = self.now();
        for key in starts.iter().filter_map(|work| work.key.as_deref()) {
            let withdrawn = match taken {
                true => store.settle(key).await,
                false => store.renew_lease(key, now, now).await.map(drop),
            };
            if let Err(error) = withdrawn {
                tracing::warn!(%by, event = key, %error, "cannot withdraw a start; it is applied when its lease ends");
            }
        }
    }

    /// Saves the flow a start event asks for (its conversation locked by the caller) and
    /// runs its first step, whose result settles the start. A conversation with no user (a
    /// channel) is open to anyone in it. A start that cannot be made (the conversation has
    /// another active flow, or the flow is not registered) is settled, not tried again.
    pub(crate) async fn open_started(
        &self,
        work: &Work,
        flow: &str,
        step: &serde_json::Value,
    ) -> Result<Outcome, OrchestratorError> {
        let incoming = &work.incoming;
        let id = incoming.flow_id.expect("a start names its flow");
        let made = self.new_started(work, flow, StoredStep::from(step.clone())).await;
        let (definition, record) = match made {
            Ok(made) => made,
            Err(error @ (OrchestratorError::ConversationBusy { .. } | OrchestratorError::NotRegistered(_))) => {
                if let Some(key) = &work.key {
                    self.inner.store.settle(key).await?;
                }
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        tracing::debug!(flow_id = %id, flow, "a flow started from code");
        self.run(definition, Box::new(record), work, First::Start).await
    }

    /// The record of a started flow, inserted.
    async fn new_started(
        &self,
        work: &Work,
        flow: &str,
        step: StoredStep,
    ) -> Result<(Arc<orchestrator_core::FlowDefinition>, FlowRecord), OrchestratorError> {
        let inner = &self.inner;
        let definition = inner
            .by_name
            .get(flow)
            .cloned()
            .ok_or_else(|| OrchestratorError::NotRegistered(flow.to_owned()))?;
        let info = definition
            .step_info(&step)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut record = inner.steps.new_record(&definition, &work.incoming);
        record.id = work.incoming.flow_id.expect("a start names its flow");
        record.step = step;
        record.step_name = info.name.to_owned();
        if record.context.user_id.is_empty() {
            record.participants = vec![FlowRecord::ANYONE.to_owned()];
        }
        // The store holds one active flow per conversation: a refused insert names it.
        match inner.writer.commit(record, 0, None).await {
            Ok(record) => Ok((definition, Arc::unwrap_or_clone(record))),
            Err(StoreError::Conflict(reason)) => {
                let conversation = &work.conversation;
                Err(match inner.store.active_for(conversation).await? {
                    Some(active) if active.id != work.incoming.flow_id.unwrap_or_default() => {
                        OrchestratorError::ConversationBusy {
                            conversation: conversation.clone(),
                            active: active.id,
                        }
                    }
                    _ => StoreError::Conflict(reason).into(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }
}
