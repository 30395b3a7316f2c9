//! [`Orchestrator`]: the in-process heart, and the first half of an event's path. An event
//! is *accepted* (not user input or the bot's own message: ignored; otherwise stored as
//! received, and a repeat of a settled one is a duplicate) and then *applied*: routed to
//! its conversation, run under the conversation's lock against the stored record (or a new
//! flow, saved before its first step runs), and committed with one compare-and-swap that
//! also settles the event. A lost compare-and-swap reloads and decides again.
//!
//! It owns the parts below it and uses them one way: the step runner (`execute`) returns
//! a run, the writer (`commit`) saves it. The drivers above it (`timers`, `schedules`,
//! `recovery`) call into it; it calls none of them. Parts of its own work are in files
//! beside it: `routing` (a flow-less event's conversation), `ordering` (waiting for a
//! conversation's older events), `notices` (what a user is told), `starts`, `deadline`.

use crate::engine::clock::Clock;
use crate::engine::commit::Writer;
use crate::engine::execute::{Attempt, End, First, StepRunner, Stepped};
use crate::engine::lease::{holding, Held};
use crate::engine::locks::KeyLocks;
use crate::engine::options::OptionsHandlers;
use crate::engine::outcome::{Cancelled, Ignored, NotReady, OrchestratorError, Outcome};
use crate::engine::places::Places;
use crate::engine::scheduled::Scheduled;
use crate::engine::settings::Settings;
use crate::engine::wake::Wake;
use crate::engine::work::{Accepted, Work};
use crate::telemetry::{Meters, StoreOp};
use futures_util::future::BoxFuture;
use orchestrator_core::{
    ConversationKey, FlowDefinition, FlowRecord, FlowState, Incoming, MessageType, Payload, Received, SlackApi, Store,
    StoreError,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Whether the user spoke to the bot (a DM, a mention, a slash command), as opposed to
/// talking in a channel where a flow of theirs happens to run: only then does an event the
/// step does not take get a notice.
fn addressed_to_bot(incoming: &Incoming) -> bool {
    matches!(incoming.payload, Payload::Command(_))
        || incoming.has(MessageType::Direct)
        || incoming.has(MessageType::Mention)
}

/// The flow a start from code names, and its first step (runtime/engine/starts.rs).
fn started(incoming: &Incoming) -> Option<(&str, &Value)> {
    match &incoming.payload {
        Payload::Started { flow, step } => Some((flow.as_str(), step)),
        _ => None,
    }
}

/// Routes Slack events to flows and runs them. Cheap to clone (an `Arc` inside).
///
/// ```
/// use orchestrator_runtime::{Orchestrator, RecordingSlack};
/// let slack = RecordingSlack::new();
/// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
/// assert!(orchestrator.flows().next().is_none());
/// ```
#[derive(Clone)]
pub struct Orchestrator {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) flows: Vec<Arc<FlowDefinition>>,
    pub(crate) by_name: HashMap<String, Arc<FlowDefinition>>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) slack: Arc<dyn SlackApi>,
    pub(crate) clock: Clock,
    pub(crate) locks: KeyLocks,
    /// The bot's user id and its mention markup (`<@U…>`), built once.
    pub(crate) bot_user: Option<(String, String)>,
    pub(crate) settings: Settings,
    /// Runs steps.
    pub(crate) steps: StepRunner,
    /// Writes records.
    pub(crate) writer: Writer,
    /// The metric handles.
    pub(crate) meters: Arc<Meters>,
    /// The timer engine's wake-up, rung by the writer.
    pub(crate) wake: Arc<Wake>,
    /// Set once the schedules' records are written (before the timers' first pass).
    pub(crate) schedules_installed: tokio::sync::OnceCell<()>,
    /// The application state steps reach with `Cx::state`.
    pub(crate) state: Arc<orchestrator_core::AppState>,
    /// When this orchestrator was built: a deadline before it may have been fired by a
    /// process that died before saving.
    pub(crate) started_at: chrono::DateTime<chrono::Utc>,
    /// The registered schedules, by the key of their record.
    pub(crate) schedules: HashMap<ConversationKey, Scheduled>,
    /// The workspace the bot runs in (for conversations it starts on its own).
    pub(crate) team: String,
    /// The external selects' options handlers.
    pub(crate) options: OptionsHandlers,
    /// Where Slack said the bot's messages are (for reactions).
    pub(crate) places: Places,
}

