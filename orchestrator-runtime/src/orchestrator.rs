//! [`Orchestrator`]: the in-process heart. It takes normalized events, drops what is not
//! user input, deduplicates, routes each event to its conversation's flow (or starts one
//! from a trigger), runs it under the conversation's lock and saves the result with one
//! compare-and-swap. Running the steps lives in `execute`; timeouts in
//! `timers`.

use crate::clock::Clock;
use crate::execute::First;
use crate::locks::KeyLocks;
use orchestrator_core::{
    ConversationKey, Flow, FlowDefinition, FlowRecord, FlowState, Incoming, MemoryStore, MessageType, NormalizeError,
    Payload, SlackApi, SlackRequest, Store, StoreError,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// What became of one event.
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
    /// A modal submission was refused with field errors (`block_id` -> message); the flow
    /// stays in its step. Over HTTP these go back to Slack as `response_action: errors`.
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
}

/// Why an event was [`Outcome::Ignored`].
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

/// The orchestrator could not handle an event. The event changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    /// The body is not a Slack payload.
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    /// The store failed, or another worker changed the flow first.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A mistake in how the orchestrator was put together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two flows have the same name.
    #[error("two flows are named `{0}`; give one of them another `name`")]
    DuplicateFlow(String),
    /// No [`SlackApi`] was given.
    #[error("no Slack API: call `.slack(...)` on the builder")]
    NoSlack,
}

/// User-facing texts and limits.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) dedup_ttl: Duration,
    pub(crate) max_chain: usize,
    pub(crate) ended_notice: String,
    pub(crate) not_participant_notice: String,
    pub(crate) stale_notice: String,
    pub(crate) error_message: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dedup_ttl: Duration::from_secs(3600),
            max_chain: 32,
            ended_notice: "This conversation has ended.".into(),
            not_participant_notice: "Only the people taking part in this conversation can answer here.".into(),
            stale_notice: "That choice is no longer available: the conversation has moved on.".into(),
            error_message: "Sorry, something went wrong and this conversation had to stop.".into(),
        }
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
    pub(crate) deadline_changed: Notify,
}

/// Builds an [`Orchestrator`].
#[derive(Default)]
pub struct OrchestratorBuilder {
    flows: Vec<FlowDefinition>,
    store: Option<Arc<dyn Store>>,
    slack: Option<Arc<dyn SlackApi>>,
    bot_user: Option<String>,
    settings: Settings,
}

impl OrchestratorBuilder {
    /// Registers the typed flow `F` (what `#[flow]` generates, or a hand-written [`Flow`]).
    pub fn flow<F: Flow>(self) -> Self {
        self.definition(FlowDefinition::of::<F>())
    }

    /// Registers a flow definition. Flows are tried in registration order for triggers.
    pub fn definition(mut self, definition: FlowDefinition) -> Self {
        self.flows.push(definition);
        self
    }

    /// Where flows are kept (default: a fresh [`MemoryStore`]).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// How steps talk to Slack.
    pub fn slack(mut self, slack: Arc<dyn SlackApi>) -> Self {
        self.slack = Some(slack);
        self
    }

    /// The bot's own user id (from `auth.test`): its messages are never input.
    pub fn bot_user(mut self, user_id: impl Into<String>) -> Self {
        self.bot_user = Some(user_id.into());
        self
    }

    /// The ephemeral notice for a click on a flow that has ended.
    pub fn ended_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.ended_notice = text.into();
        self
    }

    /// The ephemeral notice for a click on a button of an earlier step of an active flow.
    pub fn stale_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.stale_notice = text.into();
        self
    }

    /// The message sent when a step fails with an error.
    pub fn error_message(mut self, text: impl Into<String>) -> Self {
        self.settings.error_message = text.into();
        self
    }

    /// How long a seen event id is remembered (default one hour; Slack retries within minutes).
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.settings.dedup_ttl = ttl;
        self
    }

    /// Builds the orchestrator.
    pub fn build(self) -> Result<Orchestrator, BuildError> {
        let mut by_name = HashMap::new();
        let mut flows = Vec::new();
        for definition in self.flows {
            let definition = Arc::new(definition);
            if by_name
                .insert(definition.name().to_owned(), definition.clone())
                .is_some()
            {
                return Err(BuildError::DuplicateFlow(definition.name().to_owned()));
            }
            flows.push(definition);
        }
        let inner = Inner {
            flows,
            by_name,
            store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
            slack: self.slack.ok_or(BuildError::NoSlack)?,
            clock: Clock::new(),
            locks: KeyLocks::default(),
            bot_user: self.bot_user.map(|id| {
                let mention = format!("<@{id}>");
                (id, mention)
            }),
            settings: self.settings,
            deadline_changed: Notify::new(),
        };
        Ok(Orchestrator { inner: Arc::new(inner) })
    }
}

impl Orchestrator {
    /// Starts building an orchestrator.
    pub fn builder() -> OrchestratorBuilder {
        OrchestratorBuilder::default()
    }

