//! The typed inputs a step handler can ask for: [`Text`], [`Click`], [`Selection`],
//! [`Submission`], [`Files`], [`Command`], [`Joined`], or the whole [`Incoming`]. A handler runs only
//! when the event converts into its input type ([`FromInput`]).

use crate::incoming::{
    ActionView, AssistantThread, File, FunctionRun, Incoming, Payload, ShortcutUse, SlashCommand, ViewSubmission,
};
use std::fmt;
use std::ops::Deref;

/// Converts an event into a step input; `None` when the event is not that kind of input.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Text, Click};
/// let event = serde_json::json!({"type": "message", "channel": "D1", "channel_type": "im",
///     "user": "U1", "text": "Alice", "ts": "1.1", "team": "T1"});
/// let incoming = Incoming::from_json(&event).unwrap().unwrap();
/// assert_eq!(Text::from_input(&incoming).unwrap().as_str(), "Alice");
/// assert!(Click::from_input(&incoming).is_none());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an input a step can receive",
    label = "not a step input",
    note = "a step handler takes `cx: &mut Cx`, then the fields of its step, then at most one input: `Text`, `Click`, `Selection`, `Submission`, `Files`, `Command`, `Shortcut`, `Reaction`, `Joined`, `AssistantThread`, `FunctionRun`, `Signal`, `Timeout` or `Incoming`",
    note = "a parameter meant to bind a field of the step must be named in the `#[step(...)]` pattern, e.g. `#[step(AskHelp {{ name }})]`"
)]
pub trait FromInput: Sized + Send + 'static {
    /// The name shown on transition-graph edges, e.g. `Text`.
    const NAME: &'static str;
    /// Extracts the input, or `None` if this event is not one.
    fn from_input(incoming: &Incoming) -> Option<Self>;
}

/// The text of a message (mentions of the bot removed). Empty messages are not `Text`.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Text};
/// let mention = serde_json::json!({"type": "app_mention", "channel": "C1", "user": "U1",
///     "text": "<@U0BOT> deploy v2", "ts": "1.1", "team": "T1"});
/// let incoming = Incoming::from_json(&mention).unwrap().unwrap();
/// let text = Text::from_input(&incoming).unwrap();
/// assert!(text.ends_with("deploy v2")); // reads as a `&str`
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(pub String);

impl Text {
    /// The text.
    ///
    /// ```
    /// # use orchestrator_core::Text;
    /// let said = Text("hello".into());
    /// assert_eq!(said.as_str(), "hello");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0
    }
}

impl FromInput for Text {
    const NAME: &'static str = "Text";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Message { text, .. } if !text.trim().is_empty() => Some(Text(text.trim().to_owned())),
            _ => None,
        }
    }
}

/// An emoji reaction a user added to (or removed from) a message in the flow's
/// conversation: "react with :white_check_mark: to approve". In a DM with the bot, in a
/// channel for a flow of that user's there (started by a slash command), or on a message
/// the bot posted for a flow: in the flow's thread (a mention's), or anywhere else the flow
/// posted it (an approver's DM). Slack's event names neither, so the engine asks Slack
/// where the message is (`conversations.replies`, with the `channels:history` scope or its
/// like: the thread's root, and the flow's tag in the root's metadata). Slack sends
/// reactions with the `reactions:read` scope and the `reaction_added` (and
/// `reaction_removed`) events.
///
/// ```
/// # use orchestrator_core::{FromInput, Incoming, Reaction};
/// let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "reaction_added", "user": "U1", "reaction": "x",
///               "item": {"type": "message", "channel": "D1", "ts": "1.2"}}});
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!(Reaction::from_input(&incoming).unwrap().name, "x");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The emoji's name, without colons (`white_check_mark`, `+1`).
    pub name: String,
    /// Added (`true`) or removed.
    pub added: bool,
    /// The `ts` of the message it is on.
    pub message_ts: Option<String>,
    /// Whose message it is, if Slack says.
    pub message_user: Option<String>,
}

impl FromInput for Reaction {
    const NAME: &'static str = "Reaction";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Reaction {
                name,
                added,
                message_user,
            } => Some(Reaction {
                name: name.clone(),
                added: *added,
                message_ts: incoming.ts.clone(),
                message_user: message_user.clone(),
            }),
            _ => None,
        }
    }
}

