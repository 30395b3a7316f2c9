//! The [`Flow`] trait (what `#[flow]` implements, and what a flow written by hand
//! implements) and [`FlowDefinition`], the type-erased form the orchestrator registers.

use crate::cx::Cx;
use crate::graph::Graph;
use crate::incoming::Incoming;
use crate::stored_step::StoredStep;
use crate::transition::{Next, StepError};
use crate::trigger::Trigger;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future a step handler returns, boxed so flows can be stored side by side.
///
/// ```
/// use orchestrator_core::{goto, Cx, Next, StepFuture};
/// #[derive(Debug)]
/// enum Step { Ask, Thanks }
/// // What an entry handler written by hand returns (`#[flow]` writes these for you).
/// fn ask(_cx: &mut Cx) -> StepFuture<'_, Step> {
///     Box::pin(async { goto(Step::Thanks) })
/// }
/// ```
pub type StepFuture<'a, S> = Pin<Box<dyn Future<Output = Next<S>> + Send + 'a>>;

/// The future an `on_timeout` hook returns.
///
/// ```
/// use orchestrator_core::{Cx, HookFuture};
/// // What an `on_timeout` hook written by hand returns: tell the user, or fail with a `StepError`.
/// fn timed_out(cx: &mut Cx) -> HookFuture<'_> {
///     Box::pin(async move {
///         cx.say("No answer in time; the request is closed.").await?;
///         Ok(())
///     })
/// }
/// ```
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StepError>> + Send + 'a>>;

/// The message sent when a flow times out, unless the flow sets its own or turns it off.
///
/// ```
/// use orchestrator_core::{FlowOptions, DEFAULT_TIMEOUT_MESSAGE};
/// assert!(DEFAULT_TIMEOUT_MESSAGE.starts_with("This conversation timed out."));
/// let quiet = FlowOptions::new("survey").timeout_message(None); // a flow may say nothing instead
/// ```
pub const DEFAULT_TIMEOUT_MESSAGE: &str =
    "This conversation timed out. Mention me or send me a direct message to start again.";

/// Who may advance a flow (`#[flow(participants = anyone)]`).
///
/// ```
/// use orchestrator_core::{FlowOptions, Participants};
/// assert_eq!(FlowOptions::new("poll").participants, Participants::Initiator, "the default");
/// let poll = FlowOptions::new("poll").participants(Participants::Anyone); // everyone votes
/// assert_eq!(poll.participants, Participants::Anyone);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Participants {
    /// The user who started it, plus anyone a step adds with [`Cx::add_participant`].
    #[default]
    Initiator,
    /// Anyone in the conversation.
    Anyone,
}

/// When a waiting step's deadline is counted from (`#[flow(deadline = last_event)]`, or a
/// step's `#[deadline(..)]`).
///
/// ```
/// use orchestrator_core::{DeadlineFrom, FlowOptions};
/// assert_eq!(FlowOptions::new("quiz").deadline, DeadlineFrom::Entry, "wrong answers buy no time");
/// let chat = FlowOptions::new("chat").deadline(DeadlineFrom::LastEvent); // idle time counts
/// assert_eq!(chat.deadline, DeadlineFrom::LastEvent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeadlineFrom {
    /// From when the flow entered the step (`goto`, `reask`, or a `Timeout` handler's
    /// `stay`); events that leave the flow in the same step (`stay`, `reject`, a refused
    /// click) do not move it. The default.
    #[default]
    Entry,
    /// From the last event the step handled: every handled event restarts the clock.
    LastEvent,
}

/// Upgrades a step stored by an older version of the flow: gets the version it was written
/// under and its serialized step, returns the step in today's shape (or why it cannot).
///
/// ```
/// use orchestrator_core::{FlowOptions, Migrate};
/// // Version 1 stored `{"AskName": {}}`; version 2 renamed the step to `Name`.
/// let rename: Migrate = |from, step| match (from, step.get("AskName")) {
///     (1, Some(fields)) => Ok(serde_json::json!({ "Name": fields })),
///     (1, None) => Ok(step),
///     (version, _) => Err(format!("no migration from version {version}")),
/// };
/// let options = FlowOptions::new("onboarding").version(2).migrate(rename);
/// assert_eq!(rename(1, serde_json::json!({"AskName": {}})), Ok(serde_json::json!({"Name": {}})));
/// ```
pub type Migrate = fn(u32, Value) -> Result<Value, String>;

