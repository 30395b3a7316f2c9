//! # slack-orchestrator
//!
//! Stateful, multi-step Slack conversations as typed state machines.
//!
//! A flow is an enum of steps marked [`flow`] and `async` step handlers marked [`step`],
//! anywhere in the crate. Together they make a [`Flow`]: serialization of the steps,
//! dispatch of Slack events to the right handler with typed inputs, timeouts, and the
//! transition graph. The [`Orchestrator`] routes events to flows, runs one event per
//! conversation at a time, and keeps every conversation in a [`Store`].
//!
//! ```
//! use slack_orchestrator::prelude::*;
//!
//! #[flow(trigger = mention, trigger = direct_message, timeout = "30m")]
//! pub enum Onboarding {
//!     #[start]
//!     Welcome,
//!     AskName,
//!     AskHelp { name: String },
//! }
//!
//! #[step(Onboarding::Welcome)]
//! async fn welcome(cx: &mut Cx) -> Next<Onboarding> {
//!     cx.say("Let's start the workflow. Step 1: What's your name?").await?;
//!     goto(Onboarding::AskName)
//! }
//!
//! #[step(Onboarding::AskName)]
//! async fn ask_name(cx: &mut Cx, name: Text) -> Next<Onboarding> {
//!     cx.say(format!("Nice to meet you, {name}! Step 2: What can I help you with?")).await?;
//!     goto(Onboarding::AskHelp { name: name.into() })
//! }
//!
//! #[step(Onboarding::AskHelp { name })]
//! async fn ask_help(cx: &mut Cx, name: String, request: Text) -> Next<Onboarding> {
//!     complete(format!("Thanks, {name}! I'll help you with: {request}"))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use slack_orchestrator::testkit::TestBot;
//! let bot = TestBot::new(Orchestrator::builder().flow::<Onboarding>());
//! let mut alice = bot.dm("U_ALICE");
//! alice.send("hi").await;
//! alice.expect_reply("Let's start the workflow. Step 1: What's your name?");
//! alice.send("Alice").await;
//! alice.expect_reply("Nice to meet you, Alice! Step 2: What can I help you with?");
//! alice.send("a bot").await;
//! alice.expect_reply("Thanks, Alice! I'll help you with: a bot");
//! # }
//! ```

// Lets this crate's own tests and examples use the macros' absolute paths.
extern crate self as slack_orchestrator;

pub use orchestrator_core::{
    blocks, complete, complete_flow, complete_silently, fail, goto, graph, is_user_id, reask, reject, slack_ts, stay,
    Action, ActionView, AppState, AssistantThread, Click, Command, ConversationKey, Cx, DeadlineFrom, Direction, Field,
    File, FileUpload, Files, Flow, FlowDefinition, FlowFilter, FlowOptions, FlowRecord, FlowState, FromInput,
    FunctionRun, Graph, HookFuture, Incoming, Joined, LoggedMessage, MemoryStore, MessageContext, MessageType, Migrate,
    Missed, MissingState, ModalAnswer, Next, Participants, Payload, PostTag, Purged, Reaction, Receipt, Received,
    Schedule, ScheduleError, SelectOption, Selection, Shortcut, ShortcutMessage, ShortcutUse, Signal, SlackApi,
    SlackError, SlackJson, SlackReply, SlackRequest, StepError, StepFuture, Store, StoreError, Submission, Suggestion,
    Target, Text, Timeout, Transition, Trigger, ViewSubmission,
};
/// slack-morphism, for its typed Web API models: `cx.web_api("users.info",
/// &SlackApiUsersInfoRequest::new(user))` answers a `SlackApiUsersInfoResponse`.
pub use orchestrator_runtime::slack_morphism;
pub use orchestrator_runtime::{
    cli, console, http, ops, payloads, signature, store, telemetry, webhooks, BotIdentity, BuildError, Cancelled,
    Clock, HttpIngress, Ignored, Occurrence, Orchestrator, OrchestratorBuilder, OrchestratorError, Outcome, Queued,
    RecordingSlack, SlackOutage, SlackWebApi, SocketLiveness, SocketMode, TargetError,
};
/// The test kit (`TestBot`, `Chat`, the fake Slack, `LiveBot`, the store conformance
/// suite), with the `testkit` feature: for your tests, as a dev-dependency.
#[cfg(feature = "testkit")]
pub use orchestrator_testkit as testkit;

