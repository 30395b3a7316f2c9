//! [`Incoming`]: one Slack event, normalized. Whatever way it arrived (Events API, Socket
//! Mode, interactivity, slash command), the orchestrator sees this shape. Parsing lives in
//! [`normalize`](crate::normalize).

use crate::context::{MessageContext, MessageType};
use crate::cx::FlowStart;
use crate::signal::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A normalized Slack event.
///
/// ```
/// use orchestrator_core::{Incoming, MessageType};
/// let event = serde_json::json!({
///     "type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "message", "channel_type": "im", "channel": "D1",
///               "user": "U1", "text": "hello", "ts": "1.000001"}
/// });
/// let incoming = Incoming::from_json(&event).unwrap().unwrap();
/// assert!(incoming.has(MessageType::Direct));
/// assert_eq!(incoming.text(), Some("hello"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incoming {
    /// Who, where, in which thread.
    pub context: MessageContext,
    /// Every [`MessageType`] that applies.
    pub types: BTreeSet<MessageType>,
    /// What the user sent.
    pub payload: Payload,
    /// The Events API `event_id` (absent for interactivity and slash commands).
    pub event_id: Option<String>,
    /// The message's `ts`, for messages and for the message an action was taken on.
    pub ts: Option<String>,
    /// The flow this event belongs to, when an interactive element or a modal carries it.
    pub flow_id: Option<Uuid>,
    /// The interaction's `trigger_id` (expires after 3 s), needed to open a modal.
    pub trigger_id: Option<String>,
    /// Where to answer an interaction or slash command without a channel message.
    pub response_url: Option<String>,
    /// The just-in-time token of a workflow's custom step run, sent with its
    /// `function_executed` event and with the interactions on its messages: the steps this
    /// event runs call Slack with it (see [`WorkflowToken`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_token: Option<WorkflowToken>,
}

/// The `bot_access_token` Slack sends with a workflow's custom step run (`function_executed`)
/// and with each interaction on the messages that run posted: a token for that run, which
/// reaches what the workflow reaches (its channels, say, where the bot was never invited).
/// It expires when the run completes, or 15 minutes after it was issued, so the steps an
/// event runs use the token that event brought (a later click brings a fresh one), and the
/// app's bot token otherwise. Like Bolt's `attachFunctionToken`.
///
/// It is kept with the event until the event is applied (so a replay after a crash can use
/// it), and its `Debug` does not show it: events are logged.
///
/// ```
/// use orchestrator_core::Incoming;
/// let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "function_executed", "function": {"callback_id": "approve"},
///               "inputs": {}, "function_execution_id": "Fx1", "bot_access_token": "xwfp-1"}});
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// let token = incoming.workflow_token.as_ref().unwrap();
/// assert_eq!(token.secret(), "xwfp-1");
/// assert!(!format!("{incoming:?}").contains("xwfp-1"), "never in a log line");
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkflowToken(String);

impl WorkflowToken {
    /// A token as Slack sent it.
    ///
    /// ```
    /// let token = orchestrator_core::WorkflowToken::new("xwfp-1");
    /// assert_eq!(format!("{token:?}"), "WorkflowToken(..)");
    /// ```
    pub fn new(token: impl Into<String>) -> Self {
        WorkflowToken(token.into())
    }

    /// The token itself, for the `Authorization` header of a Web API call.
    ///
    /// ```
    /// assert_eq!(orchestrator_core::WorkflowToken::new("xwfp-1").secret(), "xwfp-1");
    /// ```
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WorkflowToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkflowToken(..)")
    }
}

