//! [`FlowRecord`]: one conversation as it is persisted (the original's `ConversationFlow`).

use crate::context::{ConversationKey, MessageContext};
use crate::state::{FlowState, IllegalTransition};
use crate::stored_step::StoredStep;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How many messages a record keeps; older ones are dropped first.
///
/// ```
/// # use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext, MESSAGE_LOG_LIMIT};
/// let now = chrono::Utc::now();
/// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
/// for n in 0..60 {
///     r.log(LoggedMessage { direction: Direction::Inbound, user: Some("U1".into()), ts: None, text: n.to_string(), at: now, asks: false });
/// }
/// assert_eq!(r.messages.len(), MESSAGE_LOG_LIMIT);
/// assert_eq!(r.messages[0].text, "10", "the oldest went first");
/// ```
pub const MESSAGE_LOG_LIMIT: usize = 50;

/// How many applied event keys a record remembers (Slack retries an event at most three
/// times within minutes, so a conversation's recent events are plenty).
///
/// ```
/// # use orchestrator_core::{FlowRecord, MessageContext, APPLIED_LIMIT};
/// let now = chrono::Utc::now();
/// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
/// for n in 0..20 {
///     r.remember_applied(format!("event:Ev{n}"));
/// }
/// assert_eq!(r.applied.len(), APPLIED_LIMIT);
/// assert!(!r.has_applied("event:Ev0") && r.has_applied("event:Ev19"));
/// ```
pub const APPLIED_LIMIT: usize = 16;

/// A persisted flow.
///
/// ```
/// use orchestrator_core::{FlowRecord, FlowState, MessageContext};
/// let context = MessageContext::new("T1", "U1", "D1");
/// let mut record = FlowRecord::new("onboarding", 1, serde_json::json!("Welcome"), "Welcome", context, chrono::Utc::now());
/// assert_eq!(record.state, FlowState::Initiated);
/// record.set_state(FlowState::Processing).unwrap();
/// assert!(record.set_state(FlowState::Initiated).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowRecord {
    /// Unique id; also carried by the flow's buttons and modals.
    pub id: Uuid,
    /// The flow's registered name.
    pub flow: String,
    /// The flow definition's version when the record was written.
    pub flow_version: u32,
    /// Lifecycle state.
    pub state: FlowState,
    /// The current step, serialized (the step enum's serde form).
    pub step: StoredStep,
    /// The current step's variant name, for listings and logs.
    pub step_name: String,
    /// Where the conversation happens, and who started it.
    pub context: MessageContext,
    /// The conversation key the flow is routed by.
    pub key: ConversationKey,
    /// Users who may advance the flow; empty means anyone in the conversation.
    pub participants: Vec<String>,
    /// Free-form data the steps keep (the original's `metadata`).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The latest messages of the conversation, oldest first.
    pub messages: Vec<LoggedMessage>,
    /// When the flow started.
    pub created_at: DateTime<Utc>,
    /// When the record was last written.
    pub updated_at: DateTime<Utc>,
    /// When the flow times out if the user does not answer.
    pub deadline: Option<DateTime<Utc>>,
    /// Why the flow ended in ERROR, if it did.
    pub error: Option<Box<str>>,
    /// Incremented on every write; stores compare-and-swap on it.
    pub version: u64,
    /// The keys of the latest events applied to this flow, written with the change they
    /// made, so a replayed event is recognised whatever else was lost.
    #[serde(default)]
    pub applied: Vec<String>,
}

/// Who sent a [`LoggedMessage`].
///
/// ```
/// use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
/// let now = chrono::Utc::now();
/// let mut record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
/// let said = |direction, user: Option<&str>, ts: &str, text: &str| LoggedMessage {
///     direction, user: user.map(str::to_owned), ts: Some(ts.into()), text: text.into(), at: now, asks: false };
/// record.log(said(Direction::Inbound, Some("U1"), "1.1", "hi"));
/// record.log(said(Direction::Outbound, None, "1.2", "What's your name?"));
/// let said_by_bot = record.messages.iter().filter(|m| m.direction == Direction::Outbound).count();
/// assert_eq!(said_by_bot, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From a user to the bot.
    Inbound,
    /// From the bot.
    Outbound,
}

