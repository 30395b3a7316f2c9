//! What became of an event ([`Outcome`], [`Ignored`]) or of a cancel ([`Cancelled`]), and
//! what can go wrong ([`OrchestratorError`], [`BuildError`]).

use orchestrator_core::{FlowState, NormalizeError, StoreError};
use uuid::Uuid;

/// What became of one event.
///
/// ```
/// use orchestrator_runtime::{Orchestrator, Outcome, RecordingSlack};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bot = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let dm = orchestrator_runtime::payloads::direct_message("T1", "U1", "hi", "1700000000.000100", "Ev1");
/// assert_eq!(bot.handle_json(&dm).await.unwrap(), Outcome::NoFlow, "no flow, no trigger");
/// assert_eq!(bot.handle_json(&dm).await.unwrap(), Outcome::Duplicate, "Slack's retry");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not for any flow: not user input, the bot's own message, or an event type no flow uses.
    Ignored(Ignored),
    /// Seen before (a Slack retry or a second delivery); nothing ran.
    Duplicate,
    /// No flow is active in the conversation and no trigger matched.
    NoFlow,
    /// The sender may not advance this flow; nothing changed.
    NotParticipant {
        /// The flow.
        flow_id: Uuid,
    },
    /// The event belongs to a flow that has ended; the user got an ephemeral notice.
    Ended {
        /// The flow.
        flow_id: Uuid,
    },
    /// The flow's current step takes no such input (e.g. a click while it waits for text).
    Unhandled {
        /// The flow.
        flow_id: Uuid,
    },
    /// A modal submission was refused with field errors (`block_id` -> message, the ids the
    /// flow gave its blocks); the flow stays in its step. The ack goes back to Slack as
    /// `response_action: errors` keyed by the block ids Slack has (the flow's, tagged with
    /// the flow id when the modal was opened), so each message shows under its field.
    Rejected {
        /// The flow.
        flow_id: Uuid,
        /// The errors per input block.
        errors: std::collections::BTreeMap<String, String>,
    },
    /// A step ran (or the flow started) and the result was saved.
    Advanced {
        /// The flow.
        flow_id: Uuid,
        /// Its state now.
        state: FlowState,
        /// Its step now.
        step: String,
        /// What goes back to Slack in the acknowledgement: for a modal submission the step
        /// answered ([`Cx::answer_submission`](orchestrator_core::Cx::answer_submission)),
        /// its `response_action` and view.
        answer: Option<serde_json::Value>,
    },
}

impl Outcome {
    /// The flow's state after a step ran (`Advanced`), or `WAITING_FOR_RESPONSE` after a
    /// rejected submission; `None` when no step ran.
    ///
    /// ```
    /// use orchestrator_runtime::Outcome;
    /// assert_eq!(Outcome::Duplicate.state(), None);
    /// ```
    pub fn state(&self) -> Option<FlowState> {
        match self {
            Outcome::Advanced { state, .. } => Some(*state),
            Outcome::Rejected { .. } => Some(FlowState::WaitingForResponse),
            _ => None,
        }
    }

    /// `Advanced` to where `record` is now.
    pub(crate) fn advanced(record: &orchestrator_core::FlowRecord) -> Outcome {
        Outcome::answered(record, None)
    }

    /// [`Outcome::advanced`], with what goes back in the acknowledgement.
    pub(crate) fn answered(record: &orchestrator_core::FlowRecord, answer: Option<serde_json::Value>) -> Outcome {
        Outcome::Advanced {
            flow_id: record.id,
            state: record.state,
            step: record.step_name.clone(),
            answer,
        }
    }

    /// Whether a record was written for this event (which then settled it).
    pub(crate) fn committed(&self) -> bool {
        matches!(self, Outcome::Advanced { .. } | Outcome::Rejected { .. })
    }
}

/// Why an event was [`Outcome::Ignored`].
///
/// ```
/// use orchestrator_runtime::{Ignored, Orchestrator, Outcome, RecordingSlack};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bot = Orchestrator::builder().slack(RecordingSlack::new()).bot_user("U0BOT").build().unwrap();
/// let own = orchestrator_runtime::payloads::direct_message("T1", "U0BOT", "Hello!", "1.000001", "Ev1");
/// assert_eq!(bot.handle_json(&own).await.unwrap(), Outcome::Ignored(Ignored::OwnMessage));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// An edit, a deletion, a bot's message, a join…
    NotInput,
    /// The bot's own message.
    OwnMessage,
    /// A channel `message` that mentions the bot: its `app_mention` twin is the one handled.
    MentionTwin,
    /// An event type no flow reacts to.
    Unsupported,
}

/// What [`Orchestrator::cancel`](crate::Orchestrator::cancel) did.
///
/// ```
/// use orchestrator_runtime::Cancelled;
/// let cancelled = Cancelled::Now { told: None };
/// assert!(cancelled.was_active());
/// assert!(!Cancelled::AlreadyEnded.was_active());
/// ```
#[derive(Debug)]
pub enum Cancelled {
    /// The flow was active and is now in ERROR. `told` is how telling the user went, when
    /// a notice was asked for: the flow is cancelled either way.
    Now {
        /// `None`: no notice was asked for; otherwise the notice's post.
        told: Option<Result<(), orchestrator_core::SlackError>>,
    },
    /// The flow had already ended (completed, timed out, failed or cancelled): nothing
    /// changed, and the user was not told.
    AlreadyEnded,
}