/// What an [`Incoming`] event carries.
///
/// ```
/// use orchestrator_core::{Incoming, Payload};
/// let dm = serde_json::json!({"type": "message", "channel": "D1", "channel_type": "im",
///     "user": "U1", "text": "hello", "ts": "1.1", "team": "T1"});
/// let incoming = Incoming::from_json(&dm).unwrap().unwrap();
/// assert!(matches!(&incoming.payload, Payload::Message { text, files } if text == "hello" && files.is_empty()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// A user's message (also a mention), with its files.
    Message {
        /// The text, with a leading mention of the bot removed for `app_mention`s.
        text: String,
        /// Attached files.
        files: Vec<File>,
    },
    /// A click on a button or a choice in a select menu.
    Action(Action),
    /// A submitted modal.
    ViewSubmission(ViewSubmission),
    /// A slash command.
    Command(SlashCommand),
    /// Something that is not user input: edits, deletions, bot messages, joins…
    NotInput(NotInput),
    /// The current step's deadline passed (made by the timer engine, never by Slack).
    Timeout {
        /// The deadline that passed.
        deadline: chrono::DateTime<chrono::Utc>,
    },
    /// The user closed a modal (Slack sends `view_closed` for views with
    /// `notify_on_close: true`, which `blocks::modal` sets): the flow that opened it ends.
    ViewClosed {
        /// The view's id.
        view_id: String,
        /// The view's `callback_id`.
        callback_id: String,
    },
    /// The user opened the app's Home tab (`app_home_opened` with `tab: home`). Its
    /// conversation is the user's Home (channel `home:USER`), apart from their DM with the
    /// bot: a Home flow publishes views (`Cx::publish_home`) rather than posting.
    AppHomeOpened,
    /// The user joined a channel the bot is in (`member_joined_channel`; Slack sends it
    /// with the `channels:read` or `groups:read` scope). Its conversation is that user at
    /// the top of that channel, as for a flow a keyword started there.
    MemberJoined {
        /// Who added them, if someone did.
        inviter: Option<String>,
    },
    /// A new member joined the workspace (`team_join`; Slack sends it with the
    /// `users:read` scope). Its conversation is the user's DM with the app, named by the
    /// user id (which `chat.postMessage` takes as a channel), as a global shortcut's.
    TeamJoined,
    /// The flow was started from code (`Orchestrator::start`, `Cx::start_flow`), not by a
    /// Slack event: which flow, at which step. Kept as received until the first step has
    /// run, so a start survives a crash as an event from Slack does.
    Started {
        /// The flow's name.
        flow: String,
        /// The step it starts at, serialized. (A JSON value, not a [`StoredStep`](crate::StoredStep): an
        /// event is stored as JSON, and serde reads a tagged enum's fields through a buffer
        /// that a raw JSON text cannot come from.)
        step: serde_json::Value,
    },
    /// A global shortcut (from the search bar or the shortcuts menu) or a message shortcut
    /// (from a message's "More actions" menu). Its `trigger_id` opens a modal.
    Shortcut(ShortcutUse),
    /// An emoji reaction added to (`reaction_added`) or removed from (`reaction_removed`) a
    /// message, in the reacting user's conversation where the message is: their DM with the
    /// bot, or the channel (as a flow started there by a slash command has it).
    Reaction {
        /// The emoji's name, without colons (`white_check_mark`).
        name: String,
        /// Added (`true`) or removed.
        added: bool,
        /// Whose message it is, if Slack says (the bot's own, for a reaction to its question).
        message_user: Option<String>,
    },
    /// The user opened a thread with the app in its assistant container
    /// (`assistant_thread_started`), or the channel they view beside it changed
    /// (`assistant_thread_context_changed`). Its conversation is that thread.
    Assistant(AssistantThread),
    /// A workflow ran the app's custom step (`function_executed`): a Workflow Builder step
    /// whose flow asks people and then completes it. Its conversation is the step's run
    /// (channel `function:EXECUTION_ID`), which has no channel to talk in.
    Function(FunctionRun),
    /// An input from outside Slack sent to one flow (`Orchestrator::signal`, `flows
    /// signal`), in that flow's conversation; never from Slack.
    Signal(Signal),
}

