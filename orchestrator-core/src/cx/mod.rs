//! [`Cx`], the step context: what a step knows (the conversation, the event, the flow's
//! metadata) and what it can do (send messages, buttons, modals; change metadata and
//! participants). Everything it changes is saved with the step's transition, atomically.
//!
//! This file has what a step knows and changes; what it does with Slack is in files of
//! their own: `messages` (posts, tagged so a replay finds them; updates, ephemeral
//! messages, `response_url` replies), `modals`, `workflows` (a custom step's run, an
//! assistant thread), `calls` (any other Web API call, and how a call Slack cannot make
//! now puts the run off), `files` (uploads).

use crate::app_state::{AppState, MissingState};
use crate::context::MessageContext;
use crate::flow::Flow;
use crate::incoming::Incoming;
use crate::record::FlowRecord;
use crate::signal::Signal;
use crate::slack::{SlackApi, SlackError};
use crate::stored_step::StoredStep;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

mod calls;
mod files;
mod messages;
mod modals;
mod workflows;

pub use files::FileUpload;
pub use modals::ModalAnswer;

/// The step context, handed to every step handler as `cx: &mut Cx`.
///
/// ```
/// use orchestrator_core::{Cx, FlowRecord, MessageContext};
/// # use orchestrator_core::{SlackApi, SlackRequest, SlackReply, SlackError};
/// # struct Silent;
/// # #[async_trait::async_trait]
/// # impl SlackApi for Silent {
/// #     async fn call(&self, _: SlackRequest) -> Result<SlackReply, SlackError> { Ok(SlackReply::Ok) }
/// # }
/// let now = chrono::Utc::now();
/// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
/// let mut cx = Cx::new(record, std::sync::Arc::new(Silent), None, now);
/// cx.set("answer", 42);
/// assert_eq!(cx.get::<u32>("answer"), Some(42));
/// ```
pub struct Cx {
    record: FlowRecord,
    api: Arc<dyn SlackApi>,
    incoming: Option<Arc<Incoming>>,
    now: DateTime<Utc>,
    /// Posts made so far in this run (numbers the [`PostTag`]s).
    posts: u32,
    /// Whether this run may repeat one cut short by a crash (see [`Cx::set_replay`]).
    replay: bool,
    /// Whether a post Slack cannot make now makes the run wait for a later try instead of
    /// failing the step (see [`Cx::set_retry_later`]).
    retry_later: bool,
    /// Why this run must not be saved, if it must not (see [`Cx::replay_unsure`]).
    unsure: Option<SlackError>,
    /// The bot's shared application state.
    state: Arc<AppState>,
    /// Flows this step asked to start once its result is saved.
    starts: Vec<FlowStart>,
    /// Signals this step asked to send to other flows once its result is saved.
    signals: Vec<(Uuid, Signal)>,
    /// What the submitted modal does next (`response_action`), sent back in the ack.
    modal_answer: Option<Value>,
    /// The messages with interactive elements this run posted or updated (their `ts`).
    asked: Vec<String>,
}

/// A flow a step asked to start ([`Cx::start_flow`]): which one, where, at which step.
///
/// ```
/// # use orchestrator_core::*;
/// # #[derive(serde::Serialize, serde::Deserialize)] enum Ask { Name, Done }
/// # impl Flow for Ask {
/// #   fn options() -> FlowOptions { FlowOptions::new("ask") }
/// #   fn start() -> Self { Ask::Name }
/// #   fn step_name(&self) -> &'static str { match self { Ask::Name => "Name", Ask::Done => "Done" } }
/// #   fn step_timeout(&self) -> Option<std::time::Duration> { matches!(self, Ask::Name).then_some(std::time::Duration::from_secs(60)) }
/// #   fn is_terminal(&self) -> bool { matches!(self, Ask::Done) }
/// #   fn on_enter(self, _: &mut Cx) -> Option<StepFuture<'_, Self>> { None }
/// #   fn on_input<'a>(self, _: &'a mut Cx, _: &Incoming) -> Option<StepFuture<'a, Self>> { None }
/// #   fn graph() -> Graph { Graph::new("ask", "Name") }
/// # }
/// # struct Silent;
/// # #[async_trait::async_trait]
/// # impl SlackApi for Silent {
/// #     async fn call(&self, _: SlackRequest) -> Result<SlackReply, SlackError> { Ok(SlackReply::Ok) }
/// # }
/// let now = chrono::Utc::now();
/// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
/// let mut cx = Cx::new(record, std::sync::Arc::new(Silent), None, now);
/// // A step asks for a flow in the approver's DM; the engine starts it once the step is saved.
/// cx.start_flow(MessageContext::new("T1", "U2", "D2"), Ask::Name).unwrap();
/// let start = cx.take_starts().remove(0);
/// assert_eq!((start.flow.as_str(), start.context.conversation_key().as_str()), ("ask", "T1/D2"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FlowStart {
    /// The flow's name.
    pub flow: String,
    /// Where it runs (its conversation is `context.conversation_key()`).
    pub context: MessageContext,
    /// The step it starts at, serialized.
    pub step: StoredStep,
}

