//! Who is talking, where: [`MessageContext`], the [`MessageType`]s of an event, and the
//! [`ConversationKey`] that routes an event to the flow living in that conversation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of Slack input an event is. One event usually has several (a reply in a
/// thread of a channel is `Text`, `Thread` and `Channel`).
///
/// ```
/// # use orchestrator_core::MessageType;
/// // Stored and logged in Slack's style.
/// assert_eq!(serde_json::to_string(&MessageType::Direct).unwrap(), r#""DIRECT""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageType {
    /// The event carries text typed by a user (messages, mentions, slash command text).
    Text,
    /// A click or a choice on an interactive component, or a modal submission.
    Interactive,
    /// A message with files attached.
    File,
    /// A message inside a thread.
    Thread,
    /// A direct message with the bot (an `im` channel).
    Direct,
    /// A message in a public or private channel (or a group DM).
    Channel,
    /// The bot was @-mentioned.
    Mention,
}

/// The conversation an event belongs to, as in the original `MessageContext`, plus the team.
///
/// ```
/// use orchestrator_core::MessageContext;
/// let cx = MessageContext::new("T1", "U1", "C1").in_thread("1700000000.000100");
/// assert_eq!(cx.conversation_key().as_str(), "T1/C1/1700000000.000100");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageContext {
    /// The workspace (`T…`).
    pub team_id: String,
    /// The user who sent the event (`U…` or `W…`).
    pub user_id: String,
    /// The channel (`C…`, `G…`) or direct-message channel (`D…`).
    pub channel_id: String,
    /// The root of the thread the conversation lives in, if it lives in one.
    pub thread_ts: Option<String>,
}

impl MessageContext {
    /// A context outside any thread.
    ///
    /// ```
    /// use orchestrator_core::MessageContext;
    /// let dm = MessageContext::new("T1", "U1", "D1");
    /// assert_eq!((dm.team_id.as_str(), dm.user_id.as_str(), dm.channel_id.as_str()), ("T1", "U1", "D1"));
    /// assert_eq!(dm.thread_ts, None);
    /// ```
    pub fn new(team_id: impl Into<String>, user_id: impl Into<String>, channel_id: impl Into<String>) -> Self {
        MessageContext {
            team_id: team_id.into(),
            user_id: user_id.into(),
            channel_id: channel_id.into(),
            thread_ts: None,
        }
    }

    /// The same context, inside the thread rooted at `thread_ts`.
    ///
    /// ```
    /// use orchestrator_core::MessageContext;
    /// let thread = MessageContext::new("T1", "U1", "C1").in_thread("1.2");
    /// assert_eq!(thread.conversation_key().as_str(), "T1/C1/1.2", "a thread is a conversation of its own");
    /// ```
    pub fn in_thread(mut self, thread_ts: impl Into<String>) -> Self {
        self.thread_ts = Some(thread_ts.into());
        self
    }

    /// The run of a Workflow Builder custom step this conversation is, if it is one: its
    /// `function_execution_id` (the conversation's channel is `function:ID`).
    ///
    /// ```
    /// # use orchestrator_core::MessageContext;
    /// assert_eq!(MessageContext::new("T1", "", "function:Fx1").function_execution_id(), Some("Fx1"));
    /// assert_eq!(MessageContext::new("T1", "U1", "D1").function_execution_id(), None);
    /// ```
    pub fn function_execution_id(&self) -> Option<&str> {
        self.channel_id.strip_prefix(FUNCTION_PREFIX)
    }

    /// The user whose Home tab this conversation is, if it is one (its channel is
    /// `home:USER`).
    ///
    /// ```
    /// # use orchestrator_core::MessageContext;
    /// assert_eq!(MessageContext::new("T1", "U1", "home:U1").home_of(), Some("U1"));
    /// assert_eq!(MessageContext::new("T1", "U1", "D1").home_of(), None);
    /// ```
    pub fn home_of(&self) -> Option<&str> {
        self.channel_id.strip_prefix(HOME_PREFIX)
    }

    /// `true` for a direct-message channel (Slack gives those ids starting with `D`).
    ///
    /// ```
    /// # use orchestrator_core::MessageContext;
    /// assert!(MessageContext::new("T1", "U1", "D042").is_direct());
    /// ```
    pub fn is_direct(&self) -> bool {
        self.channel_id.starts_with('D')
    }

    /// The key of the conversation this context is part of: a thread is one conversation
    /// (in a DM too: each thread of an assistant app is a chat of its own); outside threads
    /// a DM channel is one, and in a channel each user has their own (a conversation of no
    /// user, a workflow step's run, is its channel).
    ///
    /// ```
    /// # use orchestrator_core::MessageContext;
    /// assert_eq!(MessageContext::new("T1", "U1", "D9").conversation_key().as_str(), "T1/D9");
    /// assert_eq!(MessageContext::new("T1", "U1", "D9").in_thread("1.2").conversation_key().as_str(), "T1/D9/1.2");
    /// assert_eq!(MessageContext::new("T1", "U1", "C9").conversation_key().as_str(), "T1/C9@U1");
    /// assert_eq!(MessageContext::new("T1", "", "function:Fx1").conversation_key().as_str(), "T1/function:Fx1");
    /// ```
    pub fn conversation_key(&self) -> ConversationKey {
        // `concat`, not `format!`: one allocation of the right size, for every event.
        let (separator, last) = match (&self.thread_ts, self.is_direct()) {
            (Some(thread), _) => ("/", thread.as_str()),
            (None, true) => ("", ""),
            (None, false) if self.user_id.is_empty() => ("", ""),
            (None, false) => ("@", self.user_id.as_str()),
        };
        let key = [self.team_id.as_str(), "/", &self.channel_id, separator, last].concat();
        ConversationKey(key)
    }
}

/// Whether `id` is a user's (`U…`, or `W…` in an Enterprise Grid org): as a channel, it
/// names the app's DM with that user, where `chat.postMessage` puts a post to it (other
/// methods, `conversations.history` say, need the DM's own `D…` id).
///
/// ```
/// use orchestrator_core::is_user_id;
/// assert!(is_user_id("U042") && is_user_id("W042"));
/// assert!(!is_user_id("D042") && !is_user_id("C042"));
/// ```
pub fn is_user_id(id: &str) -> bool {
    id.starts_with(['U', 'W'])
}

/// The channel of a user's Home tab: `home:` and the user id.
pub(crate) const HOME_PREFIX: &str = "home:";

/// The channel of a custom step's run: `function:` and its execution id.
pub(crate) const FUNCTION_PREFIX: &str = "function:";

/// Identifies one conversation; at most one flow is active per key.
///
/// ```
/// # use orchestrator_core::MessageContext;
/// let dm = MessageContext::new("T1", "U1", "D1").conversation_key();
/// let channel = MessageContext::new("T1", "U1", "C1").conversation_key();
/// assert_ne!(dm, channel);
/// assert!(dm.as_str().starts_with("T1/D1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationKey(pub String);

impl ConversationKey {
    /// The key as text, the form stores index on.
    ///
    /// ```
    /// use orchestrator_core::MessageContext;
    /// assert_eq!(MessageContext::new("T1", "U1", "D1").conversation_key().as_str(), "T1/D1");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConversationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