    /// The registered flows, in registration order.
    pub fn flows(&self) -> impl Iterator<Item = &FlowDefinition> {
        self.inner.flows.iter().map(|f| &**f)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The current time, as flows see it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Handles a Slack JSON body: an Events API callback or an interactivity payload.
    pub async fn handle_json(&self, body: &Value) -> Result<Outcome, OrchestratorError> {
        match Incoming::from_json(body)? {
            Some(incoming) => self.handle(incoming).await,
            None => Ok(Outcome::Ignored(Ignored::Unsupported)),
        }
    }

    /// Handles one normalized event: the whole path from dedup to the saved transition.
    pub async fn handle(&self, incoming: Incoming) -> Result<Outcome, OrchestratorError> {
        if let Some(reason) = self.ignore_reason(&incoming) {
            return Ok(Outcome::Ignored(reason));
        }
        let inner = &self.inner;
        if let Some(key) = incoming.dedup_key() {
            if !inner
                .store
                .mark_seen(&key, inner.clock.now(), inner.settings.dedup_ttl)
                .await?
            {
                return Ok(Outcome::Duplicate);
            }
        }
        let key = match incoming.flow_id {
            Some(id) => match inner.store.load(id).await? {
                Some(record) if record.is_active() => record.key,
                _ => return Ok(self.ended(id, &incoming).await),
            },
            None => incoming.context.conversation_key(),
        };
        let _turn = inner.locks.lock(key.as_str()).await;
        match self.load_current(&incoming, &key).await? {
            Some(record) if record.is_active() => self.continue_flow(record, incoming).await,
            Some(record) => Ok(self.ended(record.id, &incoming).await),
            None => self.start_flow(incoming).await,
        }
    }

    /// Cancels an active flow: it goes to ERROR with `reason`. `false` if it had already ended.
    pub async fn cancel(&self, flow_id: uuid::Uuid, reason: &str) -> Result<bool, OrchestratorError> {
        let inner = &self.inner;
        let Some(found) = inner.store.load(flow_id).await? else {
            return Err(StoreError::NotFound(flow_id).into());
        };
        let _turn = inner.locks.lock(found.key.as_str()).await;
        let Some(record) = inner.store.load(flow_id).await? else {
            return Ok(false);
        };
        if !record.is_active() {
            return Ok(false);
        }
        self.fail_record(record, format!("cancelled: {reason}")).await?;
        Ok(true)
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
        match incoming.flow_id {
            Some(id) => self.inner.store.load(id).await,
            None => self.inner.store.active_for(key).await,
        }
    }

    async fn continue_flow(&self, record: FlowRecord, incoming: Incoming) -> Result<Outcome, OrchestratorError> {
        if !record.is_participant(&incoming.context.user_id) {
            if incoming.has(MessageType::Interactive) {
                self.notify_user(&incoming, &self.inner.settings.not_participant_notice)
                    .await;
            }
            return Ok(Outcome::NotParticipant { flow_id: record.id });
        }
        match self.inner.by_name.get(&record.flow).cloned() {
            Some(definition) => {
                let interactive = incoming.has(MessageType::Interactive).then(|| incoming.clone());
                let outcome = self.run(definition, record, incoming, First::Input).await?;
                if let (Outcome::Unhandled { .. }, Some(click)) = (&outcome, interactive) {
                    // A button or menu of an earlier step: the flow has moved on.
                    self.notify_user(&click, &self.inner.settings.stale_notice).await;
                }
                Ok(outcome)
            }
            None => {
                let reason = format!("flow `{}` is not registered in this bot", record.flow);
                self.fail_record(record, reason).await
            }
        }
    }

    async fn start_flow(&self, incoming: Incoming) -> Result<Outcome, OrchestratorError> {
        let Some(definition) = self
            .inner
            .flows
            .iter()
            .find(|f| f.options().triggers.iter().any(|t| t.matches(&incoming)))
            .cloned()
        else {
            return Ok(Outcome::NoFlow);
        };
        let record = self.new_record(&definition, &incoming);
        self.run(definition, record, incoming, First::Enter).await
    }

    /// A click on (or a submission of) a flow that has ended: an ephemeral notice, nothing else.
    async fn ended(&self, flow_id: Uuid, incoming: &Incoming) -> Outcome {
        if incoming.has(MessageType::Interactive) {
            self.notify_user(incoming, &self.inner.settings.ended_notice).await;
        }
        Outcome::Ended { flow_id }
    }

    /// Tells only the acting user something, in the channel or through the `response_url`.
    async fn notify_user(&self, incoming: &Incoming, text: &str) {
        let context = &incoming.context;
        let request = if !context.channel_id.is_empty() {
            SlackRequest::PostEphemeral {
                channel: context.channel_id.clone(),
                user: context.user_id.clone(),
                thread_ts: context.thread_ts.clone(),
                text: text.to_owned(),
            }
        } else if let Some(url) = &incoming.response_url {
            SlackRequest::Respond {
                response_url: url.clone(),
                text: text.to_owned(),
                replace_original: false,
                in_channel: false,
            }
        } else {
            return;
        };
        if let Err(error) = self.inner.slack.call(request).await {
            tracing::warn!(%error, "could not send a notice to the user");
        }
    }
}