impl FlowStart {
    /// The id of the `n`th flow (from 0) a run of flow `by` asked to start, in the run
    /// written as version `version` of `by`: the same whenever that run is applied again
    /// (after a crash), so it starts each flow once.
    ///
    /// ```
    /// use orchestrator_core::FlowStart;
    /// let by = uuid::Uuid::new_v4();
    /// assert_eq!(FlowStart::id_for(by, 3, 0), FlowStart::id_for(by, 3, 0));
    /// assert_ne!(FlowStart::id_for(by, 3, 0), FlowStart::id_for(by, 3, 1));
    /// assert_ne!(FlowStart::id_for(by, 3, 0), FlowStart::id_for(by, 4, 0), "another run");
    /// ```
    pub fn id_for(by: Uuid, version: u64, n: usize) -> Uuid {
        Uuid::new_v5(&by, format!("{version}:{n}").as_bytes())
    }
}

impl Cx {
    /// A context for one step run on `record`, triggered by `incoming` (for a timeout, an
    /// [`Incoming::timeout`]; `None` outside any event, e.g. a cancel).
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// use slack_orchestrator::RecordingSlack;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// let slack = RecordingSlack::new();
    /// let mut cx = Cx::new(record, slack.clone(), None, now);
    /// cx.say("Your name?").await.unwrap();
    /// assert_eq!(slack.requests()[0].method(), "chat.postMessage");
    /// assert_eq!(cx.into_record().messages[0].text, "Your name?", "logged on the record");
    /// # }
    /// ```
    pub fn new(record: FlowRecord, api: Arc<dyn SlackApi>, incoming: Option<Incoming>, now: DateTime<Utc>) -> Self {
        Self::sharing(record, api, incoming.map(Arc::new), now)
    }

    /// [`Cx::new`] with the event shared with the caller instead of moved in (the engine
    /// keeps it to decide again after a lost compare-and-swap, and copies nothing).
    ///
    /// ```
    /// # use orchestrator_core::{Cx, FlowRecord, Incoming, MessageContext, SlackApi, SlackError, SlackReply, SlackRequest};
    /// # struct Silent;
    /// # #[async_trait::async_trait]
    /// # impl SlackApi for Silent {
    /// #     async fn call(&self, _: SlackRequest) -> Result<SlackReply, SlackError> { Ok(SlackReply::Ok) }
    /// # }
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
    /// let event = std::sync::Arc::new(Incoming::timeout(MessageContext::new("T1", "U1", "D1"), now));
    /// let cx = Cx::sharing(record, std::sync::Arc::new(Silent), Some(event.clone()), now);
    /// assert!(std::ptr::eq(cx.incoming().unwrap(), &*event));
    /// ```
    pub fn sharing(
        record: FlowRecord,
        api: Arc<dyn SlackApi>,
        incoming: Option<Arc<Incoming>>,
        now: DateTime<Utc>,
    ) -> Self {
        // An event of a workflow's custom step run: its steps call Slack with the run's token.
        let token = incoming.as_ref().and_then(|event| event.workflow_token.as_ref());
        let api = token.and_then(|token| api.with_token(token)).unwrap_or(api);
        Cx {
            record,
            api,
            incoming,
            now,
            posts: 0,
            replay: false,
            retry_later: false,
            unsure: None,
            state: Arc::default(),
            starts: Vec::new(),
            signals: Vec::new(),
            modal_answer: None,
            asked: Vec::new(),
        }
    }