/// A run of one of the app's custom steps in a Slack workflow (`function_executed`): which
/// step (`callback_id`, as the manifest's `functions` declare it), this run's id, and the
/// inputs the workflow gave it. A flow with `trigger = function("callback_id")` starts with
/// it, asks whom it must (`Cx::post_to`, buttons; clicks come back to the flow), and ends
/// the step with `Cx::complete_function(outputs)` or `Cx::fail_function(error)`.
///
/// ```
/// # use orchestrator_core::{FromInput, FunctionRun, Incoming};
/// let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "function_executed", "function": {"callback_id": "approve"},
///               "inputs": {"approver": "U7"}, "function_execution_id": "Fx1",
///               "workflow_execution_id": "Wx1", "event_ts": "1.1", "bot_access_token": "xwfp-…"}});
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// let run = FunctionRun::from_input(&incoming).unwrap();
/// assert_eq!((run.callback_id.as_str(), run.input("approver")), ("approve", Some("U7")));
/// assert_eq!(incoming.context.channel_id, "function:Fx1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionRun {
    /// The step's `callback_id`.
    pub callback_id: String,
    /// This run's `function_execution_id`, which completes it.
    pub execution_id: String,
    /// The workflow run it is part of.
    pub workflow_execution_id: Option<String>,
    /// The inputs, by the names the manifest gives them.
    pub inputs: serde_json::Map<String, serde_json::Value>,
}

impl FunctionRun {
    /// A text input (a user or channel id, a string), or `None` if absent or not text.
    ///
    /// ```
    /// use orchestrator_core::{FunctionRun, FromInput, Incoming};
    /// let ran = Incoming::from_json(&serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
    ///     "event": {"type": "function_executed", "function": {"callback_id": "approve"},
    ///               "inputs": {"requester": "U1", "amount": 40}, "function_execution_id": "Fx1",
    ///               "workflow_execution_id": "Wx1", "event_ts": "1.1"}})).unwrap().unwrap();
    /// let run = FunctionRun::from_input(&ran).unwrap();
    /// assert_eq!(run.input("requester"), Some("U1"));
    /// assert_eq!(run.input("amount"), None, "not text: read it from `inputs`");
    /// ```
    pub fn input(&self, name: &str) -> Option<&str> {
        self.inputs.get(name).and_then(serde_json::Value::as_str)
    }
}

/// An assistant thread: the thread a user opened with the app in Slack's assistant
/// container (an app with `assistant_view` in its manifest), and what they were looking at.
/// A step takes it as input (`thread: AssistantThread`) to learn that the channel they view
/// changed; a flow with `trigger = assistant` starts when a thread opens.
///
/// ```
/// # use orchestrator_core::{AssistantThread, FromInput, Incoming};
/// let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "assistant_thread_started", "event_ts": "1.3",
///               "assistant_thread": {"user_id": "U1", "channel_id": "D1", "thread_ts": "1.2",
///                                    "context": {"channel_id": "C7", "team_id": "T1"}}}});
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// let thread = AssistantThread::from_input(&incoming).unwrap();
/// assert!(thread.opened);
/// assert_eq!(thread.viewing.as_deref(), Some("C7"));
/// assert_eq!(incoming.context.conversation_key().as_str(), "T1/D1/1.2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantThread {
    /// `true` when the user opened the thread, `false` when the channel they view changed.
    pub opened: bool,
    /// The channel the user is viewing beside the thread, if Slack says (the app may not
    /// be in it: check with `conversations.info` before reading it).
    pub viewing: Option<String>,
    /// That channel's workspace.
    pub viewing_team: Option<String>,
    /// Its Enterprise Grid organization, if any.
    pub enterprise_id: Option<String>,
}

/// A shortcut the user chose: its `callback_id`, and for a message shortcut the message.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Shortcut};
/// let used = serde_json::json!({"type": "shortcut", "callback_id": "new_ticket", "trigger_id": "1.2",
///     "user": {"id": "U1"}, "team": {"id": "T1"}});
/// let shortcut = Shortcut::from_input(&Incoming::from_json(&used).unwrap().unwrap()).unwrap();
/// assert_eq!(shortcut.callback_id, "new_ticket");
/// assert!(shortcut.message.is_none(), "a global shortcut");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortcutUse {
    /// The shortcut's `callback_id`, as configured in the app's settings.
    pub callback_id: String,
    /// The message a message shortcut was used on; `None` for a global shortcut.
    pub message: Option<ShortcutMessage>,
}

