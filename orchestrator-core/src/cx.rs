//! [`Cx`], the step context: what a step knows (the conversation, the event, the flow's
//! metadata) and what it can do (send messages, buttons, modals; change metadata and
//! participants). Everything it changes is saved with the step's transition, atomically.

use crate::app_state::{AppState, MissingState};
use crate::context::MessageContext;
use crate::flow::Flow;
use crate::incoming::Incoming;
use crate::record::{Direction, FlowRecord, LoggedMessage};
use crate::slack::{PostTag, SlackApi, SlackError, SlackReply, SlackRequest};
use crate::stored_step::StoredStep;
use crate::tag::tag;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

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
    /// What the submitted modal does next (`response_action`), sent back in the ack.
    modal_answer: Option<Value>,
    /// The messages with interactive elements this run posted or updated (their `ts`).
    asked: Vec<String>,
}

/// What a submitted modal does next, answered in Slack's acknowledgement of the submission
/// ([`Cx::answer_submission`]): the way to a form of several pages.
///
/// ```
/// # use orchestrator_core::{blocks, ModalAnswer};
/// let day = blocks::text_input("day", "day", "When?");
/// let next = ModalAnswer::Update(blocks::modal("trip-2", "Trip (2/2)", "Book", vec![day]));
/// assert!(matches!(next, ModalAnswer::Update(view) if view["callback_id"] == "trip-2"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ModalAnswer {
    /// Replaces the submitted modal with this view (the next page).
    Update(Value),
    /// Pushes this view on top of the submitted modal (Slack keeps at most three).
    Push(Value),
    /// Closes every modal of the stack.
    Clear,
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

/// The metadata key that marks a workflow step's flow as having completed the step.
const FUNCTION_COMPLETED: &str = "function_completed";