/// A flow's static settings.
///
/// ```
/// use orchestrator_core::{FlowOptions, Trigger};
/// use std::time::Duration;
/// let options = FlowOptions::new("survey")
///     .trigger(Trigger::command("/survey"))
///     .timeout(Duration::from_secs(600))
///     .timeout_message(None);
/// assert_eq!(options.timeout_message, None);
/// ```
#[derive(Debug, Clone)]
pub struct FlowOptions {
    /// Unique name, stored on every record.
    pub name: String,
    /// Bumped when the step enum changes shape.
    pub version: u32,
    /// What starts the flow.
    pub triggers: Vec<Trigger>,
    /// How long the flow waits for the user, unless the step overrides it.
    pub timeout: Option<Duration>,
    /// Sent on timeout; `None` sends nothing (the original's `send_timeout_message=False`).
    pub timeout_message: Option<String>,
    /// Who may advance the flow.
    pub participants: Participants,
    /// When deadlines are counted from, unless a step says otherwise.
    pub deadline: DeadlineFrom,
    /// Upgrades records written under an older `version`.
    pub migrate: Option<Migrate>,
    /// Messages (one word, any case) or slash commands (`/stop`) that end this flow in any
    /// step, besides the bot's own `cancel_word`s.
    pub cancel_words: Vec<String>,
}

impl FlowOptions {
    /// Settings with no trigger, no timeout, the default timeout message, version 1.
    ///
    /// ```
    /// use orchestrator_core::{FlowOptions, Participants, DEFAULT_TIMEOUT_MESSAGE};
    /// let options = FlowOptions::new("survey");
    /// assert_eq!((options.version, options.timeout, options.participants), (1, None, Participants::Initiator));
    /// assert_eq!(options.timeout_message.as_deref(), Some(DEFAULT_TIMEOUT_MESSAGE));
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        FlowOptions {
            name: name.into(),
            version: 1,
            triggers: Vec::new(),
            timeout: None,
            timeout_message: Some(DEFAULT_TIMEOUT_MESSAGE.to_owned()),
            participants: Participants::Initiator,
            deadline: DeadlineFrom::Entry,
            migrate: None,
            cancel_words: Vec::new(),
        }
    }

    /// Adds a word (or `/command`) that ends this flow in any step.
    ///
    /// ```
    /// use orchestrator_core::FlowOptions;
    /// let options = FlowOptions::new("survey").cancel_word(" Skip ").cancel_word("/stop");
    /// assert_eq!(options.cancel_words, ["skip", "/stop"]);
    /// ```
    pub fn cancel_word(mut self, word: impl Into<String>) -> Self {
        self.cancel_words.push(word.into().trim().to_lowercase());
        self
    }

    /// Adds a trigger.
    ///
    /// ```
    /// use orchestrator_core::{FlowOptions, Trigger};
    /// let options = FlowOptions::new("help").trigger(Trigger::command("/help")).trigger(Trigger::keyword("help"));
    /// assert_eq!(options.triggers.len(), 2);
    /// ```
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.triggers.push(trigger);
        self
    }

    /// Sets the default timeout.
    ///
    /// ```
    /// use orchestrator_core::FlowOptions;
    /// use std::time::Duration;
    /// let options = FlowOptions::new("survey").timeout(Duration::from_secs(30 * 60));
    /// assert_eq!(options.timeout, Some(Duration::from_secs(1800)));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets (or with `None` turns off) the timeout message.
    ///
    /// ```
    /// use orchestrator_core::FlowOptions;
    /// let quiet = FlowOptions::new("survey").timeout_message(None);
    /// assert_eq!(quiet.timeout_message, None, "times out without a word");
    /// let own = FlowOptions::new("survey").timeout_message(Some("No answer; the survey closed.".into()));
    /// assert_eq!(own.timeout_message.as_deref(), Some("No answer; the survey closed."));
    /// ```
    pub fn timeout_message(mut self, message: Option<String>) -> Self {
        self.timeout_message = message;
        self
    }

    /// Sets who may advance the flow.
    ///
    /// ```
    /// use orchestrator_core::{FlowOptions, Participants};
    /// let poll = FlowOptions::new("poll").participants(Participants::Anyone);
    /// assert_eq!(poll.participants, Participants::Anyone);
    /// ```
    pub fn participants(mut self, participants: Participants) -> Self {
        self.participants = participants;
        self
    }

    /// Sets the version.
    ///
    /// ```
    /// use orchestrator_core::FlowOptions;
    /// assert_eq!(FlowOptions::new("onboarding").version(3).version, 3);
    /// ```
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// Sets when deadlines are counted from.
    ///
    /// ```
    /// use orchestrator_core::{DeadlineFrom, FlowOptions};
    /// let chat = FlowOptions::new("support").deadline(DeadlineFrom::LastEvent); // any answer restarts the clock
    /// assert_eq!(chat.deadline, DeadlineFrom::LastEvent);
    /// ```
    pub fn deadline(mut self, from: DeadlineFrom) -> Self {
        self.deadline = from;
        self
    }

    /// Sets the migration hook for records of older versions.
    ///
    /// ```
    /// use orchestrator_core::FlowOptions;
    /// let options = FlowOptions::new("survey").version(2).migrate(|_from, step| Ok(step));
    /// assert!(options.migrate.is_some());
    /// ```
    pub fn migrate(mut self, migrate: Migrate) -> Self {
        self.migrate = Some(migrate);
        self
    }
}

