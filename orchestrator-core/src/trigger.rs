//! [`Trigger`]: which events start a new flow.

use crate::context::MessageType;
use crate::incoming::{Incoming, Payload};
use regex::Regex;
use std::fmt;

/// An event kind that starts a flow when no flow is active in the conversation.
///
/// ```
/// use orchestrator_core::{Incoming, Trigger};
/// let event = serde_json::json!({"type": "message", "channel": "C1", "user": "U1",
///     "text": "please deploy v2", "ts": "1.1", "team": "T1"});
/// let incoming = Incoming::from_json(&event).unwrap().unwrap();
/// assert!(Trigger::keyword("deploy").matches(&incoming));
/// assert!(Trigger::regex(r"deploy v\d").unwrap().matches(&incoming));
/// assert!(!Trigger::Mention.matches(&incoming));
/// ```
#[derive(Clone)]
pub enum Trigger {
    /// The bot is @-mentioned in a channel.
    Mention,
    /// A direct message to the bot.
    DirectMessage,
    /// A slash command, e.g. `/approve`.
    Command(String),
    /// A message containing this word (case-insensitive).
    Keyword(String),
    /// A message matching this regular expression.
    Regex(Regex),
    /// The user opened the app's Home tab (`app_home_opened`). The flow publishes their
    /// view (`Cx::publish_home`); what it says goes to their DM with the app.
    AppHome,
    /// A user joined a channel the bot is in (`member_joined_channel`): a welcome. The flow
    /// talks with them at the top of that channel; it may also write to them elsewhere
    /// (`Cx::open_dm`, `Cx::post_to`) and ask with buttons there, whose clicks come back to it.
    MemberJoined,
    /// A new member joined the workspace (`team_join`): onboarding. The flow talks with
    /// them in their DM with the app, as a global shortcut's does (what they type there
    /// answers it); the workspace's new bots start nothing.
    TeamJoin,
    /// The user opened a thread with the app in Slack's assistant container
    /// (`assistant_thread_started`): the flow lives in that thread (`Cx::set_status`,
    /// `Cx::suggest_prompts`, `Cx::set_title`).
    Assistant,
    /// A global or message shortcut with this `callback_id`. A global shortcut's flow talks
    /// in the user's DM with the app; what the user types there (at the top of the DM, or in
    /// the thread under one of the flow's messages) is its input while it is active and has
    /// posted there, unless a flow of the DM's own is active. A message shortcut's flow
    /// talks in the message's channel.
    Shortcut(String),
    /// A workflow ran the app's custom step with this `callback_id` (`function_executed`).
    Function(String),
    /// A click on an element with this `action_id` that belongs to no flow yet
    /// (e.g. a "Start" button on a message posted by hand or on App Home). A click on Home
    /// (or in a modal) has no channel: the flow talks in the user's DM with the app, and
    /// what they type there answers it, as for a global shortcut.
    Action(String),
}

impl Trigger {
    /// A slash-command trigger.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let form = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fdeploy&text=v2&trigger_id=1.2";
    /// let deploy = Incoming::from_slash_command(form).unwrap();
    /// assert!(Trigger::command("/deploy").matches(&deploy));
    /// assert!(!Trigger::command("/rollback").matches(&deploy));
    /// ```
    pub fn command(command: impl Into<String>) -> Self {
        Trigger::Command(command.into())
    }

    /// A keyword trigger.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let dm = |text: &str| Incoming::from_json(&serde_json::json!({"type": "message", "channel": "D1",
    ///     "channel_type": "im", "user": "U1", "text": text, "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// let help = Trigger::keyword("Help"); // a whole word, in any case
    /// assert!(help.matches(&dm("I need HELP, please")));
    /// assert!(!help.matches(&dm("helpdesk")));
    /// ```
    pub fn keyword(word: impl Into<String>) -> Self {
        Trigger::Keyword(word.into().to_lowercase())
    }