/// Slack's codes for a Workflow Builder step's run that can no longer be completed:
/// completed (or failed) already, or ended otherwise (`functions.completeSuccess` and
/// `functions.completeError` document both).
const FUNCTION_ENDED: [&str; 2] = ["function_execution_not_found", "execution_not_in_running_state"];

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
    /// another flow is active is refused and logged. An error only if the step does not
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
    pub fn start_flow<F: Flow>(&mut self, at: MessageContext, first: F) -> Result<(), serde_json::Error> {
        self.starts.push(FlowStart {
            flow: F::options().name,
            context: at,
            step: StoredStep::of(&first)?,
        });
        Ok(())
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
    /// same [`PostTag`], and posts only if it is not there.
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

    /// Sends a message to the conversation (in its thread, if it has one).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod status {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Status { #[start] Report }
    ///     #[step(Report)]
    ///     async fn report(cx: &mut Cx) -> Next<Status> {
    ///         cx.send_message("All systems go.").await?; // in the mention's thread
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<status::Status>());
    /// let mut thread = bot.mention("U1", "C1", "<@UBOT> status?").await;
    /// assert!(thread.thread_ts().is_some());
    /// thread.expect_reply("All systems go.");
    /// # }
    /// ```
    pub async fn send_message(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.post(text.into(), None).await
    }

    /// Shorthand for [`Cx::send_message`].
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod hello {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Hello { #[start] Greet }
    ///     #[step(Greet)]
    ///     async fn greet(cx: &mut Cx) -> Next<Hello> {
    ///         cx.say("Hello!").await?;
    ///         cx.say("I'm the onboarding bot.").await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// assert_eq!(chat.replies(), ["Hello!", "I'm the onboarding bot."]);
    /// # }
    /// ```
    pub async fn say(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.send_message(text).await
    }

    /// Sends a message with Block Kit `blocks` (buttons, menus). Every block is tagged with
    /// the flow id so that clicks find their way back to this flow.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod deploy {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Deploy { #[start] Ask, Decide }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    ///         let buttons = blocks::actions("decision", vec![
    ///             blocks::button("go", "Deploy", "go"),
    ///             blocks::button("stop", "Cancel", "stop"),
    ///         ]);
    ///         cx.send_interactive_message("Deploy v2?", serde_json::json!([blocks::section("Deploy v2?"), buttons])).await?;
    ///         goto(Deploy::Decide)
    ///     }
    ///     #[step(Decide)]
    ///     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    ///         complete(format!("You chose {}.", click.action_id))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.expect_reply("Deploy v2?");
    /// chat.click("go").await; // the click finds this flow by the tag on its block
    /// chat.expect_reply("You chose go.");
    /// # }
    /// ```
    pub async fn send_interactive_message(
        &mut self,
        text: impl Into<String>,
        blocks: Value,
    ) -> Result<SlackReply, SlackError> {
        let blocks = self.tag_blocks(blocks);
        self.post(text.into(), Some(blocks)).await
    }

    /// Replaces a message the bot sent (e.g. its buttons with the choice made).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = direct_message)]
    /// mod vote {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Vote { #[start] Ask, Count }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Vote> {
    ///         let buttons = blocks::actions("vote", vec![blocks::button("yes", "Yes", "yes")]);
    ///         cx.send_interactive_message("Lunch at noon?", serde_json::json!([buttons])).await?;
    ///         goto(Vote::Count)
    ///     }
    ///     #[step(Count)]
    ///     async fn count(cx: &mut Cx, click: Click) -> Next<Vote> {
    ///         // The buttons give way to the choice made, in the same message.
    ///         let ts = click.message_ts.clone().unwrap_or_default();
    ///         cx.update_message(ts, "Lunch at noon? You said yes.", Some(serde_json::json!([]))).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<vote::Vote>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("lunch").await;
    /// chat.click("yes").await;
    /// let updated = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::UpdateMessage { channel, text, .. } if channel == "DU1" && text == "Lunch at noon? You said yes."));
    /// assert!(updated);
    /// # }
    /// ```
    pub async fn update_message(
        &mut self,
        ts: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let channel = self.record.context.channel_id.clone();
        self.update_message_in(channel, ts, text, blocks).await
    }

    /// Replaces a message the bot sent in another channel than the conversation's (one
    /// posted with [`Cx::post_to`], e.g. in an approver's DM).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = direct_message)]
    /// # mod approval {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Approval { #[start] Ask }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Approval> {
    /// #         let dm = cx.open_dm("U_BOSS").await?;
    /// #         let asked = cx.post_to(&dm, "Approve the laptop?", None).await?;
    /// #         let ts = asked.ts().unwrap_or_default().to_owned();
    /// #         cx.update_message_in(&dm, &ts, "Laptop: approved.", None).await?;
    /// #         complete("Approved.")
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<approval::Approval>());
    /// bot.dm("U1").send("laptop please").await;
    /// let updated = bot.slack().requests().into_iter().find_map(|r| match r {
    ///     SlackRequest::UpdateMessage { channel, text, .. } => Some((channel, text)),
    ///     _ => None,
    /// });
    /// let (channel, text) = updated.expect("the approver's message was updated");
    /// assert!(channel.starts_with('D') && channel != "DU1", "in the approver's DM: {channel}");
    /// assert_eq!(text, "Laptop: approved.");
    /// # }
    /// ```
    pub async fn update_message_in(
        &mut self,
        channel: impl Into<String>,
        ts: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let ts = ts.into();
        let asks = blocks.as_ref().is_some_and(asks_something);
        let request = SlackRequest::UpdateMessage {
            channel: channel.into(),
            ts: ts.clone(),
            text: text.into(),
            blocks: blocks.map(|b| self.tag_blocks(b)),
        };
        let reply = self.send(request).await?;
        if asks {
            self.asked.push(ts);
        }
        Ok(reply)
    }

    /// Sends a message only `user` sees.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/secret"))]
    /// mod secret {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Secret { #[start] Tell }
    ///     #[step(Tell)]
    ///     async fn tell(cx: &mut Cx, _command: Command) -> Next<Secret> {
    ///         let user = cx.user_id().to_owned();
    ///         cx.ephemeral(user, "Only you can see this.").await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<secret::Secret>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/secret", "").await;
    /// chat.expect_ephemeral("Only you can see this.");
    /// chat.expect_no_reply(); // nothing in the channel for everyone
    /// # }
    /// ```
    pub async fn ephemeral(
        &mut self,
        user: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<SlackReply, SlackError> {
        self.post_ephemeral(user.into(), text.into(), None).await
    }

    /// Sends a message with buttons or menus only `user` sees (blocks are tagged with the
    /// flow id, as [`Cx::send_interactive_message`]'s are, so their clicks come to this
    /// flow). Such a message is not in the channel's history: answer a click on it through
    /// its `response_url` ([`Cx::respond`] with `replace_original` replaces it). It is
    /// logged with the `message_ts` Slack answered ([`SlackReply::Ephemeral`]), which its
    /// clicks carry, so it asks the step's question as a posted one does: once the flow has
    /// left that question, a click on it is no answer to the next.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/leave"))]
    /// mod leave {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Leave { #[start] Ask, Confirm }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx, _command: Command) -> Next<Leave> {
    ///         let sure = blocks::actions("sure", vec![blocks::button("leave", "Leave the channel", "y")]);
    ///         let user = cx.user_id().to_owned();
    ///         cx.ephemeral_interactive(user, "Sure?", serde_json::json!([sure])).await?;
    ///         goto(Leave::Confirm)
    ///     }
    ///     #[step(Confirm)]
    ///     async fn confirm(cx: &mut Cx, _click: Click) -> Next<Leave> {
    ///         cx.respond("You left the channel.", true).await?; // in place of the question
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<leave::Leave>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/leave", "").await;
    /// chat.expect_ephemeral("Sure?");
    /// chat.click("leave").await;
    /// let replaced = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, replace_original: true, .. } if text == "You left the channel."));
    /// assert!(replaced);
    /// chat.expect_no_reply(); // nothing in the channel for everyone
    /// # }
    /// ```
    pub async fn ephemeral_interactive(
        &mut self,
        user: impl Into<String>,
        text: impl Into<String>,
        blocks: Value,
    ) -> Result<SlackReply, SlackError> {
        let blocks = self.tag_blocks(blocks);
        let asks = asks_something(&blocks);
        let text = text.into();
        let reply = self.post_ephemeral(user.into(), text.clone(), Some(blocks)).await?;
        // Logged with Slack's `message_ts`, which its clicks carry, so that a click on it once
        // the flow has left its question is no answer to a later one (`left_question`).
        if let SlackReply::Ephemeral { ts } = &reply {
            self.said(Some(ts.clone()), text, asks);
        }
        Ok(reply)
    }

    async fn post_ephemeral(
        &mut self,
        user: String,
        text: String,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let request = SlackRequest::PostEphemeral {
            channel: self.record.context.channel_id.clone(),
            user,
            thread_ts: self.record.context.thread_ts.clone(),
            text,
            blocks,
        };
        self.send(request).await
    }

    /// Opens a modal with the current interaction's `trigger_id` (clicks and slash commands
    /// have one; it expires 3 s after the user acted). The modal's submission comes back to
    /// this flow as a [`Submission`](crate::Submission).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/ticket"))]
    /// mod ticket {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ticket { #[start] Open, Form }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    ///         let title = blocks::text_input("title_block", "title", "What is wrong?");
    ///         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title])).await?;
    ///         goto(Ticket::Form)
    ///     }
    ///     #[step(Form)]
    ///     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> {
    ///         complete(format!("Ticket filed: {}", form.value("title").unwrap_or_default()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.submit(&[("title_block", "title", "The printer is on fire")]).await;
    /// chat.expect_reply("Ticket filed: The printer is on fire");
    /// # }
    /// ```
    pub async fn open_modal(&mut self, view: Value) -> Result<SlackReply, SlackError> {
        let trigger_id = self.trigger_id("views.open")?;
        let view = self.tag_view(view);
        // Not put off when Slack cannot open it now: the trigger expires in 3 s.
        self.not_put_off()?;
        self.api.call(SlackRequest::OpenView { trigger_id, view }).await
    }

    fn trigger_id(&self, method: &'static str) -> Result<String, SlackError> {
        self.incoming
            .as_ref()
            .and_then(|i| i.trigger_id.clone())
            .ok_or_else(|| SlackError::InvalidRequest {
                method: method.into(),
                detail: "no trigger_id: only a click or a slash command can open a modal".into(),
            })
    }

    /// Pushes a modal on top of the open one (from a click inside a modal).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let help = blocks::actions("tools", vec![blocks::button("help", "Help", "h")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, help])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn clicked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().to_owned();
    /// #         let tip = blocks::section(&format!("Say what you see, not \"{typed}\"."));
    /// #         cx.push_modal(blocks::modal("tip", "Help", "OK", vec![tip])).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.click_in_modal("help", &[("title_block", "title", "broken")]).await;
    /// let pushed = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::PushView { view, .. } if view["blocks"][0]["text"]["text"] == "Say what you see, not \"broken\"."));
    /// assert!(pushed, "{:?}", bot.slack().requests());
    /// # }
    /// ```
    pub async fn push_modal(&mut self, view: Value) -> Result<SlackReply, SlackError> {
        let trigger_id = self.trigger_id("views.push")?;
        let view = self.tag_view(view);
        self.not_put_off()?; // and not put off when it fails: the trigger expires in 3 s
        self.api.call(SlackRequest::PushView { trigger_id, view }).await
    }

    /// Answers the modal submission being handled: Slack then replaces the modal with the
    /// next page, pushes one on top, or closes them all, instead of closing the submitted
    /// one. The views are tagged like [`Cx::open_modal`]'s, so their submissions come back to
    /// this flow. It goes back in the acknowledgement, which waits up to 2.5 s for the
    /// step (past that, Slack has closed the modal). Only for a submission: anything else
    /// is an error, and a [`reject`](crate::reject) wins over it.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::ModalAnswer;
    /// #[flow(trigger = command("/trip"))]
    /// mod trip {
    ///     use slack_orchestrator::prelude::*;
    ///     use slack_orchestrator::ModalAnswer;
    ///     pub enum Trip { #[start] Open, Where, When { city: String } }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, _command: Command) -> Next<Trip> {
    ///         let city = blocks::text_input("city_block", "city", "Where to?");
    ///         cx.open_modal(blocks::modal("trip-1", "Trip (1/2)", "Next", vec![city])).await?;
    ///         goto(Trip::Where)
    ///     }
    ///     #[step(Where)]
    ///     async fn city(cx: &mut Cx, form: Submission) -> Next<Trip> {
    ///         let city = form.value("city").unwrap_or_default().to_owned();
    ///         let day = blocks::text_input("day_block", "day", "When?");
    ///         cx.answer_submission(ModalAnswer::Update(blocks::modal("trip-2", "Trip (2/2)", "Book", vec![day])))?;
    ///         goto(Trip::When { city })
    ///     }
    ///     #[step(When { city })]
    ///     async fn day(_cx: &mut Cx, city: String, form: Submission) -> Next<Trip> {
    ///         complete(format!("Booked: {city} on {}", form.value("day").unwrap_or_default()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<trip::Trip>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/trip", "").await;
    /// chat.submit(&[("city_block", "city", "Lyon")]).await; // page 1, answered with page 2
    /// chat.submit(&[("day_block", "day", "Friday")]).await;
    /// chat.expect_reply("Booked: Lyon on Friday");
    /// # }
    /// ```
    pub fn answer_submission(&mut self, answer: ModalAnswer) -> Result<(), SlackError> {
        let submitted = self.incoming.as_deref().map(|i| &i.payload);
        if !matches!(submitted, Some(crate::Payload::ViewSubmission(_))) {
            return Err(SlackError::InvalidRequest {
                method: "response_action".into(),
                detail: "only a modal submission can be answered with a view".into(),
            });
        }
        self.modal_answer = Some(match answer {
            ModalAnswer::Update(view) => json!({"response_action": "update", "view": self.tag_view(view)}),
            ModalAnswer::Push(view) => json!({"response_action": "push", "view": self.tag_view(view)}),
            ModalAnswer::Clear => json!({"response_action": "clear"}),
        });
        Ok(())
    }

    /// Takes the answer to the submitted modal this run gave (the engine sends it in the
    /// acknowledgement).
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, Incoming, MessageContext, ModalAnswer};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let submitted = serde_json::json!({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
    ///     "view": {"id": "V1", "callback_id": "ticket", "private_metadata": "", "state": {"values": {}}}});
    /// let submitted = Incoming::from_json(&submitted).unwrap().unwrap();
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), Some(submitted), now);
    /// cx.answer_submission(ModalAnswer::Clear).unwrap();
    /// assert_eq!(cx.take_modal_answer(), Some(serde_json::json!({"response_action": "clear"})));
    /// assert_eq!(cx.take_modal_answer(), None);
    /// # }
    /// ```
    pub fn take_modal_answer(&mut self) -> Option<Value> {
        self.modal_answer.take()
    }

    /// Replaces the content of an open modal.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let help = blocks::actions("tools", vec![blocks::button("help", "Help", "h")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, help])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn clicked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().to_owned();
    /// #         let tip = blocks::section(&format!("Say what you see, not \"{typed}\"."));
    /// #         let view_id = click.view.map(|v| v.view_id).unwrap_or_default();
    /// #         cx.update_modal(view_id, blocks::modal("ticket", "New ticket", "File", vec![tip])).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.click_in_modal("help", &[("title_block", "title", "broken")]).await;
    /// let requests = bot.slack().requests();
    /// let Some(SlackRequest::UpdateView { view, .. }) = requests.last() else { panic!("{requests:?}") };
    /// assert_eq!(view["blocks"][0]["text"]["text"], "Say what you see, not \"broken\".");
    /// # }
    /// ```
    pub async fn update_modal(&mut self, view_id: impl Into<String>, view: Value) -> Result<SlackReply, SlackError> {
        let view = self.tag_view(view);
        let request = SlackRequest::UpdateView {
            view_id: view_id.into(),
            view,
        };
        self.send(request).await
    }

    /// Answers the current click or slash command through its `response_url`: only the
    /// user sees it, or, with `replace_original`, it replaces the message clicked on.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/weather"))]
    /// mod weather {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Weather { #[start] Answer }
    ///     #[step(Answer)]
    ///     async fn answer(cx: &mut Cx, command: Command) -> Next<Weather> {
    ///         cx.respond(format!("Sunny in {}.", command.text), false).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<weather::Weather>());
    /// bot.command("U1", "C1", "/weather", "Lyon").await;
    /// let responded = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, replace_original: false, .. } if text == "Sunny in Lyon."));
    /// assert!(responded, "through the command's response_url");
    /// # }
    /// ```
    pub async fn respond(&mut self, text: impl Into<String>, replace_original: bool) -> Result<SlackReply, SlackError> {
        self.respond_as(text.into(), replace_original, false).await
    }

    /// Answers the current click or slash command through its `response_url` for the whole
    /// channel to see (Slack's `response_type: in_channel`), also where the bot is no member.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/poll"))]
    /// mod poll {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Poll { #[start] Open }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, command: Command) -> Next<Poll> {
    ///         cx.respond_in_channel(format!("Poll: {}", command.text)).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<poll::Poll>());
    /// bot.command("U1", "C1", "/poll", "Lunch at noon?").await;
    /// let shown = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, in_channel: true, replace_original: false, .. } if text == "Poll: Lunch at noon?"));
    /// assert!(shown, "for everyone in the channel");
    /// # }
    /// ```
    pub async fn respond_in_channel(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.respond_as(text.into(), false, true).await
    }

    async fn respond_as(
        &mut self,
        text: String,
        replace_original: bool,
        in_channel: bool,
    ) -> Result<SlackReply, SlackError> {
        let response_url =
            self.incoming
                .as_ref()
                .and_then(|i| i.response_url.clone())
                .ok_or(SlackError::InvalidRequest {
                    method: "response_url".into(),
                    detail: "only a click or a slash command has a response_url".into(),
                })?;
        let request = SlackRequest::Respond {
            response_url,
            text,
            replace_original,
            in_channel,
        };
        self.send(request).await
    }

    /// Makes any other call, e.g. `views.update`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = direct_message)]
    /// mod pin {
    ///     use slack_orchestrator::prelude::*;
    ///     use slack_orchestrator::SlackRequest;
    ///     pub enum Pin { #[start] Pin }
    ///     #[step(Pin)]
    ///     async fn pin(cx: &mut Cx) -> Next<Pin> {
    ///         let channel = cx.context().channel_id.clone();
    ///         let args = serde_json::json!({"channel": channel, "name": "eyes", "timestamp": "1.1"});
    ///         cx.call(SlackRequest::Call { method: "reactions.add".into(), args }).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<pin::Pin>());
    /// bot.dm("U1").send("look").await;
    /// assert!(bot.slack().requests().iter().any(|r| r.method() == "reactions.add"));
    /// # }
    /// ```
    pub async fn call(&mut self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        self.send(request).await
    }

    /// Calls any Web API method with Slack's arguments as JSON and returns Slack's whole
    /// answer: the escape hatch for what the typed calls do not cover (`users.info`,
    /// `chat.scheduleMessage`, `views.publish`, `reactions.add`, …). A 429 is waited out
    /// and retried like every call; `ok: false` is [`SlackError::Api`] with Slack's code.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// let user = cx.api_call("users.info", serde_json::json!({"user": "U42"})).await?;
    /// let tz = user["user"]["tz"].as_str().unwrap_or("UTC");
    /// # Ok(()) }
    /// ```
    pub async fn api_call(&mut self, method: &str, args: Value) -> Result<Value, SlackError> {
        self.not_put_off()?;
        let answer = self.api.api_call(method, args).await;
        self.heard(answer)
    }

    /// Calls `method` typed: a request and a response of slack-morphism's models (re-exported
    /// as `slack_orchestrator::slack_morphism`), or serde types of your own. The same 429
    /// handling as every call; Slack's `ok: false` is [`SlackError::Api`].
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// #[derive(serde::Serialize)]
    /// struct UsersInfo<'a> { user: &'a str }
    /// #[derive(serde::Deserialize)]
    /// struct Answer { user: User }
    /// #[derive(serde::Deserialize)]
    /// struct User { tz: Option<String> }
    /// let answer: Answer = cx.web_api("users.info", &UsersInfo { user: "U42" }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn web_api<Req, Resp>(&mut self, method: &str, request: &Req) -> Result<Resp, SlackError>
    where
        Req: serde::Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.not_put_off()?;
        let answer = crate::slack::typed_call(&*self.api, method, request).await;
        self.heard(answer)
    }

    /// Shows `status` under the assistant thread the flow lives in, as "App is thinking…"
    /// (`assistant.threads.setStatus`), until the bot's next post there clears it; `""`
    /// clears it at once. For a flow started by an assistant thread (`trigger = assistant`):
    /// elsewhere it is an [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.set_status("is looking it up…").await?;
    /// cx.say("Found it: the runbook is in #ops.").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_status(&mut self, status: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "status": status });
        self.in_assistant_thread("assistant.threads.setStatus", args).await
    }

    /// Offers up to four prompts in the assistant thread the flow lives in
    /// (`assistant.threads.setSuggestedPrompts`): each a `(title, message)`, the title shown
    /// on the button and the message the user sends by clicking it (it comes back as
    /// [`Text`](crate::Text)). None, or more than four (Slack's limit), is an
    /// [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.suggest_prompts(Some("Try asking"), &[("Reset my VPN", "How do I reset my VPN?")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn suggest_prompts(&mut self, title: Option<&str>, prompts: &[(&str, &str)]) -> Result<(), SlackError> {
        const METHOD: &str = "assistant.threads.setSuggestedPrompts";
        if prompts.is_empty() || prompts.len() > 4 {
            return Err(SlackError::InvalidRequest {
                method: METHOD.into(),
                detail: format!("Slack takes one to four suggested prompts, not {}", prompts.len()),
            });
        }
        let prompts: Vec<Value> = prompts
            .iter()
            .map(|(title, message)| serde_json::json!({"title": title, "message": message}))
            .collect();
        let mut args = serde_json::json!({ "prompts": prompts });
        if let Some(title) = title {
            args["title"] = Value::from(title);
        }
        self.in_assistant_thread(METHOD, args).await
    }

    /// Names the assistant thread the flow lives in, as the user's history of chats with
    /// the app shows it (`assistant.threads.setTitle`).
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.set_title("VPN trouble").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_title(&mut self, title: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "title": title });
        self.in_assistant_thread("assistant.threads.setTitle", args).await
    }

    /// Ends the Workflow Builder step this flow runs (`trigger = function("…")`) with
    /// `outputs`, named as the manifest's `output_parameters` (`functions.completeSuccess`);
    /// the workflow goes on to its next step. Kept in the flow's metadata
    /// (`function_completed`), so that the flow's end does not complete the step again.
    /// Outside such a flow it is an [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.complete_function(serde_json::json!({"approved_by": "U7"})).await?;
    /// # Ok(()) }
    /// ```
    pub async fn complete_function(&mut self, outputs: Value) -> Result<(), SlackError> {
        let args = serde_json::json!({ "outputs": outputs });
        self.end_function("functions.completeSuccess", args).await
    }

    /// Ends the Workflow Builder step this flow runs with `error` (`functions.completeError`),
    /// shown in the workflow's activity; the workflow stops. A flow of such a step that ends
    /// otherwise without completing it (a failure, a timeout, a cancel) does this with its
    /// last message, so the workflow never waits for ever.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.fail_function("the request was declined").await?;
    /// # Ok(()) }
    /// ```
    pub async fn fail_function(&mut self, error: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "error": error });
        self.end_function("functions.completeError", args).await
    }

    /// Whether the Workflow Builder step this flow runs was completed (or failed) already.
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let run = MessageContext::new("T1", "", "function:Fx1"); // a Workflow Builder step's run
    /// let record = FlowRecord::new("step", 1, serde_json::json!("Ask"), "Ask", run, now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), None, now);
    /// assert!(!cx.function_completed());
    /// cx.complete_function(serde_json::json!({"approved": true})).await.unwrap();
    /// assert!(cx.function_completed(), "so the engine does not fail it when the flow ends");
    /// # }
    /// ```
    pub fn function_completed(&self) -> bool {
        self.record.metadata.get(FUNCTION_COMPLETED) == Some(&Value::Bool(true))
    }

    async fn end_function(&mut self, method: &str, mut args: Value) -> Result<(), SlackError> {
        let Some(execution) = self.record.context.function_execution_id() else {
            return Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: "this flow runs no workflow step: completing one is for a flow started by \
                         `trigger = function(\"…\")`"
                    .into(),
            });
        };
        args["function_execution_id"] = Value::from(execution);
        match self.api_call(method, args).await {
            Ok(_) => {}
            // A run replayed after a crash: the earlier run may have completed the step just
            // before it stopped, and Slack refuses to complete a step twice. Taken as done;
            // any other refusal (outputs that do not fit the manifest) is the step's error.
            Err(SlackError::Api { code, .. }) if self.replay && FUNCTION_ENDED.contains(&code.as_str()) => {}
            Err(error) => return Err(error),
        }
        self.record
            .metadata
            .insert(FUNCTION_COMPLETED.into(), Value::Bool(true));
        Ok(())
    }

    /// Calls an `assistant.threads.*` method for the flow's thread.
    async fn in_assistant_thread(&mut self, method: &str, mut args: Value) -> Result<(), SlackError> {
        let context = &self.record.context;
        let Some(thread) = &context.thread_ts else {
            return Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: "the flow lives in no thread: this call is for a flow started by an assistant thread \
                         (`trigger = assistant`)"
                    .into(),
            });
        };
        args["channel_id"] = Value::from(context.channel_id.as_str());
        args["thread_ts"] = Value::from(thread.as_str());
        self.api_call(method, args).await.map(drop)
    }

    /// Publishes `view` (a `{"type": "home", "blocks": [...]}` view) as the Home tab of the
    /// flow's user (`views.publish`). Buttons on it start flows with `action("…")` triggers.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = app_home)]
    /// mod home {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Home { #[start] Show }
    ///     #[step(Show)]
    ///     async fn show(cx: &mut Cx) -> Next<Home> {
    ///         let view = serde_json::json!({"type": "home", "blocks": [blocks::section("Welcome back!")]});
    ///         cx.publish_home(view).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::payloads;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<home::Home>());
    /// bot.deliver(&payloads::app_home_opened("T0TEST", "U1", "Ev1")).await;
    /// let published = bot.slack().requests().into_iter().find(|r| r.method() == "views.publish").unwrap();
    /// assert!(format!("{published:?}").contains("Welcome back!"));
    /// # }
    /// ```
    pub async fn publish_home(&mut self, view: Value) -> Result<Value, SlackError> {
        let user = self.user_id().to_owned();
        self.api_call("views.publish", serde_json::json!({"user_id": user, "view": view}))
            .await
    }

    /// Opens (or finds) the direct-message channel with `user` (`conversations.open`) and
    /// returns its id, e.g. to ask an approver with [`Cx::post_to`].
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/ask-manager"))]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ask { #[start] Send }
    ///     #[step(Send)]
    ///     async fn send(cx: &mut Cx, command: Command) -> Next<Ask> {
    ///         let manager = command.text.trim_start_matches('@').to_owned();
    ///         let dm = cx.open_dm(&manager).await?; // conversations.open
    ///         cx.post_to(dm, format!("<@{}> has a question for you.", cx.user_id()), None).await?;
    ///         complete("Your manager was asked.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// let mut manager = bot.dm("U2"); // reads what the bot says from now on
    /// let (mut chat, _) = bot.command("U1", "C1", "/ask-manager", "@U2").await;
    /// chat.expect_reply("Your manager was asked.");
    /// manager.expect_reply("<@U1> has a question for you.");
    /// # }
    /// ```
    pub async fn open_dm(&mut self, user: &str) -> Result<String, SlackError> {
        self.not_put_off()?;
        let answer = self.api.open_dm(user).await;
        self.heard(answer)
    }

    /// Makes a call of the step's: not once the run is put off, and one that Slack cannot
    /// make now puts it off (see [`Cx::heard`]).
    async fn send(&mut self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        self.not_put_off()?;
        let answer = self.api.call(request).await;
        self.heard(answer)
    }

    /// Before a call of the step's: once the run is put off ([`Cx::replay_unsure`]),
    /// nothing more goes out until it is tried again.
    fn not_put_off(&self) -> Result<(), SlackError> {
        match &self.unsure {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// After a call of the step's: one that Slack cannot make now puts the run off, with
    /// [`Cx::set_retry_later`].
    fn heard<T>(&mut self, answer: Result<T, SlackError>) -> Result<T, SlackError> {
        if let Err(error) = &answer {
            if self.retry_later && error.is_temporary() && self.unsure.is_none() {
                self.unsure = Some(error.clone());
            }
        }
        answer
    }

    /// Sends a message to another channel than the conversation's (a DM opened with
    /// [`Cx::open_dm`], a team channel). Like every post of a step, it is tagged, so a replay
    /// after a crash does not post it twice. Replies there reach this flow only if that
    /// conversation routes to it (a click on its buttons does).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = keyword("incident"))]
    /// mod incident {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Incident { #[start] Declare }
    ///     #[step(Declare)]
    ///     async fn declare(cx: &mut Cx, said: Text) -> Next<Incident> {
    ///         cx.post_to("C_OPS", format!("Incident declared by <@{}>: {said}", cx.user_id()), None).await?;
    ///         complete("The on-call team is told.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<incident::Incident>());
    /// let (mut chat, mut ops) = (bot.dm("U1"), bot.channel("U1", "C_OPS"));
    /// chat.send("incident: db down").await;
    /// chat.expect_reply("The on-call team is told.");
    /// ops.expect_reply("Incident declared by <@U1>: incident: db down");
    /// # }
    /// ```
    pub async fn post_to(
        &mut self,
        channel: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let blocks = blocks.map(|b| self.tag_blocks(b));
        self.post_in(channel.into(), None, text.into(), blocks).await
    }

    async fn post(&mut self, text: String, blocks: Option<Value>) -> Result<SlackReply, SlackError> {
        if let Some(run) = self.record.context.function_execution_id() {
            return Err(SlackError::InvalidRequest {
                method: "chat.postMessage".into(),
                detail: format!(
                    "the flow of workflow step run {run} has no channel of its own: post with `post_to` \
                     (e.g. in a DM from `open_dm`)"
                ),
            });
        }
        let context = &self.record.context;
        // A Home tab's flow talks to its user in their DM with the app (the Messages tab
        // beside Home): a post to their id lands there.
        let channel = context.home_of().unwrap_or(&context.channel_id).to_owned();
        let thread_ts = context.thread_ts.clone();
        self.post_in(channel, thread_ts, text, blocks).await
    }

    async fn post_in(
        &mut self,
        channel: String,
        thread_ts: Option<String>,
        text: String,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let tag = PostTag {
            flow_id: self.record.id,
            version: self.record.version,
            seq: self.posts,
        };
        self.posts += 1;
        self.not_put_off()?;
        let asks = blocks.as_ref().is_some_and(asks_something);
        let earlier = match self.replay {
            true => self.find_post(&channel, &thread_ts, tag).await?,
            false => None,
        };
        let reply = match earlier {
            Some(reply) => reply,
            None => {
                let request = SlackRequest::PostMessage {
                    channel,
                    thread_ts,
                    text: text.clone(),
                    blocks,
                    tag: Some(tag),
                };
                self.send(request).await?
            }
        };
        let ts = match &reply {
            SlackReply::Message { ts, channel: landed } => {
                self.talk_in_dm(landed);
                Some(ts.clone())
            }
            _ => None,
        };
        self.said(ts, text, asks);
        Ok(reply)
    }

    /// A flow whose conversation is named by its user's id (a global shortcut's, a
    /// `team_join`'s, one a Home button started: Slack's payload has no channel) talks,
    /// once it posted there, in the DM Slack put the post in
    /// (`landed`, the `D…` id `chat.postMessage` answers with), as methods that take no
    /// user id need (`conversations.history`, which looks for a post after a crash, say).
    /// The flow's key stays the same.
    fn talk_in_dm(&mut self, landed: &str) {
        let own = &mut self.record.context;
        if own.channel_id == own.user_id && own.thread_ts.is_none() && landed.starts_with('D') {
            own.channel_id = landed.to_owned();
        }
    }

    /// Logs a message the bot posted (`ts`, if Slack gave one), one that `asks` the step's
    /// question if it has buttons or menus.
    fn said(&mut self, ts: Option<String>, text: String, asks: bool) {
        if let Some(ts) = ts.as_ref().filter(|_| asks) {
            self.asked.push(ts.clone());
        }
        self.record.log(LoggedMessage {
            direction: Direction::Outbound,
            user: None,
            ts,
            text,
            at: self.now,
            asks: false, // until the engine marks the run's question (FlowRecord::asked)
        });
    }

    /// The message an earlier run of this step posted with `tag`, if Slack has it. A
    /// look-up Slack refuses for good (`ok: false`, e.g. a missing `im:history` scope) posts
    /// again: a repeated message is better than a lost one. One Slack only delays (a rate
    /// limit past the retries, no answer, a 5xx, `internal_error`: see
    /// [`SlackError::is_temporary`]) is an error, and the run is not saved
    /// ([`Cx::replay_unsure`]): it is tried again later, when Slack answers.
    async fn find_post(
        &mut self,
        channel: &str,
        thread_ts: &Option<String>,
        tag: PostTag,
    ) -> Result<Option<SlackReply>, SlackError> {
        // A post to a user id is in the app's DM with them, whose history is read by the
        // DM's id (a flow named by its user's id, before its first post was saved).
        let channel = match crate::is_user_id(channel) {
            true => match self.looked_up(self.api.open_dm(channel).await)? {
                Some(dm) => dm,
                None => return Ok(None),
            },
            false => channel.to_owned(),
        };
        // The earlier run loaded the record as it is now, so its posts came after the
        // record's last save.
        let since = self.record.updated_at - PostTag::LOOK_BACK;
        let request = SlackRequest::FindPost {
            channel,
            thread_ts: thread_ts.clone(),
            tag,
            since: Some(crate::slack::slack_ts(since)),
        };
        let found = self.looked_up(self.api.call(request).await)?;
        Ok(found.filter(|reply| matches!(reply, SlackReply::Message { .. })))
    }

    /// A look-up's answer for [`Cx::find_post`]: `None` if Slack refused it for good (the
    /// post is made again); an error, and the run put off, if Slack only delayed it.
    fn looked_up<T>(&mut self, answer: Result<T, SlackError>) -> Result<Option<T>, SlackError> {
        match answer {
            Ok(answer) => Ok(Some(answer)),
            Err(refused) if !refused.is_temporary() => Ok(None),
            Err(delayed) => {
                self.unsure = Some(delayed.clone());
                Err(delayed)
            }
        }
    }

    fn tag_blocks(&self, mut blocks: Value) -> Value {
        if let Some(list) = blocks.as_array_mut() {
            for (index, block) in list.iter_mut().enumerate() {
                let inner = block
                    .get("block_id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("b{index}"), str::to_owned);
                block["block_id"] = Value::String(tag(self.record.id, &inner));
            }
        }
        blocks
    }

    /// Tags a modal's metadata and blocks with the flow id, so its submission comes back here.
    fn tag_view(&self, mut view: Value) -> Value {
        let metadata = view.get("private_metadata").and_then(Value::as_str).unwrap_or_default();
        view["private_metadata"] = Value::String(tag(self.record.id, metadata));
        if let Some(blocks) = view.get_mut("blocks") {
            *blocks = self.tag_blocks(blocks.take());
        }
        view
    }
}

/// Whether `blocks` hold something a user acts on (a button, a menu: an element with an
/// `action_id`, where [`crate::blocks::elements`] finds them), so that the message asks
/// something.
fn asks_something(blocks: &Value) -> bool {
    let mut found = blocks
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(crate::blocks::elements);
    found.any(|element| element.get("action_id").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
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