impl Cancelled {
    /// Whether the flow was active (and is cancelled now).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
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
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// bot.dm("U1").send("hi").await;
    /// let id = bot.flows().await[0].id;
    /// assert!(bot.orchestrator().cancel(id, "stuck", None).await.unwrap().was_active());
    /// assert!(!bot.orchestrator().cancel(id, "again", None).await.unwrap().was_active(), "already ended");
    /// # }
    /// ```
    pub fn was_active(&self) -> bool {
        matches!(self, Cancelled::Now { .. })
    }
}

/// The orchestrator could not handle an event. The event changed nothing.
///
/// ```
/// use orchestrator_runtime::{Orchestrator, OrchestratorError, RecordingSlack};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let broken = serde_json::json!({"type": "block_actions"}); // no user, no actions
/// let error = orchestrator.handle_json(&broken).await.unwrap_err();
/// assert!(matches!(error, OrchestratorError::Normalize(_)), "{error}");
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// The body is not a Slack payload.
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    /// The store failed, or another worker changed the flow first.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Slack could not serve a step now (`SlackError::is_temporary`): a call failed while
    /// the event was within `slack_patience`, or a replayed step could not look for the
    /// post of its earlier run. Nothing was saved, and the event (or deadline) is applied
    /// again when its lease ends (see `Cx::replay_unsure`).
    #[error("Slack could not serve the step now ({0}); nothing was saved, and it is tried again later")]
    ReplayUnsure(orchestrator_core::SlackError),
    /// An earlier event of the conversation (this key) is still pending while Slack cannot
    /// serve its step: this one is not applied before it, but left pending and applied
    /// again after its lease, in order.
    #[error("an earlier event of this conversation ({0}) is still waiting for Slack; this one waits its turn")]
    EarlierPending(String),
    /// A flow was started from code that this orchestrator does not have.
    #[error("no flow named `{0}` is registered: add it with `Orchestrator::builder().flow::<…>()`")]
    NotRegistered(String),
    /// A flow was started from code in a conversation where another flow is active (one
    /// active flow per conversation).
    #[error("flow {active} is already active in {conversation}; start there after it ends, or cancel it")]
    ConversationBusy {
        /// The conversation.
        conversation: orchestrator_core::ConversationKey,
        /// The flow active in it.
        active: uuid::Uuid,
    },
}

impl OrchestratorError {
    /// Whether the event was put off because Slack cannot serve it now (it stays pending
    /// and is applied again after its lease): worth a warning, not an error.
    ///
    /// ```
    /// use orchestrator_runtime::OrchestratorError;
    /// assert!(OrchestratorError::EarlierPending("event:Ev1".into()).waits_for_slack());
    /// assert!(!OrchestratorError::NotRegistered("quiz".into()).waits_for_slack());
    /// ```
    pub fn waits_for_slack(&self) -> bool {
        matches!(
            self,
            OrchestratorError::ReplayUnsure(_) | OrchestratorError::EarlierPending(_)
        )
    }
}

/// A mistake in how the orchestrator was put together.
///
/// ```
/// use orchestrator_runtime::{BuildError, Orchestrator};
/// let error = Orchestrator::builder().build().err().unwrap();
/// assert_eq!(error, BuildError::NoSlack);
/// assert_eq!(error.to_string(), "no Slack API: call `.slack(...)` on the builder");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two flows have the same name.
    #[error("two flows are named `{0}`; give one of them another `name`")]
    DuplicateFlow(String),
    /// No [`SlackApi`](orchestrator_core::SlackApi) was given.
    #[error("no Slack API: call `.slack(...)` on the builder")]
    NoSlack,
    /// A schedule starts a flow that is not registered.
    #[error("a schedule starts flow `{0}`, which is not registered: add `.flow::<...>()` to the builder")]
    UnknownScheduledFlow(String),
    /// Two schedules of one flow have the same name (or neither has one).
    #[error("flow `{0}` has two schedules under one name: give each a name with `Schedule::named(..)`")]
    DuplicateSchedule(String),
}

/// Why the bot cannot serve yet (`GET /readyz` answers 503 with it).
///
/// ```
/// use orchestrator_runtime::{NotReady, Orchestrator, RecordingSlack};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let unsure = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// assert!(matches!(unsure.readiness().await, Err(NotReady::IdentityUnknown)), "no bot user yet");
/// let known = Orchestrator::builder().slack(RecordingSlack::new()).bot_user("U0BOT").build().unwrap();
/// assert!(known.readiness().await.is_ok());
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    /// `auth.test` has not told the bot who it is.
    #[error("the bot's Slack identity is unknown (auth.test has not answered)")]
    IdentityUnknown,
    /// The store does not answer.
    #[error("the store does not answer: {0}")]
    Store(orchestrator_core::StoreError),
}

/// Runs `work` to its end, or says what it panicked with (its message, when it has one:
/// `panic!`, `unwrap`, `expect`). The bot's code (handlers, hooks, resolvers) runs under this,
/// so that a bug in it fails that one piece of work and not the task that runs it.
pub(crate) async fn caught<T>(work: impl std::future::Future<Output = T>) -> Result<T, String> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| panic_text(&*panic))
}

/// [`caught`] for work that does not wait.
pub(crate) fn caught_now<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| panic_text(&*panic))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => text.to_string(),
        (None, Some(text)) => text.clone(),
        (None, None) => "(no message)".to_string(),
    }
}