/// A flow: a serializable step type whose values are the steps, with handlers per step.
///
/// `#[flow]` implements it; it can also be implemented by hand (see the
/// `hand_written_flow` test). A step's *entry handler* (`on_enter`) runs as soon as the
/// flow reaches the step; its *input handlers* (`on_input`) run when the user answers
/// with an input they accept.
///
/// A one-step flow by hand: "echo" answers the next message it gets and completes.
///
/// ```
/// use orchestrator_core::graph::Target;
/// use orchestrator_core::{complete, Cx, Flow, FlowOptions, FromInput, Graph, Incoming, StepFuture, Text, Trigger};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Echo;
///
/// impl Flow for Echo {
///     fn options() -> FlowOptions {
///         FlowOptions::new("echo").trigger(Trigger::keyword("echo"))
///     }
///     fn start() -> Self {
///         Echo
///     }
///     fn step_name(&self) -> &'static str {
///         "Echo"
///     }
///     fn on_enter(self, _cx: &mut Cx) -> Option<StepFuture<'_, Self>> {
///         None // no entry handler: the flow waits for the user's input
///     }
///     fn on_input<'a>(self, _cx: &'a mut Cx, input: &Incoming) -> Option<StepFuture<'a, Self>> {
///         let said = Text::from_input(input)?; // only text is taken
///         Some(Box::pin(async move { complete(format!("You said: {said}")) }))
///     }
///     fn graph() -> Graph {
///         Graph::new("echo", "Echo").node("Echo", false).edge("Echo", Target::Complete, Some("Text"))
///     }
/// }
///
/// assert_eq!(Echo::options().name, "echo");
/// assert!(Echo::graph().to_mermaid().contains("Echo --> [*]"));
/// ```
pub trait Flow: Serialize + DeserializeOwned + Send + Sized + 'static {
    /// Name, triggers, timeouts, participants.
    fn options() -> FlowOptions;
    /// The first step.
    fn start() -> Self;
    /// The step's name (its variant's name).
    fn step_name(&self) -> &'static str;
    /// This step's timeout, overriding the flow's.
    fn step_timeout(&self) -> Option<Duration> {
        None
    }
    /// When this step's deadline is counted from, overriding the flow's.
    fn step_deadline(&self) -> Option<DeadlineFrom> {
        None
    }
    /// `true` if reaching this step completes the flow.
    fn is_terminal(&self) -> bool {
        false
    }
    /// The entry handler of this step, if it has one.
    fn on_enter(self, cx: &mut Cx) -> Option<StepFuture<'_, Self>>;
    /// The input handler of this step that accepts `input`, if any.
    fn on_input<'a>(self, cx: &'a mut Cx, input: &Incoming) -> Option<StepFuture<'a, Self>>;
    /// The flow's `on_timeout` hook, run after the flow timed out in this step.
    fn on_timeout(self, _cx: &mut Cx) -> Option<HookFuture<'_>> {
        None
    }
    /// The steps and the transitions between them.
    fn graph() -> Graph;
}