    /// Starts flow `F` at step `first` (with its data) in the conversation `at`, once this
    /// step's result is saved: e.g. an approval in the approver's DM
    /// (`MessageContext::new(team, approver, dm_channel)`), or a check-in for each member of
    /// a team. The start is stored with this step's result (as an event the new flow's
    /// first step settles), so a crash in between does not lose it: the bot restarted, or
    /// another replica, starts the flow. One flow is active per conversation: a start where
    /// another flow is active is refused and logged. Returns the new flow's id (to signal
    /// it later with [`Cx::signal_flow`], say); an error only if the step does not
    /// serialize.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{FlowState, MessageContext};
    /// #[flow]
    /// mod approve {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Approve { #[start] Ask, Decide }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Approve> {
    ///         cx.say("A time-off request waits for you: approve?").await?;
    ///         goto(Approve::Decide)
    ///     }
    ///     #[step(Decide)]
    ///     async fn decide(_cx: &mut Cx, said: Text) -> Next<Approve> { complete(format!("Noted: {said}")) }
    /// }
    /// #[flow(trigger = direct_message)]
    /// mod request {
    ///     use slack_orchestrator::prelude::*;
    ///     use super::approve::Approve;
    ///     pub enum Request { #[start] File }
    ///     #[step(File)]
    ///     async fn file(cx: &mut Cx) -> Next<Request> {
    ///         let manager = MessageContext::new(cx.context().team_id.clone(), "U_BOSS", "DU_BOSS");
    ///         cx.start_flow(manager, Approve::Ask)?; // once this step's result is saved
    ///         complete("Sent to your manager.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<request::Request>().flow::<approve::Approve>());
    /// let (mut chat, mut boss) = (bot.dm("U1"), bot.dm("U_BOSS"));
    /// chat.send("time off next Friday").await;
    /// chat.expect_reply("Sent to your manager.");
    /// // The new flow starts in a task of its own: wait until it asked.
    /// for _ in 0..100 {
    ///     if bot.flows().await.iter().any(|f| f.flow == "approve" && f.state == FlowState::WaitingForResponse) {
    ///         break;
    ///     }
    ///     tokio::task::yield_now().await;
    /// }
    /// boss.expect_reply("A time-off request waits for you: approve?");
    /// boss.send("yes").await;
    /// boss.expect_reply("Noted: yes");
    /// # }
    /// ```
    pub fn start_flow<F: Flow>(&mut self, at: MessageContext, first: F) -> Result<Uuid, serde_json::Error> {
        let start = FlowStart {
            flow: F::options().name,
            context: at,
            step: StoredStep::of(&first)?,
        };
        // The id the engine gives it once this run is written as the record's next version.
        let id = FlowStart::id_for(self.record.id, self.record.version + 1, self.starts.len());
        self.starts.push(start);
        Ok(id)
    }