/// One message of the conversation, as kept on the record.
///
/// ```
/// use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
/// let now = chrono::Utc::now();
/// let mut record = FlowRecord::new("demo", 1, serde_json::json!("Start"), "Start", MessageContext::new("T1", "U1", "D1"), now);
/// record.log(LoggedMessage { direction: Direction::Inbound, user: Some("U1".into()), ts: Some("1.1".into()), text: "hi".into(), at: now, asks: false });
/// let message = &record.messages[0];
/// assert_eq!((message.user.as_deref(), message.ts.as_deref(), message.text.as_str()), (Some("U1"), Some("1.1"), "hi"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedMessage {
    /// Inbound or outbound.
    pub direction: Direction,
    /// The sender's user id, for inbound messages.
    pub user: Option<String>,
    /// Slack's `ts` of the message, when known.
    pub ts: Option<String>,
    /// The text (for clicks, a description such as `[clicked approve]`).
    pub text: String,
    /// When the orchestrator saw it.
    pub at: DateTime<Utc>,
    /// One of the bot's messages that ask the flow's current question: its buttons or
    /// menus answer the step the flow is in (see [`FlowRecord::left_question`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub asks: bool,
}

impl FlowRecord {
    /// The threads under the bot's messages in this flow's log, as conversation keys: a
    /// flow at the top of its conversation (a DM, a channel) takes a reply there (its
    /// question, answered in its thread) as said to it. None for a flow that talks in a
    /// thread.
    ///
    /// ```
    /// use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T1", "U1", "D1"), now);
    /// let said = |ts: Option<&str>| LoggedMessage { direction: Direction::Outbound, user: None, ts: ts.map(str::to_owned), text: "Ready?".into(), at: now, asks: false };
    /// record.messages = vec![said(Some("1.5")), said(None)];
    /// record.messages.push(LoggedMessage { direction: Direction::Inbound, ts: Some("1.6".into()), ..said(None) });
    /// let threads: Vec<String> = record.reply_threads().map(|key| key.to_string()).collect();
    /// assert_eq!(threads, ["T1/D1/1.5"]);
    /// ```
    pub fn reply_threads(&self) -> impl Iterator<Item = ConversationKey> + '_ {
        let at_top = self.context.thread_ts.is_none();
        let posted = self
            .messages
            .iter()
            .filter(move |m| at_top && m.direction == Direction::Outbound);
        posted
            .filter_map(|message| message.ts.as_deref())
            .map(|ts| self.context.clone().in_thread(ts).conversation_key())
    }

    /// A new record in state INITIATED at version 0 (not yet stored), with the context's
    /// user as its only participant.
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, FlowState, MessageContext};
    /// let now = chrono::Utc::now();
    /// let r = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), now);
    /// assert_eq!((r.state, r.version, r.key.as_str()), (FlowState::Initiated, 0, "T1/D1"));
    /// assert_eq!(r.participants, ["U1"]);
    /// ```
    pub fn new(
        flow: impl Into<String>,
        flow_version: u32,
        step: impl Into<StoredStep>,
        step_name: impl Into<String>,
        context: MessageContext,
        now: DateTime<Utc>,
    ) -> Self {
        FlowRecord {
            id: Uuid::new_v4(),
            flow: flow.into(),
            flow_version,
            state: FlowState::Initiated,
            step: step.into(),
            step_name: step_name.into(),
            key: context.conversation_key(),
            participants: vec![context.user_id.clone()],
            context,
            metadata: serde_json::Map::new(),
            messages: Vec::new(),
            created_at: now,
            updated_at: now,
            deadline: None,
            error: None,
            version: 0,
            applied: Vec::new(),
        }
    }

    /// Moves to `next` if the lifecycle allows it (see [`FlowState::can_become`]).
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, FlowState, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// r.set_state(FlowState::WaitingForResponse).unwrap();
    /// // A waiting flow completes only through a step that processes an answer.
    /// assert!(r.set_state(FlowState::Completed).is_err());
    /// r.set_state(FlowState::Processing).unwrap();
    /// r.set_state(FlowState::Completed).unwrap();
    /// let refused = r.set_state(FlowState::Processing).unwrap_err();
    /// assert_eq!(r.state, FlowState::Completed, "a finished flow stays finished: {refused}");
    /// ```
    pub fn set_state(&mut self, next: FlowState) -> Result<(), IllegalTransition> {
        self.state = self.state.transition(next)?;
        Ok(())
    }

    /// `true` while the flow has not completed, timed out or failed.
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, FlowState, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// assert!(r.is_active());
    /// r.set_state(FlowState::TimedOut).unwrap();
    /// assert!(!r.is_active());
    /// ```
    pub fn is_active(&self) -> bool {
        !self.state.is_terminal()
    }

    /// Whether `user` may advance this flow.
    ///
    /// Who may answer: the users listed in `participants`, or anyone when it holds
    /// [`FlowRecord::ANYONE`] (or is empty, as records of earlier versions say it).
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, MessageContext};
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "C"), chrono::Utc::now());
    /// assert!(r.is_participant("U1") && !r.is_participant("U2"));
    /// r.participants = vec![FlowRecord::ANYONE.into(), "U_BOSS".into()];
    /// assert!(r.is_participant("U2"), "anyone, and a named approver besides");
    /// ```
    pub fn is_participant(&self, user: &str) -> bool {
        self.participants.is_empty() || self.participants.iter().any(|p| p == user || p == Self::ANYONE)
    }

    /// The entry of `participants` that lets anyone in the conversation answer.
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// r.participants.push(FlowRecord::ANYONE.into());
    /// assert!(r.is_participant("U_ANYBODY"));
    /// ```
    pub const ANYONE: &'static str = "*";

    /// Whether the event `key` was applied to this flow.
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, MessageContext};
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "C"), chrono::Utc::now());
    /// r.remember_applied("event:Ev1");
    /// assert!(r.has_applied("event:Ev1") && !r.has_applied("event:Ev2"));
    /// ```
    pub fn has_applied(&self, key: &str) -> bool {
        self.applied.iter().any(|k| k == key)
    }

    /// Remembers that the event `key` was applied (the oldest beyond [`APPLIED_LIMIT`] is dropped).
    ///
    /// ```
    /// # use orchestrator_core::{FlowRecord, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// r.remember_applied("event:Ev1");
    /// assert_eq!(r.applied, ["event:Ev1"]);
    /// ```
    pub fn remember_applied(&mut self, key: impl Into<String>) {
        push_bounded(&mut self.applied, key.into(), APPLIED_LIMIT);
    }

    /// Appends to the message log, dropping the oldest beyond [`MESSAGE_LOG_LIMIT`].
    ///
    /// ```
    /// # use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// r.log(LoggedMessage { direction: Direction::Outbound, user: None, ts: Some("1.1".into()), text: "Your name?".into(), at: now, asks: false });
    /// assert_eq!(r.messages[0].text, "Your name?");
    /// ```
    pub fn log(&mut self, message: LoggedMessage) {
        push_bounded(&mut self.messages, message, MESSAGE_LOG_LIMIT);
    }

    /// Marks the bot's messages `asked` (those with buttons or menus a run posted or
    /// updated, by `ts`) as asking the current step's question ([`LoggedMessage::asks`]):
    /// instead of the earlier ones when the run `moved` the flow into a step (a new flow,
    /// `goto`, `reask`), besides them when it stayed in its step.
    ///
    /// ```
    /// # use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// for ts in ["1.1", "1.2", "1.3"] {
    ///     r.log(LoggedMessage { direction: Direction::Outbound, user: None, ts: Some(ts.into()), text: "?".into(), at: now, asks: false });
    /// }
    /// let asking = |r: &FlowRecord| r.messages.iter().filter(|m| m.asks).filter_map(|m| m.ts.clone()).collect::<Vec<_>>();
    /// r.asked(&["1.1".into()], true);
    /// r.asked(&["1.2".into()], false); // a step that stayed and asked more
    /// assert_eq!(asking(&r), ["1.1", "1.2"]);
    /// r.asked(&["1.3".into()], true); // the next step's question
    /// assert_eq!(asking(&r), ["1.3"]);
    /// ```
    pub fn asked(&mut self, asked: &[String], moved: bool) {
        if asked.is_empty() && !moved {
            return; // a run that stayed and asked nothing new: the marks stand
        }
        for message in &mut self.messages {
            let posted = message.direction == Direction::Outbound;
            let now_asked = posted && message.ts.as_ref().is_some_and(|ts| asked.contains(ts));
            message.asks = now_asked || (message.asks && !moved);
        }
    }

    /// Whether the bot's message `ts` asks a question this flow has left: the flow posted
    /// it (it is in the log), and it does not ask the current step's
    /// ([`LoggedMessage::asks`]). A click on its buttons is then no answer to the current
    /// step. `false` while no message of the log asks the current question: a step that
    /// asks with an earlier message (it posted none with buttons or menus), or a record
    /// written before messages were marked.
    ///
    /// ```
    /// # use orchestrator_core::{Direction, FlowRecord, LoggedMessage, MessageContext};
    /// let now = chrono::Utc::now();
    /// let mut r = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U1", "D1"), now);
    /// for ts in ["1.1", "1.2"] {
    ///     r.log(LoggedMessage { direction: Direction::Outbound, user: None, ts: Some(ts.into()), text: "?".into(), at: now, asks: false });
    /// }
    /// assert!(!r.left_question("1.1"), "nothing known yet");
    /// r.asked(&["1.2".into()], true);
    /// assert!(r.left_question("1.1"), "the first question's buttons");
    /// assert!(!r.left_question("1.2") && !r.left_question("9.9"), "the current question, and a message the flow never posted");
    /// ```
    pub fn left_question(&self, ts: &str) -> bool {
        let mut posted = (self.messages.iter()).filter(|m| m.direction == Direction::Outbound);
        let known = posted.clone().any(|m| m.asks);
        known && posted.any(|m| m.ts.as_deref() == Some(ts) && !m.asks)
    }
}