/// A stored step no longer decodes into the flow's step type (the enum changed shape).
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
/// use orchestrator_core::{FlowDefinition, StoredStep};
/// let definition = FlowDefinition::of::<Ask>();
/// // A record written when the enum still had a `Confirm` step:
/// let error = definition.step_info(&StoredStep::of(&"Confirm").unwrap()).unwrap_err();
/// assert_eq!(error.flow, "ask");
/// assert!(error.to_string().starts_with("stored step of flow `ask` does not decode: unknown variant `Confirm`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[error("stored step of flow `{flow}` does not decode: {source}")]
pub struct DecodeError {
    /// The flow's name.
    pub flow: String,
    /// What serde said.
    pub source: serde_json::Error,
}

/// What the orchestrator needs to know about one step.
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
/// use orchestrator_core::{DeadlineFrom, FlowDefinition, StoredStep};
/// let definition = FlowDefinition::of::<Ask>();
/// let info = definition.step_info(definition.start()).unwrap();
/// assert_eq!((info.name, info.timeout, info.terminal), ("Name", Some(std::time::Duration::from_secs(60)), false));
/// assert_eq!(info.deadline, DeadlineFrom::Entry, "the flow's default");
/// assert!(definition.step_info(&StoredStep::of(&Ask::Done).unwrap()).unwrap().terminal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// The variant's name.
    pub name: &'static str,
    /// The step's timeout override.
    pub timeout: Option<Duration>,
    /// Reaching it completes the flow.
    pub terminal: bool,
    /// When its deadline is counted from (the step's own setting, else the flow's).
    pub deadline: DeadlineFrom,
}

type EnterFn = for<'a> fn(&StoredStep, &'a mut Cx) -> Result<Option<StepFuture<'a, StoredStep>>, serde_json::Error>;
type InputFn =
    for<'a> fn(&StoredStep, &'a mut Cx, &Incoming) -> Result<Option<StepFuture<'a, StoredStep>>, serde_json::Error>;
type TimeoutFn = for<'a> fn(&StoredStep, &'a mut Cx) -> Result<Option<HookFuture<'a>>, serde_json::Error>;

/// A registered flow with its step type erased to JSON, as the orchestrator and stores see it.
///
/// ```
/// # use orchestrator_core::{FlowDefinition, Flow};
/// fn register<F: Flow>() -> FlowDefinition { FlowDefinition::of::<F>() }
/// ```
pub struct FlowDefinition {
    options: FlowOptions,
    graph: Graph,
    start: StoredStep,
    info: fn(&StoredStep, DeadlineFrom) -> Result<StepInfo, serde_json::Error>,
    enter: EnterFn,
    input: InputFn,
    timeout: TimeoutFn,
}

impl FlowDefinition {
    /// The definition of the typed flow `F`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// // What `Orchestrator::builder().flow::<Ask>()` registers: the flow with its step type erased.
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// assert_eq!(definition.name(), "ask");
    /// assert_eq!(definition.start().decode::<ask::Ask>().unwrap(), ask::Ask::Name);
    /// # }
    /// ```
    pub fn of<F: Flow>() -> Self {
        let start = StoredStep::of(&F::start()).expect("a flow's start step serializes to JSON");
        FlowDefinition {
            options: F::options(),
            graph: F::graph(),
            start,
            info: |step, deadline| {
                let step: F = step.decode()?;
                Ok(StepInfo {
                    name: step.step_name(),
                    timeout: step.step_timeout(),
                    terminal: step.is_terminal(),
                    deadline: step.step_deadline().unwrap_or(deadline),
                })
            },
            enter: |step, cx| Ok(step.decode::<F>()?.on_enter(cx).map(erase)),
            input: |step, cx, incoming| Ok(step.decode::<F>()?.on_input(cx, incoming).map(erase)),
            timeout: |step, cx| Ok(step.decode::<F>()?.on_timeout(cx)),
        }
    }