/// A user joined a channel the bot is in: the start of a flow with `trigger =
/// member_joined` (a welcome), which takes it to learn where and from whom.
///
/// ```
/// # use orchestrator_core::{FromInput, Incoming, Joined};
/// let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "member_joined_channel", "user": "U2", "channel": "C1",
///               "channel_type": "C", "team": "T1", "inviter": "U1"}});
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// let joined = Joined::from_input(&incoming).unwrap();
/// assert_eq!((joined.channel.as_str(), joined.inviter.as_deref()), ("C1", Some("U1")));
/// assert_eq!(incoming.context.user_id, "U2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The channel joined.
    pub channel: String,
    /// Who added them, if someone did (absent when they joined by themselves).
    pub inviter: Option<String>,
}

impl FromInput for Joined {
    const NAME: &'static str = "Joined";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::MemberJoined { inviter } => Some(Joined {
                channel: incoming.context.channel_id.clone(),
                inviter: inviter.clone(),
            }),
            _ => None,
        }
    }
}

impl FromInput for AssistantThread {
    const NAME: &'static str = "AssistantThread";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Assistant(thread) => Some(thread.clone()),
            _ => None,
        }
    }
}

impl FromInput for FunctionRun {
    const NAME: &'static str = "FunctionRun";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Function(run) => Some(run.clone()),
            _ => None,
        }
    }
}

/// A click on a button.
///
/// ```
/// use orchestrator_core::{Click, FromInput, Incoming, Text};
/// let clicked = serde_json::json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "channel": {"id": "D1"}, "message": {"ts": "1700000000.000100"}, "trigger_id": "1.2",
///     "actions": [{"type": "button", "action_id": "approve", "block_id": "b", "value": "yes"}]});
/// let incoming = Incoming::from_json(&clicked).unwrap().unwrap();
/// let click = Click::from_input(&incoming).unwrap();
/// assert_eq!((click.action_id.as_str(), click.value.as_deref()), ("approve", Some("yes")));
/// assert_eq!(click.message_ts.as_deref(), Some("1700000000.000100")); // to update that message
/// assert!(Text::from_input(&incoming).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// The button's `action_id`.
    pub action_id: String,
    /// The button's `value`.
    pub value: Option<String>,
    /// The `ts` of the message the button is on, to update it.
    pub message_ts: Option<String>,
    /// The modal the button is in: its id, to update it (`Cx::update_modal`), and what its
    /// inputs hold so far; `None` in a message.
    pub view: Option<ActionView>,
}

impl FromInput for Click {
    const NAME: &'static str = "Click";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Action(a) if a.element == "button" => Some(Click {
                action_id: a.action_id.clone(),
                value: a.value.clone(),
                message_ts: incoming.ts.clone(),
                view: a.view.clone(),
            }),
            _ => None,
        }
    }
}

/// A choice in a select menu (static options, users, conversations, channels) or a date,
/// time or date-time picker; or the checked boxes of `checkboxes`, or the items of a
/// multi-select, each time the user changes them.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Selection};
/// let chosen = serde_json::json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "channel": {"id": "D1"}, "message": {"ts": "1.1"}, "trigger_id": "1.2",
///     "actions": [{"type": "static_select", "action_id": "size", "block_id": "b",
///                  "selected_option": {"value": "l", "text": {"type": "plain_text", "text": "Large"}}}]});
/// let selection = Selection::from_input(&Incoming::from_json(&chosen).unwrap().unwrap()).unwrap();
/// assert_eq!((selection.value.as_str(), selection.label.as_deref()), ("l", Some("Large")));
/// assert_eq!(selection.values, ["l"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The menu's `action_id`.
    pub action_id: String,
    /// The chosen value (option value, user id, conversation id, `2026-12-24`, `09:30`, or a
    /// date-time as Unix seconds); for checkboxes or a multi-select, the first of `values`
    /// (empty when none is left).
    pub value: String,
    /// The chosen option's text, for static menus.
    pub label: Option<String>,
    /// Every chosen value: `value` alone for a menu or picker; every checked box or chosen
    /// item of checkboxes or a multi-select, in Slack's order (none when the user cleared them).
    pub values: Vec<String>,
    /// The `ts` of the message the menu is on.
    pub message_ts: Option<String>,
    /// The modal the menu is in (a `dispatch_action` input, or a menu in a section), as
    /// for a [`Click`].
    pub view: Option<ActionView>,
}

impl FromInput for Selection {
    const NAME: &'static str = "Selection";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Action(a) => {
                let chosen = match (&a.selected, &a.selected_many) {
                    (Some(one), _) => std::slice::from_ref(one),
                    (None, Some(many)) => many.as_slice(),
                    (None, None) => return None,
                };
                let first = chosen.first();
                Some(Selection {
                    action_id: a.action_id.clone(),
                    value: first.map(|o| o.value.clone()).unwrap_or_default(),
                    label: first.and_then(|o| o.label.clone()),
                    values: chosen.iter().map(|o| o.value.clone()).collect(),
                    message_ts: incoming.ts.clone(),
                    view: a.view.clone(),
                })
            }
            _ => None,
        }
    }
}