/// Turns a step enum into a [`Flow`] whose handlers are the [`step`] functions naming it
/// (`#[step(Onboarding::AskName)]`), wherever they are in the crate; or a module holding
/// the enum and its handlers (`#[step(AskName)]` inside), shown here, which keeps a flow in
/// one place and lets its graph follow the module's helper functions. Both forms take the
/// same settings and expand through the same code.
///
/// ```
/// # use slack_orchestrator::prelude::*;
/// #[flow(
///     name = "approval",               // default: the module's name (the enum's, in snake case)
///     trigger = command("/approve"),   // also: mention, direct_message, keyword("word"),
///                                      //       regex("pattern"), action("action_id")
///     timeout = "1h",                  // default timeout while waiting for the user
///     timeout_message = "Nobody answered, so the request was dropped.", // or `false`
///     on_timeout = timed_out,          // an async fn(&mut Cx, Step) -> Result<(), StepError>
///     participants = initiator,        // or `anyone`
///     deadline = entry,                // counted from entering the step, or `last_event`
///     version = 2,                     // bump when a step's shape changes…
///     migrate = upgrade,               // …and bring older stored steps to the new shape
///     crate = "::slack_orchestrator",  // where the facade is, if renamed or re-exported
/// )]
/// mod approval {
///     use slack_orchestrator::prelude::*;
///
///     pub enum Approval {
///         #[start]
///         Ask,
///         #[timeout("10m")]            // this step's own timeout,
///         #[deadline(last_event)]      // restarted by every event it handles
///         Decide { what: String },
///         #[terminal]                  // reaching it completes the flow; no handler
///         Approved,
///     }
///
///     // An input handler: runs when the event converts into its input (here a slash command).
///     #[step(Ask)]
///     async fn ask(cx: &mut Cx, command: Command) -> Next<Approval> {
///         let blocks = serde_json::json!([
///             blocks::section(&format!("Approve *{}*?", command.text)),
///             blocks::actions("decision", vec![blocks::button("approve", "Approve", "yes")]),
///         ]);
///         cx.send_interactive_message("Approval needed", blocks).await?;
///         goto(Approval::Decide { what: command.text.clone() })
///     }
///
///     // Fields of the step are bound by name in the pattern.
///     #[step(Decide { what })]
///     async fn decide(cx: &mut Cx, what: String, click: Click) -> Next<Approval> {
///         cx.say(format!("{what}: approved by <@{}>", cx.user_id())).await?;
///         goto(Approval::Approved)
///     }
///
///     async fn timed_out(cx: &mut Cx, _step: Approval) -> Result<(), StepError> {
///         cx.set("expired", true);
///         Ok(())
///     }
///
///     // Version 1 had no `what` field.
///     fn upgrade(_from: u32, step: serde_json::Value) -> Result<serde_json::Value, String> {
///         match step.get("Decide") {
///             Some(_) => Ok(serde_json::json!({"Decide": {"what": "(unknown)"}})),
///             None => Ok(step),
///         }
///     }
/// }
/// # fn main() { assert_eq!(<approval::Approval as Flow>::options().name, "approval"); }
/// ```
///
/// **Handlers.** `#[step(Enum::Step)]` or `#[step(Enum::Step { field, .. })]` (in a
/// module: `#[step(Step)]`) on an `async fn` whose
/// first parameter is `cx: &mut Cx`, then the bound fields, then at most one input:
/// [`Text`], [`Click`], [`Selection`], [`Submission`], [`Files`], [`Command`], [`Timeout`]
/// (the step's deadline passed: the handler continues the flow instead of timing it out)
/// or [`Incoming`]. A handler without input is the step's *entry handler*: it runs as soon as
/// the flow reaches the step (for the start step: when the trigger arrives). A handler with
/// an input runs when the user answers with that kind of input. A step has at most one
/// entry handler and one handler per input type; the most specific takes an event
/// ([`Incoming`], any input, last). Handlers return [`Next`]: [`goto`],
/// [`stay`], [`reask`], [`complete`], [`fail`].
///
/// **What it generates.** `serde::Serialize`/`Deserialize` for the step enum (do not
/// derive them yourself), and `impl Flow` with the options, the dispatch from step and
/// input to handler, step timeouts, the `on_timeout` hook and the transition [`Graph`]
/// found in the handlers' bodies.
///
/// **What it refuses**, at compile time with a message at the offending code: a step with
/// no handler (unless `#[terminal]`), two handlers for one step and input, a handler naming
/// a step or field that does not exist, a non-`async` handler, a parameter that is no input,
/// no `#[start]` or two, a malformed duration, an unknown trigger or invalid regex, a step
/// payload that does not serialize.
pub use orchestrator_macros::flow;