    /// The flows this step asked to start (the orchestrator takes them after saving).
    ///
    /// ```
    /// # use orchestrator_core::*;
    /// # #[derive(serde::Serialize, serde::Deserialize)] enum Ask { Name }
    /// # impl Flow for Ask {
    /// #   fn options() -> FlowOptions { FlowOptions::new("ask") }
    /// #   fn start() -> Self { Ask::Name }
    /// #   fn step_name(&self) -> &'static str { "Name" }
    /// #   fn on_enter(self, _: &mut Cx) -> Option<StepFuture<'_, Self>> { None }
    /// #   fn on_input<'a>(self, _: &'a mut Cx, _: &Incoming) -> Option<StepFuture<'a, Self>> { None }
    /// #   fn graph() -> Graph { Graph::new("ask", "Name") }
    /// # }
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), None, now);
    /// cx.start_flow(MessageContext::new("T1", "U2", "D2"), Ask::Name).unwrap();
    /// assert_eq!(cx.take_starts().len(), 1);
    /// assert!(cx.take_starts().is_empty(), "taken once");
    /// ```
    pub fn take_starts(&mut self) -> Vec<FlowStart> {
        std::mem::take(&mut self.starts)
    }

    /// Sends flow `flow` a [`Signal`] named `name` with `data`, once this step's result is
    /// saved: a child flow tells the flow that started it how things went (an approval in
    /// the manager's DM, to the request waiting in the requester's). It is received before
    /// the result is written, under an id derived from this flow and the version written,
    /// so a crash between the two loses none and a step run again sends it once. A flow
    /// that has ended by then (or never was) gets nothing.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// #[flow(trigger = direct_message)]
    /// mod approve {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Approve { #[start] Listen, Decide { request: uuid::Uuid } }
    ///     #[step(Listen)]
    ///     async fn listen(_cx: &mut Cx, _said: Text) -> Next<Approve> { stay() }
    ///     #[step(Decide { request })]
    ///     async fn decide(cx: &mut Cx, request: uuid::Uuid, said: Text) -> Next<Approve> {
    ///         cx.signal_flow(request, "decided", serde_json::json!({"approved": said.as_str() == "yes"}))?;
    ///         complete("Thanks, I told them.")
    ///     }
    /// }
    /// # fn main() {}
    /// ```
    pub fn signal_flow(
        &mut self,
        flow: Uuid,
        name: impl Into<String>,
        data: impl Serialize,
    ) -> Result<(), serde_json::Error> {
        let data = serde_json::to_value(data)?;
        self.signals.push((flow, Signal::new(name, data)));
        Ok(())
    }

    /// The signals this step asked to send (the orchestrator takes them after the run, and
    /// gives each its id).
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), None, now);
    /// let parent = uuid::Uuid::new_v4();
    /// cx.signal_flow(parent, "decided", serde_json::json!({"approved": true})).unwrap();
    /// let signals = cx.take_signals();
    /// assert_eq!((signals[0].0, signals[0].1.name.as_str()), (parent, "decided"));
    /// assert!(cx.take_signals().is_empty(), "taken once");
    /// ```
    pub fn take_signals(&mut self) -> Vec<(Uuid, Signal)> {
        std::mem::take(&mut self.signals)
    }

    /// Takes the messages with interactive elements (buttons, menus, inputs) this run posted
    /// or updated (their `ts`): they ask the step's question, and the engine keeps them
    /// with [`FlowRecord::asked`].
    ///
    /// ```
    /// # use orchestrator_core::{Cx, FlowRecord, MessageContext, SlackApi, SlackError, SlackReply, SlackRequest};
    /// /// Answers each post with the next `ts`: 1.1, 1.2…
    /// #[derive(Default)]
    /// struct Slack(std::sync::atomic::AtomicU32);
    /// #[async_trait::async_trait]
    /// impl SlackApi for Slack {
    ///     async fn call(&self, _: SlackRequest) -> Result<SlackReply, SlackError> {
    ///         let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    ///         Ok(SlackReply::Message { channel: "D1".into(), ts: format!("1.{n}") })
    ///     }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use orchestrator_core::blocks::{actions, button, section};
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, std::sync::Arc::new(Slack::default()), None, now);
    /// cx.say("Plain text asks nothing to click.").await.unwrap(); // 1.1
    /// cx.send_interactive_message("Summary", serde_json::json!([section("*Done*")])).await.unwrap(); // 1.2
    /// let buttons = actions("b", vec![button("ok", "OK", "ok")]);
    /// cx.send_interactive_message("Ready?", serde_json::json!([buttons])).await.unwrap(); // 1.3
    /// assert_eq!(cx.take_asked(), ["1.3"]);
    /// # });
    /// ```
    pub fn take_asked(&mut self) -> Vec<String> {
        std::mem::take(&mut self.asked)
    }

    /// Gives this step run the bot's application state (the orchestrator does).
    ///
    /// ```
    /// use orchestrator_core::{AppState, Cx, FlowRecord, MessageContext};
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), now);
    /// let mut state = AppState::default();
    /// state.insert(42_u32);
    /// let cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), None, now).with_state(state.into());
    /// assert_eq!(*cx.state::<u32>().unwrap(), 42);
    /// ```
    pub fn with_state(mut self, state: Arc<AppState>) -> Self {
        self.state = state;
        self
    }

    /// The bot's application state of type `T`, as registered with
    /// `Orchestrator::builder().state(value)`: a database pool, a config, a client.
    /// A type nobody registered is an error that `?` turns into a failed step.
    ///
    /// ```
    /// # use orchestrator_core::{AppState, Cx, FlowRecord, MessageContext, SlackApi, SlackError, SlackReply, SlackRequest};
    /// # struct Silent;
    /// # #[async_trait::async_trait]
    /// # impl SlackApi for Silent {
    /// #     async fn call(&self, _: SlackRequest) -> Result<SlackReply, SlackError> { Ok(SlackReply::Ok) }
    /// # }
    /// # let now = chrono::Utc::now();
    /// # let record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), now);
    /// struct Team { lead: String }
    /// let mut state = AppState::default();
    /// state.insert(Team { lead: "U42".into() });
    /// let cx = Cx::new(record, std::sync::Arc::new(Silent), None, now).with_state(state.into());
    /// assert_eq!(cx.state::<Team>().unwrap().lead, "U42");
    /// assert!(cx.state::<String>().unwrap_err().to_string().contains("no app state of type"));
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<&T, MissingState> {
        self.state.get::<T>()
    }

    /// Marks this run as a possible repeat of one that a crash cut short before its result
    /// was saved (an event replayed after a restart, a timeout whose claim had lapsed).
    /// Each post then first looks in Slack for the message the earlier run tagged with the
    /// same [`PostTag`](crate::PostTag), and posts only if it is not there.
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// use slack_orchestrator::RecordingSlack;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// let slack = RecordingSlack::new();
    /// let mut first = Cx::new(record.clone(), slack.clone(), None, now);
    /// first.say("Your name?").await.unwrap(); // and the process is killed before the result is saved
    /// let mut replay = Cx::new(record, slack.clone(), None, now);
    /// replay.set_replay(true);
    /// replay.say("Your name?").await.unwrap();
    /// assert_eq!(slack.requests().len(), 1, "found in Slack by its tag: not posted twice");
    /// assert!(replay.record().messages[0].ts.is_some(), "logged with the ts of the first post");
    /// # }
    /// ```
    pub fn set_replay(&mut self, replay: bool) {
        self.replay = replay;
    }

    /// Lets a call that Slack cannot make now ([`SlackError::is_temporary`]: a 5xx,
    /// `internal_error`, rate limits past the client's retries, no answer) put the run off
    /// instead of failing the step: the step still gets the error, but the run is not
    /// saved ([`Cx::replay_unsure`]), makes no further call, and is tried again later as a
    /// replay, which finds the posts this run made by their tags. Every call of the
    /// step's counts (a post, an update, a DM opened, a raw Web API call) except opening
    /// or pushing a modal, whose `trigger_id` expires 3 s after the user acted. The engine
    /// turns it on for a user's event for a while after it arrived, and for a timeout for
    /// a while after it fell due (`OrchestratorBuilder::slack_patience`), so a Slack outage
    /// pauses conversations instead of ending them.
    ///
    /// ```
    /// # use orchestrator_core::{Cx, FlowRecord, MessageContext, SlackApi, SlackError, SlackReply, SlackRequest};
    /// struct Down;
    /// #[async_trait::async_trait]
    /// impl SlackApi for Down {
    ///     async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
    ///         Err(SlackError::Api { method: request.method().into(), code: "service_unavailable".into() })
    ///     }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, std::sync::Arc::new(Down), None, now);
    /// cx.set_retry_later(true);
    /// assert!(cx.say("Hello").await.is_err(), "the step still gets the error");
    /// assert!(cx.replay_unsure().is_some(), "but the run is tried again later, not saved");
    /// # });
    /// ```
    pub fn set_retry_later(&mut self, on: bool) {
        self.retry_later = on;
    }

    /// Why this run must not be saved but tried again later, when Slack answers: a post it
    /// could not make now (with [`Cx::set_retry_later`]), or, in a replay, a post it could
    /// not look for (Slack rate-limited the look-up past its retries, did not answer it, or
    /// kept saying it could not answer now: [`SlackError::is_temporary`]). Either way the
    /// post was neither found nor made, and the step got this error. `None` when every
    /// post was found, made, or looked for in vain.
    ///
    /// ```
    /// # use orchestrator_core::{Cx, FlowRecord, MessageContext, SlackApi, SlackError, SlackReply, SlackRequest};
    /// struct Throttled;
    /// #[async_trait::async_trait]
    /// impl SlackApi for Throttled {
    ///     async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
    ///         Err(SlackError::RateLimited { method: request.method().into() })
    ///     }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, std::sync::Arc::new(Throttled), None, now);
    /// cx.set_replay(true);
    /// assert!(cx.say("Hello").await.is_err(), "not posted: the earlier run may have");
    /// assert!(matches!(cx.replay_unsure(), Some(SlackError::RateLimited { .. })));
    /// # });
    /// ```
    pub fn replay_unsure(&self) -> Option<&SlackError> {
        self.unsure.as_ref()
    }

    /// Gives the record back, with the step's changes to metadata, participants and log.
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// use slack_orchestrator::RecordingSlack;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, RecordingSlack::new(), None, now);
    /// cx.set("plan", "pro");
    /// let record = cx.into_record(); // what the engine saves
    /// assert_eq!(record.metadata["plan"], "pro");
    /// # }
    /// ```
    pub fn into_record(self) -> FlowRecord {
        self.record
    }

    /// The flow record as it is now.
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// use slack_orchestrator::RecordingSlack;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// let cx = Cx::new(record, RecordingSlack::new(), None, now);
    /// assert_eq!((cx.record().flow.as_str(), cx.record().step_name.as_str()), ("ask", "Name"));
    /// # }
    /// ```
    pub fn record(&self) -> &FlowRecord {
        &self.record
    }

    /// The flow's id.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod ticket {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ticket { #[start] Open }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx) -> Next<Ticket> {
    ///         complete(format!("Ticket {} opened.", cx.flow_id()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("help").await;
    /// let id = bot.flows().await[0].id;
    /// chat.expect_reply(&format!("Ticket {id} opened.")); // the id `flows show` takes
    /// # }
    /// ```
    pub fn flow_id(&self) -> Uuid {
        self.record.id
    }

    /// The conversation: team, initiating user, channel, thread.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod where_ {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Where { #[start] Tell }
    ///     #[step(Tell)]
    ///     async fn tell(cx: &mut Cx) -> Next<Where> {
    ///         let at = cx.context();
    ///         complete(format!("channel {}, thread {}", at.channel_id, at.thread_ts.as_deref().unwrap_or("none")))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<where_::Where>());
    /// let mut thread = bot.mention("U1", "C9", "<@UBOT> where?").await;
    /// let root = thread.thread_ts().unwrap().to_owned();
    /// thread.expect_reply(&format!("channel C9, thread {root}"));
    /// # }
    /// ```
    pub fn context(&self) -> &MessageContext {
        &self.record.context
    }

    /// The user who sent the current event (the initiator for timeouts).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod whoami {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum WhoAmI { #[start] Tell }
    ///     #[step(Tell)]
    ///     async fn tell(cx: &mut Cx) -> Next<WhoAmI> {
    ///         complete(format!("You are <@{}>.", cx.user_id()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<whoami::WhoAmI>());
    /// let mut chat = bot.dm("U42");
    /// chat.send("who am I?").await;
    /// chat.expect_reply("You are <@U42>.");
    /// # }
    /// ```
    pub fn user_id(&self) -> &str {
        self.incoming
            .as_ref()
            .map_or(&self.record.context.user_id, |i| &i.context.user_id)
    }

    /// The event being handled (a [`Payload::Timeout`](crate::Payload::Timeout) for a
    /// deadline); `None` outside any event.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod echo {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Echo { #[start] Echo }
    ///     #[step(Echo)]
    ///     async fn echo(cx: &mut Cx) -> Next<Echo> {
    ///         // An entry handler takes no input, but may read the event that started the flow.
    ///         let said = cx.incoming().and_then(|event| event.text()).unwrap_or_default().to_owned();
    ///         complete(format!("You said: {said}"))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("ping").await;
    /// chat.expect_reply("You said: ping");
    /// # }
    /// ```
    pub fn incoming(&self) -> Option<&Incoming> {
        self.incoming.as_deref()
    }

    /// The time the orchestrator handles this event at.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod clock {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Clock { #[start] Tell }
    ///     #[step(Tell)]
    ///     async fn tell(cx: &mut Cx) -> Next<Clock> {
    ///         // The engine's clock, not the system's: tests move it with `TestBot::advance`.
    ///         complete(cx.now().format("%Y").to_string())
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<clock::Clock>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("what year is it?").await;
    /// chat.expect_reply(&chrono::Utc::now().format("%Y").to_string());
    /// # }
    /// ```
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The flow's metadata.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod notes {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Notes { #[start] Take }
    ///     #[step(Take)]
    ///     async fn take(cx: &mut Cx, said: Text) -> Next<Notes> {
    ///         if said.as_str() == "list" {
    ///             let keys: Vec<&str> = cx.metadata().keys().map(String::as_str).collect();
    ///             return complete(keys.join(", "));
    ///         }
    ///         cx.set(said.as_str(), true);
    ///         stay()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<notes::Notes>());
    /// let mut chat = bot.dm("U1");
    /// for said in ["milk", "bread", "list"] {
    ///     chat.send(said).await;
    /// }
    /// chat.expect_reply("bread, milk");
    /// # }
    /// ```
    pub fn metadata(&self) -> &serde_json::Map<String, Value> {
        &self.record.metadata
    }

    /// Reads one metadata entry as `T`; `None` if absent or of another shape.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod tally {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Tally { #[start] Count }
    ///     #[step(Count)]
    ///     async fn count(cx: &mut Cx, said: Text) -> Next<Tally> {
    ///         if said.as_str() == "done" {
    ///             let total: u32 = cx.get("count").unwrap_or(0);
    ///             return complete(format!("{total} items."));
    ///         }
    ///         let count = cx.get::<u32>("count").unwrap_or(0) + 1;
    ///         cx.set("count", count); // kept with the flow between events
    ///         stay()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<tally::Tally>());
    /// let mut chat = bot.dm("U1");
    /// for item in ["apples", "pears", "done"] {
    ///     chat.send(item).await;
    /// }
    /// chat.expect_reply("2 items.");
    /// # }
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.record
            .metadata
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    /// Sets one metadata entry. Values that do not serialize to JSON are stored as `null`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod survey {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Survey { #[start] Rate }
    ///     #[step(Rate)]
    ///     async fn rate(cx: &mut Cx, said: Text) -> Next<Survey> {
    ///         cx.set("score", said.trim().parse::<u8>().ok());
    ///         complete("Thanks!")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<survey::Survey>());
    /// bot.dm("U1").send("9").await;
    /// let flow = bot.flows().await.remove(0);
    /// assert_eq!(flow.metadata["score"], 9, "stored with the flow, e.g. for `flows show`");
    /// # }
    /// ```
    pub fn set(&mut self, key: impl Into<String>, value: impl Serialize) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.record.metadata.insert(key.into(), value);
    }

    /// The original's `update_flow(metadata=…)`: merges `metadata` into the flow's metadata.
    /// (The state itself moves by the transition the step returns.)
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod signup {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Signup { #[start] Name }
    ///     #[step(Name)]
    ///     async fn name(cx: &mut Cx, said: Text) -> Next<Signup> {
    ///         let serde_json::Value::Object(fields) = serde_json::json!({"name": said.as_str(), "source": "dm"}) else { unreachable!() };
    ///         cx.update_flow(fields);
    ///         complete("Signed up.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<signup::Signup>());
    /// bot.dm("U1").send("Ada").await;
    /// let flow = bot.flows().await.remove(0);
    /// assert_eq!((flow.metadata["name"].as_str(), flow.metadata["source"].as_str()), (Some("Ada"), Some("dm")));
    /// # }
    /// ```
    pub fn update_flow(&mut self, metadata: serde_json::Map<String, Value>) {
        self.record.metadata.extend(metadata);
    }

    /// Lets `user` advance the flow too, besides whoever already may (e.g. a second
    /// approver). In a flow open to everyone it changes nothing.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod review {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Review { #[start] Ask, Wait }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Review> {
    ///         cx.add_participant("U2"); // the reviewer may answer in this thread too
    ///         cx.say("<@U2>, approve?").await?;
    ///         goto(Review::Wait)
    ///     }
    ///     #[step(Wait)]
    ///     async fn wait(cx: &mut Cx, said: Text) -> Next<Review> {
    ///         complete(format!("<@{}> said {said}.", cx.user_id()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<review::Review>());
    /// let thread = bot.mention("U1", "C1", "<@UBOT> review my PR").await;
    /// let mut reviewer = thread.as_user("U2");
    /// reviewer.send("yes").await;
    /// reviewer.expect_reply("<@U2>, approve?");
    /// reviewer.expect_reply("<@U2> said yes.");
    /// # }
    /// ```
    pub fn add_participant(&mut self, user: impl Into<String>) {
        let user = user.into();
        if !self.record.participants.contains(&user) {
            self.record.participants.push(user);
        }
    }

    /// Lets only `users` advance the flow from now on, the starter included only if named:
    /// a step meant for an approver that the requester must not answer themselves.
    /// (An empty list changes nothing: a flow nobody may answer would be a dead end.)
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod expense {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Expense { #[start] Ask, Approve }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Expense> {
    ///         cx.hand_over(["U_BOSS"]); // the requester may no longer answer
    ///         cx.say("<@U_BOSS>, approve this expense?").await?;
    ///         goto(Expense::Approve)
    ///     }
    ///     #[step(Approve)]
    ///     async fn approve(_cx: &mut Cx, said: Text) -> Next<Expense> {
    ///         complete(format!("Decision: {said}"))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<expense::Expense>());
    /// let mut requester = bot.mention("U1", "C1", "<@UBOT> expense 40 EUR").await;
    /// requester.expect_reply("<@U_BOSS>, approve this expense?");
    /// requester.send("approved!").await; // not theirs to answer
    /// requester.expect_no_reply();
    /// let mut boss = requester.as_user("U_BOSS");
    /// boss.send("approved").await;
    /// assert!(boss.replies().contains(&"Decision: approved".to_owned()));
    /// # }
    /// ```
    pub fn hand_over<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, users: I) {
        let users: Vec<String> = users.into_iter().map(Into::into).collect();
        if !users.is_empty() {
            self.record.participants = users;
        }
    }

    /// Lets anyone in the conversation advance the flow (besides anyone named before).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod standup {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Standup { #[start] Ask, Collect }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Standup> {
    ///         cx.open_to_everyone();
    ///         cx.say("Who's in for lunch?").await?;
    ///         goto(Standup::Collect)
    ///     }
    ///     #[step(Collect)]
    ///     async fn collect(cx: &mut Cx, _said: Text) -> Next<Standup> {
    ///         complete(format!("<@{}> is in.", cx.user_id()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<standup::Standup>());
    /// let thread = bot.mention("U1", "C1", "<@UBOT> lunch").await;
    /// let mut anyone = thread.as_user("U7");
    /// anyone.send("me!").await;
    /// assert!(anyone.replies().contains(&"<@U7> is in.".to_owned()));
    /// # }
    /// ```
    pub fn open_to_everyone(&mut self) {
        self.add_participant(FlowRecord::ANYONE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::{SlackReply, SlackRequest};
    use std::sync::Mutex;

    /// Answers every look-up with `error` (keeping where it read from) and makes every post.
    struct LookUpFails {
        error: SlackError,
        posts: Mutex<Vec<String>>,
        since: Mutex<Vec<Option<String>>>,
    }

    #[async_trait::async_trait]
    impl SlackApi for LookUpFails {
        async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
            match request {
                SlackRequest::FindPost { since, .. } => {
                    self.since.lock().unwrap().push(since);
                    Err(self.error.clone())
                }
                SlackRequest::PostMessage { channel, text, .. } => {
                    self.posts.lock().unwrap().push(text);
                    Ok(SlackReply::Message {
                        channel,
                        ts: "1.0".into(),
                    })
                }
                _ => Ok(SlackReply::Ok),
            }
        }
    }

    /// Replays a step that says "Hello" against a look-up failing with `code`.
    async fn replay_with_look_up_failing(code: &str) -> (Vec<String>, Option<SlackError>) {
        let error = SlackError::Api {
            method: "conversations.history".into(),
            code: code.into(),
        };
        let api = Arc::new(LookUpFails {
            error,
            posts: Mutex::default(),
            since: Mutex::default(),
        });
        let now = Utc::now();
        let context = MessageContext::new("T1", "U1", "D1");
        let record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", context, now);
        let mut cx = Cx::new(record, api.clone(), None, now);
        cx.set_replay(true);
        let _ = cx.say("Hello").await;
        let saved = cx.record().updated_at;
        let since = api.since.lock().unwrap().clone();
        assert_eq!(
            since,
            [Some(crate::slack::slack_ts(saved - chrono::Duration::minutes(10)))],
            "a replay reads from shortly before the record's last save, not the whole history"
        );
        let posts = api.posts.lock().unwrap().clone();
        (posts, cx.replay_unsure().cloned())
    }

    #[tokio::test]
    async fn a_replay_whose_look_up_slack_could_not_answer_now_waits_instead_of_posting() {
        for code in SlackError::UNAVAILABLE {
            let (posts, unsure) = replay_with_look_up_failing(code).await;
            assert!(posts.is_empty(), "{code}: the earlier run may have posted");
            assert!(unsure.is_some(), "{code}: the run must not be saved");
        }
    }

    #[tokio::test]
    async fn a_replay_whose_look_up_slack_refuses_for_good_posts_again() {
        let (posts, unsure) = replay_with_look_up_failing("missing_scope").await;
        assert_eq!(posts, ["Hello"], "a repeated message is better than a lost one");
        assert_eq!(unsure, None);
    }
}