/// A submitted modal; read values with [`ViewSubmission::value`].
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Submission};
/// let submitted = serde_json::json!({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
///     "view": {"id": "V1", "callback_id": "ticket", "private_metadata": "",
///              "state": {"values": {"title": {"title": {"type": "plain_text_input", "value": "Printer on fire"}}}}}});
/// let form = Submission::from_input(&Incoming::from_json(&submitted).unwrap().unwrap()).unwrap();
/// assert_eq!(form.value("title"), Some("Printer on fire"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission(pub ViewSubmission);

impl Deref for Submission {
    type Target = ViewSubmission;
    fn deref(&self) -> &ViewSubmission {
        &self.0
    }
}

impl FromInput for Submission {
    const NAME: &'static str = "Submission";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::ViewSubmission(view) => Some(Submission(view.clone())),
            _ => None,
        }
    }
}

/// The files of a message that has at least one.
///
/// ```
/// use orchestrator_core::{Files, FromInput, Incoming, Text};
/// let shared = serde_json::json!({"type": "message", "subtype": "file_share", "channel": "D1",
///     "channel_type": "im", "user": "U1", "text": "the receipt", "ts": "1.1", "team": "T1",
///     "files": [{"id": "F1", "name": "receipt.png"}]});
/// let incoming = Incoming::from_json(&shared).unwrap().unwrap();
/// assert_eq!(Files::from_input(&incoming).unwrap().len(), 1);
/// assert_eq!(Text::from_input(&incoming).unwrap().as_str(), "the receipt", "its text is `Text` too");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files(pub Vec<File>);

impl Deref for Files {
    type Target = [File];
    fn deref(&self) -> &[File] {
        &self.0
    }
}

impl FromInput for Files {
    const NAME: &'static str = "Files";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Message { files, .. } if !files.is_empty() => Some(Files(files.clone())),
            _ => None,
        }
    }
}

/// A slash command.
///
/// ```
/// use orchestrator_core::{Command, FromInput, Incoming};
/// let form = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fdeploy&text=v2&trigger_id=1.2";
/// let command = Command::from_input(&Incoming::from_slash_command(form).unwrap()).unwrap();
/// assert_eq!((command.command.as_str(), command.text.as_str()), ("/deploy", "v2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command(pub SlashCommand);

impl Deref for Command {
    type Target = SlashCommand;
    fn deref(&self) -> &SlashCommand {
        &self.0
    }
}

impl FromInput for Command {
    const NAME: &'static str = "Command";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Command(command) => Some(Command(command.clone())),
            _ => None,
        }
    }
}

/// A global or message shortcut (`trigger = shortcut("callback_id")`): its `trigger_id`
/// is the event's, so the handler can open a modal at once.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Shortcut};
/// let used = serde_json::json!({"type": "shortcut", "callback_id": "new_ticket", "trigger_id": "9.9",
///     "user": {"id": "U1"}, "team": {"id": "T1"}});
/// let incoming = Incoming::from_json(&used).unwrap().unwrap();
/// assert_eq!(Shortcut::from_input(&incoming).unwrap().callback_id, "new_ticket");
/// assert_eq!(incoming.trigger_id.as_deref(), Some("9.9"), "to open a modal at once");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcut(pub ShortcutUse);

impl Deref for Shortcut {
    type Target = ShortcutUse;
    fn deref(&self) -> &ShortcutUse {
        &self.0
    }
}

impl FromInput for Shortcut {
    const NAME: &'static str = "Shortcut";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Shortcut(shortcut) => Some(Shortcut(shortcut.clone())),
            _ => None,
        }
    }
}

/// The step's deadline passed. A step with a handler for it continues the flow on its
/// deadline instead of timing out: it may `goto` a reminder or escalation step, or `stay`
/// (with a new deadline); a step without one times out.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, MessageContext, Timeout};
/// let deadline = chrono::Utc::now();
/// let due = Incoming::timeout(MessageContext::new("T1", "U1", "D1"), deadline);
/// assert_eq!(Timeout::from_input(&due), Some(Timeout { deadline }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// The deadline that passed.
    pub deadline: chrono::DateTime<chrono::Utc>,
}

impl FromInput for Timeout {
    const NAME: &'static str = "Timeout";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Timeout { deadline } => Some(Timeout { deadline: *deadline }),
            _ => None,
        }
    }
}

/// Any user input, untyped.
impl FromInput for Incoming {
    const NAME: &'static str = "Incoming";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        incoming.is_user_input().then(|| incoming.clone())
    }
}