/// The message a message shortcut was used on.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Shortcut};
/// let used = serde_json::json!({"type": "message_action", "callback_id": "file_bug", "trigger_id": "1.2",
///     "user": {"id": "U1"}, "team": {"id": "T1"}, "channel": {"id": "C1"},
///     "message": {"ts": "1700000000.000100", "text": "the build is red", "user": "U2"}});
/// let shortcut = Shortcut::from_input(&Incoming::from_json(&used).unwrap().unwrap()).unwrap();
/// let message = shortcut.message.as_ref().unwrap();
/// assert_eq!((message.text.as_str(), message.user.as_str()), ("the build is red", "U2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortcutMessage {
    /// Its `ts`.
    pub ts: String,
    /// Its text.
    pub text: String,
    /// Who wrote it (empty for some bot messages).
    pub user: String,
}

/// Why an event is not user input; the orchestrator ignores these.
///
/// ```
/// use orchestrator_core::{Incoming, NotInput, Payload};
/// let edited = serde_json::json!({"type": "message", "subtype": "message_changed", "channel": "D1",
///     "channel_type": "im", "ts": "1.2", "team": "T1", "message": {"user": "U1", "text": "hi!", "ts": "1.1"}});
/// let incoming = Incoming::from_json(&edited).unwrap().unwrap();
/// assert_eq!(incoming.payload, Payload::NotInput(NotInput::Subtype("message_changed".into())));
/// assert!(!incoming.is_user_input());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInput {
    /// Posted by a bot (has `bot_id`, or subtype `bot_message`).
    BotMessage,
    /// A message subtype that is not a user speaking, e.g. `message_changed`.
    Subtype(String),
}

/// A click or a choice on an interactive component.
///
/// ```
/// use orchestrator_core::{Incoming, Payload};
/// let clicked = serde_json::json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "channel": {"id": "D1"}, "message": {"ts": "1.1"}, "trigger_id": "1.2",
///     "actions": [{"type": "button", "action_id": "approve", "block_id": "decision", "value": "yes"}]});
/// let Payload::Action(action) = Incoming::from_json(&clicked).unwrap().unwrap().payload else { panic!() };
/// assert_eq!((action.element.as_str(), action.block_id.as_deref()), ("button", Some("decision")));
/// assert!(action.view.is_none(), "clicked in a message");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The element's `action_id`.
    pub action_id: String,
    /// The block's id as the bot author wrote it (the flow id the orchestrator adds is removed).
    pub block_id: Option<String>,
    /// The element type: `button`, `static_select`, `users_select`, `conversations_select`, …
    pub element: String,
    /// A button's `value`.
    pub value: Option<String>,
    /// The chosen option, user or conversation of a select menu, or a picker's choice.
    pub selected: Option<SelectedOption>,
    /// Every checked box of a `checkboxes` group or chosen item of a multi-select, once
    /// the user changed them (empty when they cleared the last one); `None` for other
    /// elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_many: Option<Vec<SelectedOption>>,
    /// The modal (or Home tab) it happened in; `None` in a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ActionView>,
}

/// The view a click or choice happened in: its id, to replace it with
/// [`Cx::update_modal`](crate::Cx::update_modal), and what its inputs hold at that moment
/// (the user has not submitted it yet).
///
/// ```
/// # use orchestrator_core::{ActionView, Field};
/// let view = ActionView { view_id: "V1".into(), fields: vec![
///     Field { block_id: "b".into(), action_id: "title".into(), values: vec!["Draft".into()], files: vec![] }] };
/// assert_eq!(view.value("title"), Some("Draft"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    /// The view's id.
    pub view_id: String,
    /// Every input's value so far.
    pub fields: Vec<Field>,
}

