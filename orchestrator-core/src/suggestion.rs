//! An external select asking for its options as the user types (Slack's `block_suggestion`),
//! and the options a bot answers with. Not an event of a flow: Slack waits (3 s at most) for
//! the answer in its response, and nothing is stored.

use uuid::Uuid;

/// What an external select (`external_select`, `multi_external_select`) asks for: the
/// options matching what the user typed so far. Registered per `action_id` with
/// `OrchestratorBuilder::options`.
///
/// ```
/// # use orchestrator_core::SlackJson;
/// let body = br#"{"type": "block_suggestion", "action_id": "issue", "block_id": "find", "value": "log",
///                 "user": {"id": "U1"}, "team": {"id": "T1"}, "container": {"type": "message", "channel_id": "C1"}}"#;
/// let Ok(SlackJson::Suggest(asked)) = SlackJson::from_slice(body) else { panic!("options asked") };
/// assert_eq!((asked.value.as_str(), asked.channel_id.as_deref()), ("log", Some("C1")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The select's `action_id`.
    pub action_id: String,
    /// Its block's id as the bot author wrote it (the flow tag removed).
    pub block_id: Option<String>,
    /// What the user typed (empty when the menu just opened, with `min_query_length` 0).
    pub value: String,
    /// Who is typing.
    pub user_id: String,
    /// Their workspace.
    pub team_id: String,
    /// The flow whose message or modal holds the select, if a flow sent it.
    pub flow_id: Option<Uuid>,
    /// The modal it is in, if any.
    pub view_id: Option<String>,
    /// The channel of the message it is in, if any.
    pub channel_id: Option<String>,
}

/// One option offered to an external select: what comes back as the choice's `value`
/// when the user picks it, and the text they see.
///
/// ```
/// # use orchestrator_core::SelectOption;
/// let option = SelectOption::new("PROJ-7", "PROJ-7 Login fails");
/// assert_eq!(option.value, "PROJ-7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    /// The value (Slack allows 150 characters).
    pub value: String,
    /// The text shown (Slack allows 75 characters; longer ones are cut).
    pub label: String,
}

impl SelectOption {
    /// An option with this value and label.
    ///
    /// ```
    /// # use orchestrator_core::SelectOption;
    /// let option = SelectOption::new("PROJ-2", "PROJ-2 Logo is blurry");
    /// assert_eq!((option.value.as_str(), option.label.as_str()), ("PROJ-2", "PROJ-2 Logo is blurry"));
    /// ```
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        SelectOption {
            value: value.into(),
            label: label.into(),
        }
    }
}