/// Marks a step handler: `#[step(Onboarding::AskName)]` on an `async fn` anywhere in the
/// crate (after the step, `crate = "..."` if the flow sets it), or `#[step(AskName)]`
/// inside a [`flow`] module; see [`flow`] for the rules.
///
/// ```
/// use slack_orchestrator::prelude::*;
///
/// #[flow(trigger = direct_message)]
/// pub enum Echo {
///     #[start]
///     Listen,
/// }
///
/// #[step(Echo::Listen)]
/// async fn listen(_cx: &mut Cx, said: Text) -> Next<Echo> {
///     complete(said.to_string())
/// }
/// # fn main() { assert_eq!(<Echo as Flow>::options().name, "echo"); }
/// ```
pub use orchestrator_macros::step;

/// Everything a flow module needs: `use slack_orchestrator::prelude::*;`.
pub mod prelude {
    pub use crate::{
        blocks, complete, complete_flow, complete_silently, fail, flow, goto, reask, reject, stay, step,
        AssistantThread, Click, Command, Cx, Files, Flow, FunctionRun, Incoming, Joined, MessageContext, Next,
        Occurrence, Orchestrator, Reaction, Schedule, SelectOption, Selection, Shortcut, Signal, SlackError,
        SlackReply, StepError, Submission, Suggestion, Target, Text, Timeout,
    };
}

/// Generates `fn main` for a bot binary with the given flows: a CLI with `run` (Socket Mode,
/// HTTP, or a local console chat without credentials), `graph` and `flows`.
///
/// ```no_run
/// # use slack_orchestrator::prelude::*;
/// # #[flow(trigger = direct_message)]
/// # pub enum Echo { #[start] Listen }
/// # #[step(Echo::Listen)] async fn listen(cx: &mut Cx, t: Text) -> Next<Echo> { complete(t.to_string()) }
/// slack_orchestrator::main!(Echo);
/// ```
#[macro_export]
macro_rules! main {
    ($($flow:ty),+ $(,)?) => {
        fn main() -> ::std::process::ExitCode {
            $crate::cli::main(|| $crate::Orchestrator::builder()$(.flow::<$flow>())+)
        }
    };
}

/// mimalloc as the allocator of every binary built with this crate (the `mimalloc` feature,
/// on by default). Its per-thread heaps take an allocation freed on another thread without
/// a lock; the engine hands each event between tasks (the ingress, the step, the Slack
/// client), and glibc's malloc spent a third of the load generator's time on such frees
/// and their arena locks. A binary with an allocator of its own turns the feature off.
///
/// It is built with `no_thp`: mimalloc does not `madvise` its memory into transparent huge
/// pages, which on a kernel in `madvise` mode slowed the engine down as conversations piled
/// up (the figures are in the README, "Durable by default"). A kernel in `always` mode
/// still gives huge pages, as to any program.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Paths the macros generate code against. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use orchestrator_core::step_field;
    pub use orchestrator_core::{dispatch, graph};
    pub use orchestrator_core::{
        goto, Cx, DeadlineFrom, Flow, FlowOptions, FromInput, Graph, HookFuture, Incoming, Participants, StepFuture,
        Trigger,
    };
    pub use orchestrator_core::{
        AssistantThread, Click, Command, Files, FunctionRun, Joined, Reaction, Selection, Shortcut, Signal, Submission,
        Text, Timeout,
    };
    pub use serde;
}