impl ActionView {
    /// The value of the input with this `action_id` (in any block), as typed or chosen so far.
    pub fn value(&self, action_id: &str) -> Option<&str> {
        first_value(&self.fields, action_id)
    }
}

/// The first value of the input with this `action_id` among `fields`.
fn first_value<'f>(fields: &'f [Field], action_id: &str) -> Option<&'f str> {
    let field = fields.iter().find(|f| f.action_id == action_id)?;
    field.values.first().map(String::as_str)
}

/// One chosen option of a select menu.
///
/// ```
/// use orchestrator_core::{Incoming, Payload};
/// let picked = serde_json::json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "channel": {"id": "D1"}, "message": {"ts": "1.1"}, "trigger_id": "1.2",
///     "actions": [{"type": "datepicker", "action_id": "day", "block_id": "b", "selected_date": "2026-12-24"}]});
/// let Payload::Action(action) = Incoming::from_json(&picked).unwrap().unwrap().payload else { panic!() };
/// assert_eq!(action.selected.unwrap().value, "2026-12-24");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectedOption {
    /// The option's value: the option `value`, a user / conversation / channel id, or a
    /// picker's date (`2026-12-24`), time (`09:30`) or date-time (Unix seconds).
    pub value: String,
    /// The option's visible text, where Slack sends it.
    pub label: Option<String>,
}

/// A submitted modal (`view_submission`).
///
/// ```
/// use orchestrator_core::{Incoming, Payload};
/// let submitted = serde_json::json!({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "view": {"id": "V1", "callback_id": "ticket", "private_metadata": "",
///              "state": {"values": {"b1": {"title": {"type": "plain_text_input", "value": "Printer"}}}}}});
/// let Payload::ViewSubmission(view) = Incoming::from_json(&submitted).unwrap().unwrap().payload else { panic!() };
/// assert_eq!((view.callback_id.as_str(), view.value("title")), ("ticket", Some("Printer")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSubmission {
    /// The view's id.
    pub view_id: String,
    /// The `callback_id` the bot gave the view.
    pub callback_id: String,
    /// Every input's value.
    pub fields: Vec<Field>,
}

impl ViewSubmission {
    /// The value of the input with this `action_id` (in any block).
    ///
    /// ```
    /// # use orchestrator_core::{ViewSubmission, Field};
    /// let view = ViewSubmission { view_id: "V1".into(), callback_id: "cb".into(), fields: vec![
    ///     Field { block_id: "b".into(), action_id: "title".into(), values: vec!["Hi".into()], files: vec![] }] };
    /// assert_eq!(view.value("title"), Some("Hi"));
    /// ```
    pub fn value(&self, action_id: &str) -> Option<&str> {
        first_value(&self.fields, action_id)
    }

    /// The input with this `action_id`.
    ///
    /// ```
    /// # use orchestrator_core::{ViewSubmission, Field};
    /// let view = ViewSubmission { view_id: "V1".into(), callback_id: "cb".into(), fields: vec![
    ///     Field { block_id: "b".into(), action_id: "tags".into(), values: vec!["red".into(), "blue".into()], files: vec![] }] };
    /// assert_eq!(view.field("tags").unwrap().values, ["red", "blue"], "every choice of a multi-select");
    /// assert!(view.field("title").is_none());
    /// ```
    pub fn field(&self, action_id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.action_id == action_id)
    }
}