    /// The flow's name.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// assert_eq!(FlowDefinition::of::<ask::Ask>().name(), "ask", "the module's name, unless `name = \"…\"` says otherwise");
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.options.name
    }

    /// The flow's settings.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// assert_eq!(definition.options().timeout, Some(std::time::Duration::from_secs(3600)));
    /// # }
    /// ```
    pub fn options(&self) -> &FlowOptions {
        &self.options
    }

    /// The transition graph.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// let graph = FlowDefinition::of::<ask::Ask>().graph().to_mermaid();
    /// assert!(graph.contains("Name") && graph.contains("Help"), "{graph}");
    /// # }
    /// ```
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The serialized start step.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// let start = FlowDefinition::of::<ask::Ask>().start().clone();
    /// assert_eq!(start.decode::<ask::Ask>().unwrap(), ask::Ask::Name);
    /// # }
    /// ```
    pub fn start(&self) -> &StoredStep {
        &self.start
    }

    /// Decodes a stored step and describes it.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # fn main() {
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// let help = StoredStep::of(&ask::Ask::Help { name: "Ada".into() }).unwrap();
    /// let info = definition.step_info(&help).unwrap();
    /// assert_eq!((info.name, info.terminal), ("Help", false));
    /// // A step stored by an older build, which no longer decodes: an error naming the flow.
    /// let gone = StoredStep::from(serde_json::json!("Farewell"));
    /// assert!(definition.step_info(&gone).unwrap_err().to_string().contains("ask"));
    /// # }
    /// ```
    pub fn step_info(&self, step: &StoredStep) -> Result<StepInfo, DecodeError> {
        (self.info)(step, self.options.deadline).map_err(|e| self.decode_error(e))
    }

    /// Brings a step stored under flow version `stored_version` to this definition's
    /// version through the flow's [`migrate`](FlowOptions::migrate) hook; a step of the
    /// current version, or of a flow without a hook, is returned as it is (and will fail to
    /// decode if its shape changed).
    ///
    /// ```
    /// use orchestrator_core::{FlowDefinition, FlowOptions};
    /// # use orchestrator_core::*;
    /// # #[derive(serde::Serialize, serde::Deserialize)] enum S { A }
    /// # impl Flow for S {
    /// #   fn options() -> FlowOptions { FlowOptions::new("s").version(2).migrate(|from, _| Ok(serde_json::json!(format!("from {from}")))) }
    /// #   fn start() -> Self { S::A }
    /// #   fn step_name(&self) -> &'static str { "A" }
    /// #   fn on_enter(self, _: &mut Cx) -> Option<StepFuture<'_, Self>> { None }
    /// #   fn on_input<'a>(self, _: &'a mut Cx, _: &Incoming) -> Option<StepFuture<'a, Self>> { None }
    /// #   fn graph() -> Graph { Graph::new("s", "A") }
    /// # }
    /// let definition = FlowDefinition::of::<S>();
    /// assert_eq!(definition.migrate(1, serde_json::json!("Old")).unwrap(), serde_json::json!("from 1"));
    /// assert_eq!(definition.migrate(2, serde_json::json!("A")).unwrap(), serde_json::json!("A"));
    /// ```
    pub fn migrate(&self, stored_version: u32, step: Value) -> Result<Value, String> {
        match self.options.migrate {
            Some(migrate) if stored_version < self.options.version => migrate(stored_version, step),
            _ => Ok(step),
        }
    }

    /// The entry handler of `step`, if it has one.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// # let now = chrono::Utc::now();
    /// # let record = FlowRecord::new("ask", 1, definition.start().clone(), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// # let mut cx = slack_orchestrator::Cx::new(record, RecordingSlack::new(), None, now);
    /// // The start step has an entry handler (a handler without an input): it runs on entering.
    /// let entered = definition.on_enter(definition.start(), &mut cx).unwrap().expect("an entry handler");
    /// assert!(matches!(entered.await, Ok(Transition::Stay)));
    /// let help = StoredStep::of(&ask::Ask::Help { name: "Ada".into() }).unwrap();
    /// assert!(definition.on_enter(&help, &mut cx).unwrap().is_none(), "Help only takes text");
    /// # }
    /// ```
    pub fn on_enter<'a>(
        &self,
        step: &StoredStep,
        cx: &'a mut Cx,
    ) -> Result<Option<StepFuture<'a, StoredStep>>, DecodeError> {
        (self.enter)(step, cx).map_err(|e| self.decode_error(e))
    }

    /// The input handler of `step` that accepts `incoming`, if any.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// use slack_orchestrator::Incoming;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// # let now = chrono::Utc::now();
    /// # let record = FlowRecord::new("ask", 1, definition.start().clone(), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// # let mut cx = slack_orchestrator::Cx::new(record, RecordingSlack::new(), None, now);
    /// let said = serde_json::json!({"type": "message", "channel": "D1", "channel_type": "im",
    ///     "user": "U1", "text": "Ada", "ts": "1.1", "team": "T1"});
    /// let said = Incoming::from_json(&said).unwrap().unwrap();
    /// let handled = definition.on_input(definition.start(), &mut cx, &said).unwrap().expect("Name takes text");
    /// let Ok(Transition::Goto(next)) = handled.await else { panic!("moves on") };
    /// assert_eq!(next.decode::<ask::Ask>().unwrap(), ask::Ask::Help { name: "Ada".into() });
    /// # }
    /// ```
    pub fn on_input<'a>(
        &self,
        step: &StoredStep,
        cx: &'a mut Cx,
        incoming: &Incoming,
    ) -> Result<Option<StepFuture<'a, StoredStep>>, DecodeError> {
        (self.input)(step, cx, incoming).map_err(|e| self.decode_error(e))
    }

    /// The `on_timeout` hook for a flow that timed out in `step`, if the flow has one.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use orchestrator_core::StoredStep;
    /// use slack_orchestrator::{FlowDefinition, FlowRecord, MessageContext, RecordingSlack, Transition};
    /// #[flow(trigger = direct_message, timeout = "1h")]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug, PartialEq)]
    ///     pub enum Ask { #[start] Name, Help { name: String } }
    ///     #[step(Name)]
    ///     async fn greet(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; stay() }
    ///     #[step(Name)]
    ///     async fn named(_cx: &mut Cx, name: Text) -> Next<Ask> { goto(Ask::Help { name: name.to_string() }) }
    ///     #[step(Help { name })]
    ///     async fn helped(_cx: &mut Cx, name: String, need: Text) -> Next<Ask> { complete(format!("{name} needs {need}.")) }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let definition = FlowDefinition::of::<ask::Ask>();
    /// # let now = chrono::Utc::now();
    /// # let record = FlowRecord::new("ask", 1, definition.start().clone(), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// # let mut cx = slack_orchestrator::Cx::new(record, RecordingSlack::new(), None, now);
    /// assert!(definition.on_timeout(definition.start(), &mut cx).unwrap().is_none(), "no `on_timeout` hook");
    /// # }
    /// ```
    pub fn on_timeout<'a>(&self, step: &StoredStep, cx: &'a mut Cx) -> Result<Option<HookFuture<'a>>, DecodeError> {
        (self.timeout)(step, cx).map_err(|e| self.decode_error(e))
    }

    fn decode_error(&self, source: serde_json::Error) -> DecodeError {
        DecodeError {
            flow: self.options.name.clone(),
            source,
        }
    }
}

fn erase<S: Serialize + Send + 'static>(future: StepFuture<'_, S>) -> StepFuture<'_, StoredStep> {
    Box::pin(async move { Ok(future.await?.try_map(|step| StoredStep::of(&step))?) })
}
