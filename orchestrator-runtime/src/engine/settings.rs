//! What a bot sets on its [`OrchestratorBuilder`](crate::OrchestratorBuilder): the texts
//! users are told and the engine's limits, with their defaults.

use std::time::Duration;

/// User-facing texts and limits.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) dedup_ttl: Duration,
    pub(crate) max_chain: usize,
    pub(crate) ended_notice: String,
    pub(crate) not_participant_notice: String,
    pub(crate) stale_notice: String,
    /// Told to a user whose message or command the current step does not take.
    pub(crate) unexpected_notice: String,
    /// Messages that end the user's active flow (none by default).
    pub(crate) cancel_words: Vec<String>,
    /// Said when a user ends a flow with a cancel word.
    pub(crate) cancelled_notice: String,
    pub(crate) error_message: String,
    /// How long finished flows are kept before they are purged.
    pub(crate) retention: Duration,
    /// How often a lost compare-and-swap is retried before the event is left pending.
    pub(crate) max_attempts: usize,
    /// How long a claimed timeout is leased to the worker that claimed it.
    pub(crate) claim_lease: Duration,
    /// How long a received event is leased to the worker applying it before another
    /// worker (or replica) may take it over.
    pub(crate) event_lease: Duration,
    /// For how long after an event arrived (or a deadline fell due) a step's call that
    /// Slack cannot make now puts the run off (tried again later) instead of failing the
    /// step.
    /// (Kept as chrono's duration: it is added to an event's arrival on every event.)
    pub(crate) slack_patience: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dedup_ttl: Duration::from_secs(3600),
            max_chain: 32,
            ended_notice: "This conversation has ended.".into(),
            not_participant_notice: "Only the people taking part in this conversation can answer here.".into(),
            stale_notice: "That choice is no longer available: the conversation has moved on.".into(),
            unexpected_notice: "I can't take that right now: I'm waiting for your answer to my last message.".into(),
            cancel_words: Vec::new(),
            cancelled_notice: "Cancelled.".into(),
            error_message: "Sorry, something went wrong and this conversation had to stop.".into(),
            retention: Duration::from_secs(7 * 24 * 3600),
            max_attempts: 5,
            claim_lease: Duration::from_secs(60),
            event_lease: Duration::from_secs(10),
            slack_patience: chrono::Duration::minutes(10),
        }
    }
}