/// One input of a submitted modal.
///
/// ```
/// use orchestrator_core::{Incoming, Payload};
/// let submitted = serde_json::json!({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "view": {"id": "V1", "callback_id": "invite", "private_metadata": "",
///              "state": {"values": {"who": {"people": {"type": "multi_users_select",
///                                                      "selected_users": ["U2", "U3"]}}}}}});
/// let Payload::ViewSubmission(view) = Incoming::from_json(&submitted).unwrap().unwrap().payload else { panic!() };
/// let field = view.field("people").unwrap();
/// assert_eq!((field.block_id.as_str(), field.values.as_slice()), ("who", &["U2".to_owned(), "U3".to_owned()][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The input block's `block_id`.
    pub block_id: String,
    /// The element's `action_id`.
    pub action_id: String,
    /// The entered or chosen values (several for multi-selects, none when left empty): a
    /// rich text input's text as mrkdwn (as a typed message's), a file input's file ids.
    pub values: Vec<String>,
    /// A file input's files, with their names and download URLs (empty for other inputs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
}

/// A file attached to a message.
///
/// ```
/// use orchestrator_core::{Files, FromInput, Incoming};
/// let shared = serde_json::json!({"type": "message", "subtype": "file_share", "channel": "D1",
///     "channel_type": "im", "user": "U1", "text": "", "ts": "1.1", "team": "T1",
///     "files": [{"id": "F1", "name": "plan.pdf", "mimetype": "application/pdf", "size": 1024,
///                "url_private": "https://files.slack.com/files-pri/T1-F1/plan.pdf"}]});
/// let files = Files::from_input(&Incoming::from_json(&shared).unwrap().unwrap()).unwrap();
/// assert_eq!((files[0].id.as_str(), files[0].name.as_deref(), files[0].size), ("F1", Some("plan.pdf"), Some(1024)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// Slack's file id (`F…`).
    pub id: String,
    /// The file name.
    pub name: Option<String>,
    /// The MIME type.
    pub mimetype: Option<String>,
    /// The download URL (needs the bot token).
    pub url_private: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
}

/// A slash command invocation.
///
/// ```
/// use orchestrator_core::{Incoming, Payload, SlashCommand};
/// let form = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fapprove&text=deploy+v2&trigger_id=1.2";
/// let incoming = Incoming::from_slash_command(form).unwrap();
/// let expected = SlashCommand { command: "/approve".into(), text: "deploy v2".into() };
/// assert_eq!(incoming.payload, Payload::Command(expected));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashCommand {
    /// The command, with its slash: `/approve`.
    pub command: String,
    /// Everything the user typed after the command.
    pub text: String,
}

impl Incoming {
    /// Whether this event has the given [`MessageType`].
    ///
    /// ```
    /// use orchestrator_core::{Incoming, MessageType};
    /// let mention = Incoming::from_json(&serde_json::json!({"type": "app_mention", "channel": "C1", "user": "U1",
    ///     "text": "<@U0BOT> deploy", "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// assert!(mention.has(MessageType::Mention) && mention.has(MessageType::Channel));
    /// assert!(!mention.has(MessageType::Direct));
    /// ```
    pub fn has(&self, kind: MessageType) -> bool {
        self.types.contains(&kind)
    }

    /// The text of a message, mention or slash command.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, MessageType};
    /// let mention = Incoming::from_json(&serde_json::json!({"type": "app_mention", "channel": "C1", "user": "U1",
    ///     "text": "<@U0BOT> deploy", "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// assert_eq!(mention.text(), Some("deploy"), "the mention of the bot removed");
    /// ```
    pub fn text(&self) -> Option<&str> {
        match &self.payload {
            Payload::Message { text, .. } => Some(text),
            Payload::Command(command) => Some(&command.text),
            _ => None,
        }
    }

    /// `true` unless the event is an edit, a deletion, a bot's message or similar (or a timeout).
    ///
    /// ```
    /// use orchestrator_core::{Incoming, MessageType};
    /// let mention = Incoming::from_json(&serde_json::json!({"type": "app_mention", "channel": "C1", "user": "U1",
    ///     "text": "<@U0BOT> deploy", "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// assert!(mention.is_user_input());
    /// let deleted = Incoming::from_json(&serde_json::json!({"type": "message", "subtype": "message_deleted",
    ///     "channel": "C1", "ts": "1.2", "team": "T1"})).unwrap().unwrap();
    /// assert!(!deleted.is_user_input());
    /// ```
    pub fn is_user_input(&self) -> bool {
        !matches!(
            self.payload,
            Payload::NotInput(_) | Payload::Timeout { .. } | Payload::Started { .. } | Payload::Signal(_)
        )
    }