    /// A regular-expression trigger; the pattern is checked here.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let dm = |text: &str| Incoming::from_json(&serde_json::json!({"type": "message", "channel": "D1",
    ///     "channel_type": "im", "user": "U1", "text": text, "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// let ticket = Trigger::regex(r"^(?i)ticket #\d+").unwrap();
    /// assert!(ticket.matches(&dm("Ticket #42 is back")));
    /// assert!(Trigger::regex("(unclosed").is_err(), "checked when the flow is declared");
    /// ```
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        Regex::new(pattern).map(Trigger::Regex)
    }

    /// A shortcut trigger (global or message shortcut with this `callback_id`).
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let used = Incoming::from_json(&serde_json::json!({"type": "shortcut", "callback_id": "new_ticket",
    ///     "trigger_id": "1.2", "user": {"id": "U1"}, "team": {"id": "T1"}})).unwrap().unwrap();
    /// assert!(Trigger::shortcut("new_ticket").matches(&used));
    /// ```
    pub fn shortcut(callback_id: impl Into<String>) -> Self {
        Trigger::Shortcut(callback_id.into())
    }

    /// A Workflow Builder custom step trigger (the step's `callback_id` in the manifest).
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let ran = Incoming::from_json(&serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
    ///     "event": {"type": "function_executed", "function": {"callback_id": "approve"}, "inputs": {},
    ///               "function_execution_id": "Fx1", "workflow_execution_id": "Wx1", "event_ts": "1.1"}})).unwrap().unwrap();
    /// assert!(Trigger::function("approve").matches(&ran));
    /// ```
    pub fn function(callback_id: impl Into<String>) -> Self {
        Trigger::Function(callback_id.into())
    }

    /// An interactive-action trigger.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// // A "Start" button on a message posted by hand (its block is no flow's).
    /// let clicked = Incoming::from_json(&serde_json::json!({"type": "block_actions", "user": {"id": "U1"},
    ///     "team": {"id": "T1"}, "channel": {"id": "C1"}, "message": {"ts": "1.1"}, "trigger_id": "1.2",
    ///     "actions": [{"type": "button", "action_id": "start_survey", "block_id": "b"}]})).unwrap().unwrap();
    /// assert!(Trigger::action("start_survey").matches(&clicked));
    /// ```
    pub fn action(action_id: impl Into<String>) -> Self {
        Trigger::Action(action_id.into())
    }

    /// Whether `incoming` starts a flow with this trigger.
    ///
    /// ```
    /// use orchestrator_core::{Incoming, Trigger};
    /// let dm = |text: &str| Incoming::from_json(&serde_json::json!({"type": "message", "channel": "D1",
    ///     "channel_type": "im", "user": "U1", "text": text, "ts": "1.1", "team": "T1"})).unwrap().unwrap();
    /// assert!(Trigger::DirectMessage.matches(&dm("hi")));
    /// assert!(!Trigger::Mention.matches(&dm("hi")), "a DM is no mention");
    /// ```
    pub fn matches(&self, incoming: &Incoming) -> bool {
        let message = match &incoming.payload {
            Payload::Message { text, .. } => Some(text.as_str()),
            _ => None,
        };
        match self {
            Trigger::Mention => incoming.has(MessageType::Mention),
            Trigger::DirectMessage => incoming.has(MessageType::Direct) && message.is_some(),
            Trigger::Command(c) => matches!(&incoming.payload, Payload::Command(cmd) if cmd.command == *c),
            Trigger::Keyword(word) => message.is_some_and(|t| {
                t.to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == word)
            }),
            Trigger::Regex(re) => message.is_some_and(|t| re.is_match(t)),
            Trigger::AppHome => matches!(incoming.payload, Payload::AppHomeOpened),
            Trigger::MemberJoined => matches!(incoming.payload, Payload::MemberJoined { .. }),
            Trigger::TeamJoin => matches!(incoming.payload, Payload::TeamJoined),
            Trigger::Assistant => matches!(&incoming.payload, Payload::Assistant(thread) if thread.opened),
            Trigger::Function(id) => matches!(&incoming.payload, Payload::Function(run) if run.callback_id == *id),
            Trigger::Shortcut(id) => matches!(&incoming.payload, Payload::Shortcut(s) if s.callback_id == *id),
            Trigger::Action(id) => {
                incoming.flow_id.is_none() && matches!(&incoming.payload, Payload::Action(a) if a.action_id == *id)
            }
        }
    }
}

impl fmt::Debug for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Mention => f.write_str("mention"),
            Trigger::DirectMessage => f.write_str("direct_message"),
            Trigger::Command(c) => write!(f, "command({c:?})"),
            Trigger::Keyword(k) => write!(f, "keyword({k:?})"),
            Trigger::Regex(r) => write!(f, "regex({:?})", r.as_str()),
            Trigger::Action(a) => write!(f, "action({a:?})"),
            Trigger::Shortcut(s) => write!(f, "shortcut({s:?})"),
            Trigger::Function(s) => write!(f, "function({s:?})"),
            Trigger::AppHome => f.write_str("app_home"),
            Trigger::MemberJoined => f.write_str("member_joined"),
            Trigger::TeamJoin => f.write_str("team_join"),
            Trigger::Assistant => f.write_str("assistant"),
        }
    }
}