impl Orchestrator {
    /// The registered flows, in registration order.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// assert_eq!(orchestrator.flows().count(), 0, "none registered");
    /// ```
    pub fn flows(&self) -> impl Iterator<Item = &FlowDefinition> {
        self.inner.flows.iter().map(|f| &**f)
    }

    /// The store.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let active = orchestrator.store().list(true, 100).await.unwrap(); // what `flows list` shows
    /// assert!(active.is_empty());
    /// # }
    /// ```
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The metric handles, for the transports' ack latency.
    pub(crate) fn meters(&self) -> &Meters {
        &self.inner.meters
    }

    /// The current time, as flows see it.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use orchestrator_runtime::Clock;
    /// let then: chrono::DateTime<chrono::Utc> = "2026-12-24T18:00:00Z".parse().unwrap();
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).clock(Clock::at(then)).build().unwrap();
    /// assert!(orchestrator.now() >= then);
    /// ```
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// The options an external select shows for what the user typed: those of the
    /// handler registered for its `action_id` ([`OrchestratorBuilder::options`]), or none.
    /// The transports answer Slack's `block_suggestion` with them.
    ///
    /// [`OrchestratorBuilder::options`]: crate::OrchestratorBuilder::options
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use orchestrator_core::{SelectOption, Suggestion};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let orchestrator = Orchestrator::builder()
    ///     .options("city", |asked: Suggestion| async move {
    ///         let cities = ["Lyon", "Lille", "Paris"];
    ///         cities.iter().filter(|c| c.starts_with(&asked.value)).map(|c| SelectOption::new(*c, *c)).collect()
    ///     })
    ///     .slack(RecordingSlack::new())
    ///     .build()
    ///     .unwrap();
    /// let typed = br#"{"type": "block_suggestion", "user": {"id": "U1"}, "team": {"id": "T1"},
    ///     "action_id": "city", "block_id": "b", "value": "L"}"#;
    /// let Ok(orchestrator_core::SlackJson::Suggest(asked)) = orchestrator_core::SlackJson::from_slice(typed) else { panic!() };
    /// let offered: Vec<String> = orchestrator.options(*asked).await.into_iter().map(|o| o.value).collect();
    /// assert_eq!(offered, ["Lyon", "Lille"]);
    /// # }
    /// ```
    pub async fn options(&self, asked: orchestrator_core::Suggestion) -> Vec<orchestrator_core::SelectOption> {
        crate::engine::options::options_for(&self.inner.options, asked).await
    }

    /// Handles a Slack JSON body: an Events API callback or an interactivity payload.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use orchestrator_runtime::{Ignored, Outcome};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let pin = serde_json::json!({"type": "event_callback", "team_id": "T1", "event": {"type": "pin_added"}});
    /// assert_eq!(orchestrator.handle_json(&pin).await.unwrap(), Outcome::Ignored(Ignored::Unsupported));
    /// # }
    /// ```
    pub async fn handle_json(&self, body: &Value) -> Result<Outcome, OrchestratorError> {
        match Incoming::from_json(body)? {
            Some(incoming) => self.handle(incoming).await,
            None => Ok(Outcome::Ignored(Ignored::Unsupported)),
        }
    }

    /// Handles one normalized event: the whole path from dedup to the committed transition.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use orchestrator_core::Incoming;
    /// use orchestrator_runtime::Outcome;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let form = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fnothing&text=&trigger_id=1.2";
    /// let outcome = orchestrator.handle(Incoming::from_slash_command(form).unwrap()).await.unwrap();
    /// assert_eq!(outcome, Outcome::NoFlow);
    /// # }
    /// ```
    pub async fn handle(&self, incoming: Incoming) -> Result<Outcome, OrchestratorError> {
        match self.accept(Arc::new(incoming)).await? {
            Accepted::Done(outcome) => Ok(outcome),
            Accepted::Work(work) => self.apply_boxed(*work).await,
        }
    }

    /// Takes responsibility for an event: when this returns `Work`, the event is stored as
    /// received (durably, with a durable store), so an ingress may ack it to Slack.
    /// (Shared from the transport on: an `async fn` keeps its arguments for as long as it
    /// runs, and an event handed down by value would be kept once per level.)
    pub(crate) async fn accept(&self, incoming: Arc<Incoming>) -> Result<Accepted, OrchestratorError> {
        if let Some(reason) = self.ignore_reason(&incoming) {
            return Ok(Accepted::Done(Outcome::Ignored(reason)));
        }
        let Some(key) = incoming.dedup_key() else {
            return Ok(Accepted::Work(Box::new(Work::new(incoming, None))));
        };
        let now = self.inner.clock.now();
        let received = Received { key, at: now, incoming };
        let lease = crate::engine::clock::later(now, self.inner.settings.event_lease);
        let started = std::time::Instant::now();
        let receipt = self.inner.store.receive(&received, lease).await?;
        self.inner.meters.store_op(StoreOp::Receive, started);
        Ok(match Work::on_receipt(received, receipt) {
            Some(work) => Accepted::Work(Box::new(work)),
            None => Accepted::Done(Outcome::Duplicate),
        })
    }

    /// Applies an accepted event. A lost compare-and-swap (another worker or process wrote
    /// the conversation first) reloads and decides again, up to `max_attempts` times; an
    /// event that changed no record is settled on its own.
    pub(crate) async fn apply(&self, work: Work) -> Result<Outcome, OrchestratorError> {
        use tracing::Instrument;
        let context = &work.incoming.context;
        let span = tracing::info_span!(
            "event",
            key = work.key.as_deref().unwrap_or("-"),
            user = %context.user_id,
            channel = %context.channel_id,
        );
        let applying = std::pin::pin!(self.apply_in_span(&work).instrument(span));
        match &work.key {
            // Kept for as long as it is applied, however slow its step.
            Some(key) => {
                let inner = &self.inner;
                let held = Held::Event(key);
                holding(&*inner.store, &inner.clock, held, inner.settings.event_lease, applying).await
            }
            None => applying.await,
        }
    }

    /// [`Orchestrator::apply`] on the heap: for a task that applies an event (the task then
    /// moves a pointer, not the whole state of a run, which is several kilobytes), and where
    /// an event's apply applies an earlier one (a recursion).
    pub(crate) fn apply_boxed(&self, work: Work) -> BoxFuture<'_, Result<Outcome, OrchestratorError>> {
        Box::pin(self.apply(work))
    }

    async fn apply_in_span(&self, work: &Work) -> Result<Outcome, OrchestratorError> {
        self.after_earlier_events(work).await?;
        let mut attempt = 1;
        let outcome = loop {
            match self.apply_once(work).await {
                Err(OrchestratorError::Store(StoreError::Conflict(reason)))
                    if attempt < self.inner.settings.max_attempts =>
                {
                    tracing::debug!(%reason, attempt, "lost a compare-and-swap; deciding again");
                    attempt += 1;
                }
                other => break other?,
            }
        };
        if let (Some(key), false) = (&work.key, outcome.committed()) {
            self.inner.store.settle(key).await?;
        }
        Ok(outcome)
    }

    /// Per-conversation order across workers and replicas: while an older event of the same
    /// conversation is received and not applied, this one waits; if that event's worker
    /// died (its lease ended), this worker takes it over and applies it first, as a replay.
    /// A user answers what the bot posted, so an answer must never overtake the event whose
    /// step posted the question.
    async fn after_earlier_events(&self, work: &Work) -> Result<(), OrchestratorError> {
        match (&work.key, work.earliest) {
            (Some(key), false) => self.after_events(&work.conversation, Some(key), None).await,
            _ => Ok(()),
        }
    }

    async fn apply_once(&self, work: &Work) -> Result<Outcome, OrchestratorError> {
        let incoming = &work.incoming;
        let key = match incoming.flow_id {
            // Read for its conversation only: no copy of the record.
            Some(id) => match self.inner.store.load_shared(id).await? {
                Some(record) if record.is_active() => record.key.clone(),
                None if started(incoming).is_some() => work.conversation.clone(),
                _ => return Ok(self.ended(id, incoming).await),
            },
            None => self.conversation_of(work).await?,
        };
        self.apply_at(work, &key, false).await
    }

    /// Applies `work` to the flow of conversation `key`, under that conversation's lock (or
    /// starts one). `redirected`: `key` is the conversation of a flow that asked in the DM
    /// the event was said in ([`Orchestrator::dm_asker`]), found without the lock.
    async fn apply_at(
        &self,
        work: &Work,
        key: &ConversationKey,
        redirected: bool,
    ) -> Result<Outcome, OrchestratorError> {
        let inner = &self.inner;
        let incoming = &work.incoming;
        let start = started(incoming);
        let turn = inner.locks.lock(key.as_str()).await;
        match (self.load_current(incoming, key).await?.map(Box::new), start) {
            (Some(record), _) if work.key.as_deref().is_some_and(|k| record.has_applied(k)) => Ok(Outcome::Duplicate),
            // A start whose first step ran already (a user's event ran it).
            (Some(record), Some(_)) if record.state != FlowState::Initiated => Ok(Outcome::Duplicate),
            (Some(record), _) if record.is_active() => {
                let arrived = work.arrived.unwrap_or_else(|| inner.clock.now());
                if record.deadline.is_some_and(|deadline| deadline <= arrived) {
                    // The deadline passed before the event arrived: the timeout goes first.
                    drop(turn);
                    Box::pin(self.deadline_first(&record, arrived)).await?;
                    let fired = format!(
                        "flow {} passed its deadline before the event; deciding again",
                        record.id
                    );
                    return Err(StoreError::Conflict(fired).into());
                }
                self.continue_flow(record, work).await
            }
            (Some(record), _) => Ok(self.ended(record.id, incoming).await),
            // Boxed, as the other rare paths: see `the_state_of_an_event_being_applied_stays_small`.
            (None, Some((flow, step))) => Box::pin(self.open_started(work, flow, step)).await,
            (None, None) if redirected => {
                let ended = format!("the flow of {key} ended before the answer in its DM was applied; deciding again");
                Err(StoreError::Conflict(ended).into())
            }
            (None, None) => match Box::pin(self.dm_asker(work)).await? {
                Some(asker) => {
                    drop(turn);
                    Box::pin(self.apply_at(work, &asker, true)).await
                }
                None => self.start_flow(work).await,
            },
        }
    }

    /// Cancels an active flow: it goes to ERROR with `reason`, and with a `notice` the user
    /// is then told it, where the flow talks to them (only once the cancel is written, so a
    /// user is never told of a cancel that did not happen). A flow written meanwhile, by
    /// this process or another on the store, is loaded again and cancelled (up to
    /// `max_attempts` tries, as an event's step). An unknown flow is an error.
    ///
    /// ```
    /// use orchestrator_runtime::{Cancelled, Orchestrator};
    /// # async fn demo(orchestrator: Orchestrator, id: uuid::Uuid) -> Result<(), Box<dyn std::error::Error>> {
    /// let notice = Some("Sorry, we ended this request; ask again any time.");
    /// if let Cancelled::Now { told: Some(Err(error)) } = orchestrator.cancel(id, "stuck", notice).await? {
    ///     eprintln!("cancelled, but the user was not told: {error}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cancel(
        &self,
        flow_id: Uuid,
        reason: &str,
        notice: Option<&str>,
    ) -> Result<Cancelled, OrchestratorError> {
        let inner = &self.inner;
        let Some(found) = inner.store.load_shared(flow_id).await? else {
            return Err(StoreError::NotFound(flow_id).into());
        };
        let _turn = inner.locks.lock(found.key.as_str()).await;
        let mut attempt = 1;
        let record = loop {
            let Some(record) = inner.store.load(flow_id).await? else {
                return Ok(Cancelled::AlreadyEnded);
            };
            if !record.is_active() {
                return Ok(Cancelled::AlreadyEnded);
            }
            // Kept to tell the user (a workflow step's flow has none: its end fails the step).
            let step = record.context.function_execution_id().is_some();
            let kept = notice.filter(|_| !step).map(|_| record.clone());
            match self
                .fail_record(record, format!("cancelled: {reason}"), None, false)
                .await
            {
                Err(OrchestratorError::Store(StoreError::Conflict(why))) if attempt < inner.settings.max_attempts => {
                    tracing::debug!(%flow_id, %why, attempt, "a cancel lost a compare-and-swap; loading the flow again");
                    attempt += 1;
                }
                done => {
                    done?;
                    break kept;
                }
            }
        };
        let told = match (record, notice) {
            (Some(record), Some(notice)) => {
                let mut cx = inner.steps.context(record, None);
                let said = cx.say(notice).await.map(drop);
                if let Err(error) = &said {
                    tracing::warn!(%flow_id, %error, "cancelled, but could not tell the user");
                }
                Some(said)
            }
            _ => None,
        };
        Ok(Cancelled::Now { told })
    }

    fn ignore_reason(&self, incoming: &Incoming) -> Option<Ignored> {
        if !incoming.is_user_input() {
            return Some(Ignored::NotInput);
        }
        let (bot, mention) = self.inner.bot_user.as_ref()?;
        if incoming.context.user_id == *bot {
            return Some(Ignored::OwnMessage);
        }
        let mentions_bot = incoming.text().is_some_and(|t| t.contains(mention.as_str()));
        let is_message = matches!(incoming.payload, Payload::Message { .. });
        (is_message && mentions_bot && !incoming.has(MessageType::Mention) && !incoming.has(MessageType::Direct))
            .then_some(Ignored::MentionTwin)
    }

    async fn load_current(&self, incoming: &Incoming, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        let started = std::time::Instant::now();
        let loaded = match incoming.flow_id {
            Some(id) => self.inner.store.load(id).await,
            None => self.inner.store.active_for(key).await,
        };
        self.inner.meters.store_op(StoreOp::Load, started);
        loaded
    }

    /// Whether the bot can serve (`GET /readyz`): the store answers, and the bot knows its
    /// Slack identity (from `auth.test` at start). The reason when it cannot.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = Orchestrator::builder().slack(RecordingSlack::new()).bot_user("U0BOT").build().unwrap();
    /// assert!(bot.readiness().await.is_ok(), "the memory store answers and the bot knows who it is");
    /// # }
    /// ```
    pub async fn readiness(&self) -> Result<(), NotReady> {
        if self.inner.bot_user.is_none() {
            return Err(NotReady::IdentityUnknown);
        }
        self.inner
            .store
            .next_deadline()
            .await
            .map(|_| ())
            .map_err(NotReady::Store)
    }

    async fn continue_flow(&self, record: Box<FlowRecord>, work: &Work) -> Result<Outcome, OrchestratorError> {
        let incoming = &work.incoming;
        // Only a user's input is checked against who may answer: a signal or a start comes
        // from the bot's side.
        if incoming.is_user_input() && !record.is_participant(&incoming.context.user_id) {
            if incoming.has(MessageType::Interactive) {
                self.notify_user(incoming, &self.inner.settings.not_participant_notice)
                    .await;
            }
            return Ok(Outcome::NotParticipant { flow_id: record.id });
        }
        let Some(definition) = self.inner.by_name.get(&record.flow).cloned() else {
            let reason = format!("flow `{}` is not registered in this bot", record.flow);
            return self.fail_record(*record, reason, work.key.as_deref(), true).await;
        };
        if let Payload::ViewClosed { .. } = incoming.payload {
            tracing::info!(flow_id = %record.id, "the user closed the flow's modal");
            return self
                .end_record(*record, "the user closed the modal".into(), work.key.as_deref(), None)
                .await;
        }
        if self.is_cancel_word(incoming, &definition.options().cancel_words) {
            let notice = self.inner.settings.cancelled_notice.clone();
            tracing::info!(flow_id = %record.id, "cancelled by the user");
            return self
                .end_record(
                    *record,
                    "cancelled by the user".into(),
                    work.key.as_deref(),
                    Some(&notice),
                )
                .await;
        }
        // A flow saved before its first step ran (the step was cut short) starts now.
        let first = match record.state {
            orchestrator_core::FlowState::Initiated => First::Start,
            _ => First::Input,
        };
        let outcome = self.run(Arc::clone(&definition), record, work, first).await?;
        if let Outcome::Unhandled { .. } = outcome {
            let settings = &self.inner.settings;
            let flow_words = &definition.options().cancel_words;
            let notice = match &incoming.payload {
                // A shortcut used again while the flow waits for an answer: say so.
                Payload::Shortcut(_) => Some(self.unexpected_notice(flow_words)),
                // A button or menu of an earlier step: the flow has moved on.
                _ if incoming.has(MessageType::Interactive) => Some(settings.stale_notice.clone()),
                // Typing while buttons or a modal are expected, a second command: say so.
                _ if addressed_to_bot(incoming) => Some(self.unexpected_notice(flow_words)),
                _ => None,
            };
            if let Some(notice) = notice {
                self.notify_user(incoming, &notice).await;
            }
        }
        Ok(outcome)
    }

    /// Starts the flow whose trigger matches: the conversation is saved (INITIATED) before
    /// its first step runs, so the conversation's next events find it and wait their turn.
    async fn start_flow(&self, work: &Work) -> Result<Outcome, OrchestratorError> {
        let Some(definition) = self
            .inner
            .flows
            .iter()
            .find(|f| f.options().triggers.iter().any(|t| t.matches(&work.incoming)))
            .cloned()
        else {
            return Ok(Outcome::NoFlow);
        };
        let record = self.inner.steps.new_record(&definition, &work.incoming);
        let record = self.inner.writer.commit(record, 0, None).await?;
        self.run(definition, Box::new(Arc::unwrap_or_clone(record)), work, First::Start)
            .await
    }

    /// Runs the flow for one event and commits the result; then starts the flows its steps
    /// asked for. (The record comes boxed, as [`StepRunner::step`] takes it.)
    pub(crate) async fn run(
        &self,
        definition: Arc<FlowDefinition>,
        record: Box<FlowRecord>,
        work: &Work,
        first: First,
    ) -> Result<Outcome, OrchestratorError> {
        let inner = &self.inner;
        let attempt = Attempt {
            replay: work.replay,
            retry_until: work.arrived.and_then(|at| self.patience_ends(at)),
        };
        let stepped = inner
            .steps
            .step(&definition, record, &work.incoming, first, attempt)
            .await;
        if let End::Unhandled = stepped.run.end {
            return Ok(Outcome::Unhandled {
                flow_id: stepped.cx.flow_id(),
            });
        }
        self.finish(&definition, stepped, work.key.as_deref()).await
    }

    /// Commits a run through the writer, settling `event`; the flows its steps asked to
    /// start, and the signals they asked to send, are received before that write and
    /// applied after it.
    pub(crate) async fn finish(
        &self,
        definition: &FlowDefinition,
        stepped: Stepped,
        event: Option<&str>,
    ) -> Result<Outcome, OrchestratorError> {
        let mut prepared = self.inner.writer.prepare(definition, stepped).await?;
        let written_as = prepared.written_as();
        let mut starts = self.receive_starts(&mut prepared).await?;
        starts.extend(self.receive_signals(&mut prepared).await?);
        match self.inner.writer.write(prepared, event).await {
            Ok(outcome) => {
                self.apply_starts(written_as.0, starts);
                Ok(outcome)
            }
            Err(lost @ StoreError::Conflict(_)) => {
                self.withdraw_starts(written_as, starts).await;
                Err(lost.into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Ends a flow in ERROR without running a step (its flow is gone, or it was cancelled);
    /// with `apologize`, the user is told. Boxed, as [`Orchestrator::end_record`].
    pub(crate) fn fail_record<'a>(
        &'a self,
        record: FlowRecord,
        reason: String,
        event: Option<&'a str>,
        apologize: bool,
    ) -> BoxFuture<'a, Result<Outcome, OrchestratorError>> {
        tracing::error!(flow_id = %record.id, flow = %record.flow, %reason, "flow moved to ERROR");
        let apology = apologize.then(|| self.inner.settings.error_message.clone());
        Box::pin(async move { self.end_record(record, reason, event, apology.as_deref()).await })
    }

    /// Ends a flow in ERROR with `reason` without running a step, saying `message` first.
    /// Boxed: a rare path, whose state (a step context, a message) the future of every
    /// event that may take it would otherwise carry.
    pub(crate) fn end_record<'a>(
        &'a self,
        record: FlowRecord,
        reason: String,
        event: Option<&'a str>,
        message: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Outcome, OrchestratorError>> {
        let cx = self.inner.steps.context(record, None);
        Box::pin(self.inner.writer.end(cx, reason, event, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingSlack;
    use orchestrator_core::MessageContext;

    /// Each event being applied keeps this state for as long as its step runs (a task's
    /// future, copied into its box when the task starts), so it is kept small: records
    /// and step contexts go down the run behind pointers, rare paths are boxed.
    #[test]
    fn the_state_of_an_event_being_applied_stays_small() {
        let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
        let incoming = Incoming::timeout(MessageContext::new("T1", "U1", "D1"), chrono::Utc::now());
        let applying = orchestrator.apply(Work::new(incoming, None));
        let size = std::mem::size_of_val(&applying);
        assert!(
            size <= 4096,
            "applying an event takes {size} bytes; keep big values behind pointers"
        );
    }
}