/// Appends `item` to `list`, dropping the oldest beyond `limit`.
///
/// A full list grows by two slots (a question and its answer; an event and the next), not
/// by doubling, which starts at 4 slots: a waiting conversation keeps 2 messages and 1
/// applied event, and a million of them kept 176 MB of empty message slots. A record copied
/// at load has no spare room, so doubling would also have grown every loaded log to twice
/// its length. The oldest is dropped by shifting the rest: at most 49 messages, once per
/// message of a long conversation, where a `VecDeque` would cost every record 8 bytes.
fn push_bounded<T>(list: &mut Vec<T>, item: T, limit: usize) {
    if list.len() == limit {
        list.remove(0);
    } else if list.len() == list.capacity() {
        list.reserve_exact(2);
    }
    list.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MessageContext;

    fn said(n: usize) -> LoggedMessage {
        LoggedMessage {
            direction: Direction::Inbound,
            user: Some("U1".into()),
            ts: None,
            text: format!("message {n}"),
            at: Utc::now(),
            asks: false,
        }
    }

    #[test]
    fn the_log_grows_by_a_question_and_its_answer_and_keeps_the_latest_messages() {
        let context = MessageContext::new("T1", "U1", "D1");
        let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", context, Utc::now());
        record.log(said(0));
        record.log(said(1));
        assert_eq!(
            record.messages.capacity(),
            2,
            "a waiting conversation keeps no empty slots"
        );
        for n in 2..MESSAGE_LOG_LIMIT + 5 {
            record.log(said(n));
        }
        assert_eq!(record.messages.len(), MESSAGE_LOG_LIMIT);
        assert_eq!(record.messages.first().map(|m| m.text.as_str()), Some("message 5"));
        assert_eq!(record.messages.last().map(|m| m.text.as_str()), Some("message 54"));
        assert!(record.messages.capacity() <= MESSAGE_LOG_LIMIT + 1);
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_shared_record_fits_a_384_byte_allocation() {
        // The memory store keeps each record in an `Arc` (16 bytes of counts); mimalloc's
        // size classes around it are 320, 384 and 448 bytes. At 392 bytes a record took
        // 448: 64 MB more for a million waiting flows.
        assert!(
            std::mem::size_of::<FlowRecord>() + 16 <= 384,
            "{}",
            std::mem::size_of::<FlowRecord>()
        );
    }

    #[test]
    fn applied_events_grow_by_two_and_the_oldest_are_forgotten() {
        let context = MessageContext::new("T1", "U1", "D1");
        let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", context, Utc::now());
        record.remember_applied("event:Ev0");
        assert_eq!(record.applied.capacity(), 2, "one event applied keeps one spare slot");
        for n in 1..APPLIED_LIMIT + 3 {
            record.remember_applied(format!("event:Ev{n}"));
        }
        assert_eq!(record.applied.len(), APPLIED_LIMIT);
        assert!(!record.has_applied("event:Ev2") && record.has_applied("event:Ev3"));
        assert!(record.has_applied(&format!("event:Ev{}", APPLIED_LIMIT + 2)));
    }
}