    /// The event the timer engine hands a step whose deadline passed: in the flow's
    /// conversation, from the user who started it.
    ///
    /// ```
    /// # use orchestrator_core::{Incoming, MessageContext, Payload};
    /// let now = chrono::Utc::now();
    /// let timeout = Incoming::timeout(MessageContext::new("T1", "U1", "D1"), now);
    /// assert_eq!(timeout.payload, Payload::Timeout { deadline: now });
    /// assert!(!timeout.is_user_input());
    /// ```
    pub fn timeout(context: MessageContext, deadline: chrono::DateTime<chrono::Utc>) -> Incoming {
        Incoming::bare(context, BTreeSet::new(), Payload::Timeout { deadline })
    }

    /// An event of `payload` in `context`, and nothing else known: no event id, message
    /// `ts`, flow, trigger id, response URL or workflow token.
    pub(crate) fn bare(context: MessageContext, types: BTreeSet<MessageType>, payload: Payload) -> Incoming {
        Incoming {
            context,
            types,
            payload,
            event_id: None,
            ts: None,
            flow_id: None,
            trigger_id: None,
            response_url: None,
            workflow_token: None,
        }
    }

    /// What starts flow `id` from code, as `start` asks: no Slack event, no input for a
    /// handler. Its key ([`Incoming::dedup_key`]) is the flow's id, so a start asked for
    /// again (a step run again after a crash) is the same event.
    ///
    /// ```
    /// # use orchestrator_core::{FlowStart, Incoming, MessageContext, Payload, StoredStep};
    /// let id = uuid::Uuid::nil();
    /// let step = StoredStep::from(serde_json::json!("Ask"));
    /// let start = FlowStart { flow: "standup".into(), context: MessageContext::new("T1", "U1", "D1"), step: step.clone() };
    /// let started = Incoming::started(start, id);
    /// assert_eq!(started.payload, Payload::Started { flow: "standup".into(), step: step.to_value() });
    /// assert_eq!(started.dedup_key(), Some(format!("start:{id}")));
    /// let stored = serde_json::to_string(&started).unwrap();
    /// assert_eq!(serde_json::from_str::<Incoming>(&stored).unwrap(), started, "kept as received, read back");
    /// assert!(!started.is_user_input());
    /// ```
    pub fn started(start: FlowStart, id: Uuid) -> Incoming {
        let FlowStart { flow, context, step } = start;
        Incoming {
            payload: Payload::Started {
                flow,
                step: step.to_value(),
            },
            flow_id: Some(id),
            ..Incoming::timeout(context, chrono::DateTime::<chrono::Utc>::MIN_UTC)
        }
    }

    /// The key under which a repeated delivery of this same event is recognised: the
    /// `event_id` for Events API callbacks, the `trigger_id` for interactions and commands.
    ///
    /// ```
    /// # use orchestrator_core::Incoming;
    /// let event = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev9",
    ///     "event": {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hi", "ts": "1.1"}});
    /// assert_eq!(Incoming::from_json(&event).unwrap().unwrap().dedup_key().as_deref(), Some("event:Ev9"));
    /// ```
    pub fn dedup_key(&self) -> Option<String> {
        match (&self.payload, self.flow_id) {
            (Payload::Started { .. }, Some(id)) => return Some(format!("start:{id}")),
            (Payload::Signal(signal), Some(id)) => return Some(format!("signal:{id}:{}", signal.id)),
            _ => {}
        }
        // `concat`, not `format!`: one allocation of the right size, for every event.
        if let Some(id) = &self.event_id {
            return Some(["event:", id].concat());
        }
        self.trigger_id.as_ref().map(|t| ["trigger:", t].concat())
    }
}
