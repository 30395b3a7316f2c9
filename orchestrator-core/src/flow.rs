//! The [`Flow`] trait (what `#[flow]` implements, and what a flow written by hand
//! implements) and [`FlowDefinition`], the type-erased form the orchestrator registers.

use crate::cx::Cx;
use crate::graph::Graph;
use crate::incoming::Incoming;
use crate::transition::{Next, StepError, Transition};
use crate::trigger::Trigger;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future a step handler returns, boxed so flows can be stored side by side.
pub type StepFuture<'a, S> = Pin<Box<dyn Future<Output = Next<S>> + Send + 'a>>;

/// The future an `on_timeout` hook returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StepError>> + Send + 'a>>;

/// The message sent when a flow times out, unless the flow sets its own or turns it off.
pub const DEFAULT_TIMEOUT_MESSAGE: &str =
    "This conversation timed out. Mention me or send me a direct message to start again.";

/// Who may advance a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Participants {
    /// The user who started it, plus anyone a step adds with [`Cx::add_participant`].
    #[default]
    Initiator,
    /// Anyone in the conversation.
    Anyone,
}

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
}

impl FlowOptions {
    /// Settings with no trigger, no timeout, the default timeout message, version 1.
    pub fn new(name: impl Into<String>) -> Self {
        FlowOptions {
            name: name.into(),
            version: 1,
            triggers: Vec::new(),
            timeout: None,
            timeout_message: Some(DEFAULT_TIMEOUT_MESSAGE.to_owned()),
            participants: Participants::Initiator,
        }
    }

    /// Adds a trigger.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.triggers.push(trigger);
        self
    }

    /// Sets the default timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets (or with `None` turns off) the timeout message.
    pub fn timeout_message(mut self, message: Option<String>) -> Self {
        self.timeout_message = message;
        self
    }

    /// Sets who may advance the flow.
    pub fn participants(mut self, participants: Participants) -> Self {
        self.participants = participants;
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }
}

/// A flow: a serializable step type whose values are the steps, with handlers per step.
///
/// `#[flow]` implements it; it can also be implemented by hand (see the
/// `hand_written_flow` test). A step's *entry handler* (`on_enter`) runs as soon as the
/// flow reaches the step; its *input handlers* (`on_input`) run when the user answers
/// with an input they accept.
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
#[derive(Debug, thiserror::Error)]
#[error("stored step of flow `{flow}` does not decode: {source}")]
pub struct DecodeError {
    /// The flow's name.
    pub flow: String,
    /// What serde said.
    pub source: serde_json::Error,
}

/// What the orchestrator needs to know about one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// The variant's name.
    pub name: &'static str,
    /// The step's timeout override.
    pub timeout: Option<Duration>,
    /// Reaching it completes the flow.
    pub terminal: bool,
}

type EnterFn = for<'a> fn(Value, &'a mut Cx) -> Result<Option<StepFuture<'a, Value>>, serde_json::Error>;
type InputFn = for<'a> fn(Value, &'a mut Cx, &Incoming) -> Result<Option<StepFuture<'a, Value>>, serde_json::Error>;
type TimeoutFn = for<'a> fn(Value, &'a mut Cx) -> Result<Option<HookFuture<'a>>, serde_json::Error>;

/// A registered flow with its step type erased to JSON, as the orchestrator and stores see it.
///
/// ```
/// # use orchestrator_core::{FlowDefinition, Flow};
/// fn register<F: Flow>() -> FlowDefinition { FlowDefinition::of::<F>() }
/// ```
pub struct FlowDefinition {
    options: FlowOptions,
    graph: Graph,
    start: Value,
    info: fn(&Value) -> Result<StepInfo, serde_json::Error>,
    enter: EnterFn,
    input: InputFn,
    timeout: TimeoutFn,
}

impl FlowDefinition {
    /// The definition of the typed flow `F`.
    pub fn of<F: Flow>() -> Self {
        let start = serde_json::to_value(F::start()).expect("a flow's start step serializes to JSON");
        FlowDefinition {
            options: F::options(),
            graph: F::graph(),
            start,
            info: |step| {
                let step = serde_json::from_value::<F>(step.clone())?;
                Ok(StepInfo {
                    name: step.step_name(),
                    timeout: step.step_timeout(),
                    terminal: step.is_terminal(),
                })
            },
            enter: |step, cx| Ok(serde_json::from_value::<F>(step)?.on_enter(cx).map(erase)),
            input: |step, cx, incoming| Ok(serde_json::from_value::<F>(step)?.on_input(cx, incoming).map(erase)),
            timeout: |step, cx| Ok(serde_json::from_value::<F>(step)?.on_timeout(cx)),
        }
    }

    /// The flow's name.
    pub fn name(&self) -> &str {
        &self.options.name
    }

    /// The flow's settings.
    pub fn options(&self) -> &FlowOptions {
        &self.options
    }

    /// The transition graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The serialized start step.
    pub fn start(&self) -> &Value {
        &self.start
    }

    /// Decodes a stored step and describes it.
    pub fn step_info(&self, step: &Value) -> Result<StepInfo, DecodeError> {
        (self.info)(step).map_err(|e| self.decode_error(e))
    }

    /// The entry handler of `step`, if it has one.
    pub fn on_enter<'a>(&self, step: Value, cx: &'a mut Cx) -> Result<Option<StepFuture<'a, Value>>, DecodeError> {
        (self.enter)(step, cx).map_err(|e| self.decode_error(e))
    }

    /// The input handler of `step` that accepts `incoming`, if any.
    pub fn on_input<'a>(
        &self,
        step: Value,
        cx: &'a mut Cx,
        incoming: &Incoming,
    ) -> Result<Option<StepFuture<'a, Value>>, DecodeError> {
        (self.input)(step, cx, incoming).map_err(|e| self.decode_error(e))
    }

    /// The `on_timeout` hook for a flow that timed out in `step`, if the flow has one.
    pub fn on_timeout<'a>(&self, step: Value, cx: &'a mut Cx) -> Result<Option<HookFuture<'a>>, DecodeError> {
        (self.timeout)(step, cx).map_err(|e| self.decode_error(e))
    }

    fn decode_error(&self, source: serde_json::Error) -> DecodeError {
        DecodeError {
            flow: self.options.name.clone(),
            source,
        }
    }
}

fn erase<S: Serialize + Send + 'static>(future: StepFuture<'_, S>) -> StepFuture<'_, Value> {
    Box::pin(async move {
        let transition = future.await?;
        Ok(match transition {
            Transition::Goto(step) => Transition::Goto(serde_json::to_value(step)?),
            other => other.map(|_| Value::Null),
        })
    })
}
