//! Builds an [`Incoming`] from the JSON and form bodies Slack sends: Events API callbacks
//! (`app_mention`, `message` in channels, threads and DMs, with files), interactivity
//! payloads (`block_actions`, `view_submission`) and slash command forms.
//!
//! `Ok(None)` means "valid, but nothing a flow reacts to" (an unknown event type);
//! `Err` means the body is not what Slack sends.

use crate::context::{MessageContext, MessageType, FUNCTION_PREFIX};
use crate::incoming::{
    Action, ActionView, AssistantThread, Field, File, FunctionRun, Incoming, NotInput, Payload, SelectedOption,
    ShortcutMessage, ShortcutUse, SlashCommand, ViewSubmission, WorkflowToken,
};
use crate::suggestion::Suggestion;
use crate::tag::untag;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use wire::{Body, Element, Str};

mod rich_text;
mod wire;

/// The body is not a Slack event, interaction or command this crate understands.
///
/// ```
/// use orchestrator_core::{Incoming, NormalizeError};
/// let clicked = serde_json::json!({"type": "block_actions", "team": {"id": "T1"}, "actions": []});
/// let error = Incoming::from_json(&clicked).unwrap_err();
/// assert_eq!(error, NormalizeError::Missing("user"));
/// assert_eq!(error.to_string(), "malformed Slack payload: `user` is missing or not a string");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// A field every such body has is missing or has the wrong type.
    #[error("malformed Slack payload: `{0}` is missing or not a string")]
    Missing(&'static str),
    /// The body is neither JSON nor a form.
    #[error("malformed Slack payload: {0}")]
    Malformed(String),
}

/// Message subtypes that are a user speaking; every other subtype is ignored.
const USER_SUBTYPES: &[&str] = &["file_share", "thread_broadcast", "me_message"];

impl Incoming {
    /// Normalizes any JSON body Slack sends: an Events API envelope (`event_callback`), a
    /// bare event object, or an interactivity payload.
    ///
    /// ```
    /// # use orchestrator_core::Incoming;
    /// let unknown = serde_json::json!({"type": "event_callback", "team_id": "T1",
    ///     "event": {"type": "pin_added", "user": "U1"}});
    /// assert_eq!(Incoming::from_json(&unknown), Ok(None));
    /// assert!(Incoming::from_json(&serde_json::json!({"type": "block_actions"})).is_err());
    /// ```
    pub fn from_json(body: &Value) -> Result<Option<Incoming>, NormalizeError> {
        from_body(&Body::deserialize(body).map_err(malformed)?)
    }

    /// Normalizes a slash command's `application/x-www-form-urlencoded` body.
    ///
    /// ```
    /// # use orchestrator_core::{Incoming, MessageType};
    /// let body = "team_id=T1&channel_id=C1&user_id=U1&command=%2Fapprove&text=deploy+v2&trigger_id=13.4";
    /// let cmd = Incoming::from_slash_command(body).unwrap();
    /// assert_eq!(cmd.text(), Some("deploy v2"));
    /// assert!(cmd.has(MessageType::Channel));
    /// ```
    pub fn from_slash_command(form: &str) -> Result<Incoming, NormalizeError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        let get = |key: &'static str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let need = |key: &'static str| get(key).ok_or(NormalizeError::Missing(key));
        let context = MessageContext::new(need("team_id")?, need("user_id")?, need("channel_id")?);
        let text = get("text").unwrap_or_default().to_owned();
        let mut types = BTreeSet::from([where_type(&context)]);
        if !text.is_empty() {
            types.insert(MessageType::Text);
        }
        Ok(Incoming {
            context,
            types,
            payload: Payload::Command(SlashCommand {
                command: need("command")?.to_owned(),
                text,
            }),
            event_id: None,
            ts: None,
            flow_id: None,
            trigger_id: get("trigger_id").map(str::to_owned),
            response_url: get("response_url").map(str::to_owned),
            workflow_token: None,
        })
    }

    /// Normalizes an interactivity form body (`payload=<json>`).
    ///
    /// ```
    /// # use orchestrator_core::Incoming;
    /// assert!(Incoming::from_interaction_form("payload=%7Bbroken").is_err());
    /// ```
    pub fn from_interaction_form(form: &str) -> Result<Option<Incoming>, NormalizeError> {
        Ok(match SlackJson::from_interaction_form(form)? {
            SlackJson::Input(incoming) => Some(*incoming),
            _ => None,
        })
    }
}

/// What a JSON body from Slack asks for.
///
/// ```
/// use orchestrator_core::SlackJson;
/// let event = br#"{"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
///     "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1",
///               "text": "hi", "ts": "1.1", "team": "T1"}}"#;
/// let SlackJson::Input(incoming) = SlackJson::from_slice(event).unwrap() else { panic!() };
/// assert_eq!((incoming.text(), incoming.event_id.as_deref()), (Some("hi"), Some("Ev1")));
/// let pin = br#"{"type": "event_callback", "team_id": "T1", "event": {"type": "pin_added", "user": "U1"}}"#;
/// assert_eq!(SlackJson::from_slice(pin), Ok(SlackJson::Nothing));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SlackJson {
    /// An event or interaction for the orchestrator.
    Input(Box<Incoming>),
    /// Slack checks the Request URL (`url_verification`): answer with the challenge.
    Challenge(String),
    /// Valid, but nothing a flow reacts to (an event type no flow uses).
    Nothing,
    /// Slack stopped delivering the app's events for the rest of a minute
    /// (`app_rate_limited`: more than 30,000 events from one workspace in an hour). Those
    /// events are lost, not retried later: worth a warning to the operator. `minute` is the
    /// start of that minute, in Unix seconds, if Slack said.
    ///
    /// ```
    /// # use orchestrator_core::SlackJson;
    /// let body = br#"{"token": "x", "type": "app_rate_limited", "team_id": "T1",
    ///                 "minute_rate_limited": 1518467820, "api_app_id": "A1"}"#;
    /// assert_eq!(SlackJson::from_slice(body), Ok(SlackJson::RateLimited { team: "T1".into(), minute: Some(1518467820) }));
    /// ```
    RateLimited {
        /// The workspace whose events were dropped.
        team: String,
        /// The minute, in Unix seconds.
        minute: Option<i64>,
    },
    /// An external select wants its options (`block_suggestion`): answer them in the
    /// response.
    Suggest(Box<Suggestion>),
}

impl SlackJson {
    /// Reads a JSON body straight from its bytes, in one pass (no `serde_json::Value`).
    ///
    /// ```
    /// # use orchestrator_core::SlackJson;
    /// let check = br#"{"type": "url_verification", "challenge": "abc", "token": "x"}"#;
    /// assert_eq!(SlackJson::from_slice(check), Ok(SlackJson::Challenge("abc".into())));
    /// assert!(SlackJson::from_slice(b"{broken").is_err());
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<SlackJson, NormalizeError> {
        let body: Body<'_> =
            serde_json::from_slice(bytes).map_err(|e| NormalizeError::Malformed(format!("body is not JSON: {e}")))?;
        if body.kind.as_deref() == Some("url_verification") {
            let challenge = body.challenge.ok_or(NormalizeError::Missing("challenge"))?;
            return Ok(SlackJson::Challenge(challenge.into_owned()));
        }
        if body.kind.as_deref() == Some("app_rate_limited") {
            return Ok(SlackJson::RateLimited {
                team: owned(body.team_id.as_ref()).unwrap_or_default(),
                minute: body.minute_rate_limited,
            });
        }
        SlackJson::from_body(&body)
    }

    /// Reads an interactivity form (`payload=` and the payload's JSON), as Slack posts it
    /// over HTTP.
    ///
    /// ```
    /// # use orchestrator_core::SlackJson;
    /// let form = "payload=%7B%22type%22%3A%22block_suggestion%22%2C%22action_id%22%3A%22issue%22%2C%22value%22%3A%22log%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%7D";
    /// let Ok(SlackJson::Suggest(asked)) = SlackJson::from_interaction_form(form) else { panic!() };
    /// assert_eq!((asked.action_id.as_str(), asked.value.as_str()), ("issue", "log"));
    /// ```
    pub fn from_interaction_form(form: &str) -> Result<SlackJson, NormalizeError> {
        let payload = form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == "payload")
            .ok_or(NormalizeError::Missing("payload"))?
            .1;
        let body: Body<'_> = serde_json::from_str(&payload)
            .map_err(|e| NormalizeError::Malformed(format!("payload is not JSON: {e}")))?;
        SlackJson::from_body(&body)
    }

    fn from_body(body: &Body<'_>) -> Result<SlackJson, NormalizeError> {
        if body.kind.as_deref() == Some("block_suggestion") {
            return Ok(SlackJson::Suggest(Box::new(suggestion(body)?)));
        }
        Ok(match from_body(body)? {
            Some(incoming) => SlackJson::Input(Box::new(incoming)),
            None => SlackJson::Nothing,
        })
    }
}

/// An external select's request for options: the select, what was typed, where.
fn suggestion(body: &Body<'_>) -> Result<Suggestion, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let (flow_id, block_id) = element_flow(body, body.block_id.as_deref());
    Ok(Suggestion {
        action_id: owned(body.action_id.as_ref()).ok_or(NormalizeError::Missing("action_id"))?,
        block_id,
        value: owned(body.value.as_ref()).unwrap_or_default(),
        user_id: user.to_owned(),
        team_id: team.to_owned(),
        flow_id,
        view_id: body.view.as_ref().and_then(|v| owned(v.id.as_ref())),
        channel_id: element_channel(body).map(str::to_owned),
    })
}

/// The flow an interactive element belongs to, and its block's id as the flow wrote it:
/// the flow tag of its block, or in a modal, the modal's (its `private_metadata`), so an
/// untagged block of a flow's modal still finds the flow.
fn element_flow(body: &Body<'_>, block_id: Option<&str>) -> (Option<uuid::Uuid>, Option<String>) {
    let (tagged, block_id) = match block_id.map(untag) {
        Some((flow, inner)) => (flow, Some(inner)),
        None => (None, None),
    };
    (tagged.or_else(|| body.view.as_deref().and_then(flow_of_view)), block_id)
}

/// The flow that opened a view: the tag the flow put in its `private_metadata`.
fn flow_of_view(view: &wire::View<'_>) -> Option<uuid::Uuid> {
    untag(view.private_metadata.as_deref().unwrap_or_default()).0
}

/// The channel of the message an interactive element is in (none in a modal).
fn element_channel<'b>(body: &'b Body<'_>) -> Option<&'b str> {
    id(body.channel.as_ref()).or_else(|| body.container.as_ref().and_then(|c| c.channel_id.as_deref()))
}

fn malformed(error: serde_json::Error) -> NormalizeError {
    NormalizeError::Malformed(error.to_string())
}

fn owned(value: Option<&Str<'_>>) -> Option<String> {
    value.map(|v| v.as_ref().to_owned())
}

fn where_type(context: &MessageContext) -> MessageType {
    if context.is_direct() {
        MessageType::Direct
    } else {
        MessageType::Channel
    }
}

fn from_body(body: &Body<'_>) -> Result<Option<Incoming>, NormalizeError> {
    // A workflow run's token: an interaction's, or its event's (`function_executed`).
    let token = (body.bot_access_token.as_ref())
        .or_else(|| body.event.as_deref().and_then(|event| event.bot_access_token.as_ref()));
    let mut incoming = from_kind(body)?;
    if let (Some(incoming), Some(token)) = (&mut incoming, token) {
        incoming.workflow_token = Some(WorkflowToken::new(&**token));
    }
    Ok(incoming)
}

fn from_kind(body: &Body<'_>) -> Result<Option<Incoming>, NormalizeError> {
    match body.kind.as_deref() {
        Some("event_callback") => {
            let event = body.event.as_deref().ok_or(NormalizeError::Missing("event"))?;
            // The workspace the bot is installed in, so that a conversation has one key
            // whoever speaks: in a Slack Connect channel the envelope's `team_id` may be the
            // other organization's (the channel's origin), and an event's `team` is the
            // speaker's.
            let installed = body.authorizations.iter().flatten().find_map(|a| a.team_id.as_deref());
            let team = installed
                .or(body.team_id.as_deref())
                .or_else(|| event.team.as_ref().and_then(|t| t.id.as_deref()));
            let event_id = owned(body.event_id.as_ref());
            Ok(from_event(event, team.unwrap_or_default())?.map(|i| Incoming { event_id, ..i }))
        }
        Some("message" | "app_mention") => {
            let team = body.team.as_ref().and_then(|t| t.id.as_deref());
            from_event(body, team.unwrap_or_default())
        }
        Some("block_actions") => from_block_actions(body).map(Some),
        Some("view_submission") => from_view_submission(body).map(Some),
        Some("view_closed") => from_view_closed(body).map(Some),
        Some("shortcut" | "message_action") => from_shortcut(body).map(Some),
        Some(_) => Ok(None),
        None => Err(NormalizeError::Missing("type")),
    }
}

fn id<'b>(field: Option<&'b wire::Id<'_>>) -> Option<&'b str> {
    field.and_then(|f| f.id.as_deref())
}

fn from_event(event: &Body<'_>, team: &str) -> Result<Option<Incoming>, NormalizeError> {
    let kind = event.kind.as_deref().ok_or(NormalizeError::Missing("type"))?;
    if kind == "app_home_opened" {
        return Ok(from_app_home(event, team));
    }
    if kind == "member_joined_channel" {
        return from_member_joined(event, team).map(Some);
    }
    if kind == "team_join" {
        return from_team_join(event, team);
    }
    if let Some(added) = match kind {
        "reaction_added" => Some(true),
        "reaction_removed" => Some(false),
        _ => None,
    } {
        return from_reaction(event, team, added);
    }
    if kind == "function_executed" {
        return from_function(event, team).map(Some);
    }
    if let Some(opened) = match kind {
        "assistant_thread_started" => Some(true),
        "assistant_thread_context_changed" => Some(false),
        _ => None,
    } {
        return from_assistant_thread(event, team, opened).map(Some);
    }
    if kind != "message" && kind != "app_mention" {
        return Ok(None);
    }
    let subtype = event.subtype.as_deref();
    let not_input = if event.bot_id.is_some() || subtype == Some("bot_message") {
        Some(NotInput::BotMessage)
    } else {
        subtype
            .filter(|s| !USER_SUBTYPES.contains(s))
            .map(|s| NotInput::Subtype(s.to_owned()))
    };
    let channel = id(event.channel.as_ref()).ok_or(NormalizeError::Missing("channel"))?;
    if let Some(reason) = not_input {
        let user = id(event.user.as_ref()).unwrap_or_default();
        return Ok(Some(Incoming {
            context: MessageContext::new(team, user, channel),
            types: BTreeSet::new(),
            payload: Payload::NotInput(reason),
            event_id: None,
            ts: owned(event.ts.as_ref()),
            flow_id: None,
            trigger_id: None,
            response_url: None,
            workflow_token: None,
        }));
    }
    let user = id(event.user.as_ref()).ok_or(NormalizeError::Missing("user"))?;
    let ts = event.ts.as_deref().ok_or(NormalizeError::Missing("ts"))?;
    let thread_ts = event.thread_ts.as_deref().filter(|t| *t != ts);
    let direct = event.channel_type.as_deref() == Some("im") || channel.starts_with('D');
    let mut context = MessageContext::new(team, user, channel);
    // The conversation is the thread: a reply's root, or in a channel for a new top-level
    // mention the mention itself (the bot answers in a thread under it). (A reply in a
    // thread under a flow's own message goes to that flow: the engine's `conversation_of`.)
    let mention_root = (kind == "app_mention" && !direct).then_some(ts);
    if let Some(root) = thread_ts.or(mention_root) {
        context = context.in_thread(root);
    }
    let mut text = event.text.as_deref().unwrap_or_default().to_owned();
    let mut types = BTreeSet::from([where_type(&context)]);
    if direct {
        types.insert(MessageType::Direct);
        types.remove(&MessageType::Channel);
    }
    if thread_ts.is_some() {
        types.insert(MessageType::Thread);
    }
    if kind == "app_mention" {
        types.insert(MessageType::Mention);
        text = strip_leading_mentions(&text);
    }
    let files = files(event);
    if !files.is_empty() {
        types.insert(MessageType::File);
    }
    if !text.trim().is_empty() {
        types.insert(MessageType::Text);
    }
    Ok(Some(Incoming {
        context,
        types,
        payload: Payload::Message { text, files },
        event_id: None,
        ts: Some(ts.to_owned()),
        flow_id: None,
        trigger_id: None,
        response_url: None,
        workflow_token: None,
    }))
}

/// `<@UBOT> hello` -> `hello`: the mention that triggered the bot is not part of what was said.
fn strip_leading_mentions(text: &str) -> String {
    let mut rest = text.trim_start();
    while let Some(after) = rest.strip_prefix("<@") {
        match after.find('>') {
            Some(end) => rest = after[end + 1..].trim_start(),
            None => break,
        }
    }
    rest.trim_end().to_owned()
}

fn files(event: &Body<'_>) -> Vec<File> {
    owned_files(event.files.as_deref())
}

/// A message's or a `file_input`'s files (those without an id left out).
fn owned_files(files: Option<&[wire::WireFile<'_>]>) -> Vec<File> {
    files
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some(File {
                id: f.id.as_deref()?.to_owned(),
                name: owned(f.name.as_ref()),
                mimetype: owned(f.mimetype.as_ref()),
                url_private: owned(f.url_private.as_ref()),
                size: f.size,
            })
        })
        .collect()
}

fn user_and_team<'b>(body: &'b Body<'_>) -> Result<(&'b str, &'b str), NormalizeError> {
    let user = body.user.as_ref().ok_or(NormalizeError::Missing("user"))?;
    let user_id = user.id.as_deref().ok_or(NormalizeError::Missing("id"))?;
    // The installation's workspace first, as for events (see `from_kind`).
    let installed = body.view.as_ref().and_then(|v| v.app_installed_team_id.as_deref());
    let team = installed
        .or(id(body.team.as_ref()))
        .or(user.team_id.as_deref())
        .ok_or(NormalizeError::Missing("team.id"))?;
    Ok((user_id, team))
}

fn from_block_actions(body: &Body<'_>) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let first = body
        .actions
        .as_ref()
        .and_then(|a| a.first())
        .ok_or(NormalizeError::Missing("actions"))?;
    let (flow_id, block_id) = element_flow(body, first.block_id.as_deref());
    let view = body.view.as_ref().and_then(|v| {
        Some(ActionView {
            view_id: v.id.as_deref()?.to_owned(),
            fields: fields_of(v),
        })
    });
    let action = Action {
        action_id: first
            .action_id
            .as_deref()
            .ok_or(NormalizeError::Missing("action_id"))?
            .to_owned(),
        block_id,
        element: first.kind.as_deref().unwrap_or("button").to_owned(),
        value: owned(first.value.as_ref()),
        selected: selected_option(first),
        selected_many: selected_options(first),
        view,
    };
    let in_channel = element_channel(body);
    // A click in a view (the Home tab, a modal) has no channel: its conversation is the
    // user's DM with the app, named by their id, as a global shortcut's.
    let channel = in_channel.unwrap_or(user);
    let message = body.message.as_ref();
    let container = body.container.as_ref();
    let ts = message.and_then(|m| m.ts.as_deref());
    let ts = ts.or_else(|| container.and_then(|c| c.message_ts.as_deref()));
    let mut context = MessageContext::new(team, user, channel);
    let container_thread = container.and_then(|c| c.thread_ts.as_deref());
    if let Some(thread) = message.and_then(|m| m.thread_ts.as_deref()).or(container_thread) {
        if !context.is_direct() {
            context = context.in_thread(thread);
        }
    }
    let mut types = BTreeSet::from([MessageType::Interactive]);
    if in_channel.is_some() {
        types.insert(where_type(&context));
    }
    if context.thread_ts.is_some() {
        types.insert(MessageType::Thread);
    }
    Ok(Incoming {
        context,
        types,
        payload: Payload::Action(action),
        event_id: None,
        ts: ts.map(str::to_owned),
        flow_id,
        trigger_id: owned(body.trigger_id.as_ref()),
        response_url: owned(body.response_url.as_ref()),
        workflow_token: None,
    })
}

/// The chosen value of a select, whatever its kind (static, users, conversations, channels),
/// or of a date, time or date-time picker (the last as Unix seconds).
fn selected_option(element: &Element<'_>) -> Option<SelectedOption> {
    if let Some(option) = &element.selected_option {
        return Some(SelectedOption {
            value: option.value.as_deref()?.to_owned(),
            label: option.text.as_ref().and_then(|t| owned(t.text.as_ref())),
        });
    }
    [
        &element.selected_user,
        &element.selected_conversation,
        &element.selected_channel,
        &element.selected_date,
        &element.selected_time,
    ]
    .into_iter()
    .find_map(|value| value.as_deref().map(str::to_owned))
    .or_else(|| element.selected_date_time.map(|at| at.to_string()))
    .map(|value| SelectedOption { value, label: None })
}

/// The choices of checkboxes or a multi-select (static, external, users, conversations,
/// channels), whatever they are; `None` for an element of one choice or none.
fn selected_options(element: &Element<'_>) -> Option<Vec<SelectedOption>> {
    if let Some(options) = &element.selected_options {
        let chosen = options.iter().filter_map(|o| {
            Some(SelectedOption {
                value: o.value.as_deref()?.to_owned(),
                label: o.text.as_ref().and_then(|t| owned(t.text.as_ref())),
            })
        });
        return Some(chosen.collect());
    }
    let lists = [
        &element.selected_users,
        &element.selected_conversations,
        &element.selected_channels,
    ];
    let list = lists.into_iter().flatten().next()?;
    let chosen = list.iter().map(|value| SelectedOption {
        value: value.as_ref().to_owned(),
        label: None,
    });
    Some(chosen.collect())
}

fn field_values(element: &Element<'_>) -> Vec<String> {
    if let Some(value) = element.value.as_deref() {
        return vec![value.to_owned()];
    }
    if let Some(rich) = &element.rich_text_value {
        let text = rich.to_mrkdwn();
        return if text.trim().is_empty() { Vec::new() } else { vec![text] };
    }
    if let Some(files) = &element.files {
        return files.iter().filter_map(|f| owned(f.id.as_ref())).collect();
    }
    selected_options(element)
        .or_else(|| selected_option(element).map(|o| vec![o]))
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.value)
        .collect()
}

/// A reaction on a message, in the reacting user's conversation where the message is. A
/// reaction on a file is nothing a flow takes.
fn from_reaction(event: &Body<'_>, team: &str, added: bool) -> Result<Option<Incoming>, NormalizeError> {
    let item = event.item.as_ref().ok_or(NormalizeError::Missing("item"))?;
    if item.kind.as_deref() != Some("message") {
        return Ok(None);
    }
    let user = id(event.user.as_ref()).ok_or(NormalizeError::Missing("user"))?;
    let channel = item.channel.as_deref().ok_or(NormalizeError::Missing("item.channel"))?;
    let name = event.reaction.as_deref().ok_or(NormalizeError::Missing("reaction"))?;
    Ok(Some(Incoming {
        context: MessageContext::new(team, user, channel),
        // Neither a message to the bot nor a click: an unhandled one gets no notice.
        types: BTreeSet::new(),
        payload: Payload::Reaction {
            name: name.to_owned(),
            added,
            message_user: owned(event.item_user.as_ref()),
        },
        event_id: None,
        ts: Some(item.ts.as_deref().ok_or(NormalizeError::Missing("item.ts"))?.to_owned()),
        flow_id: None,
        trigger_id: None,
        response_url: None,
        workflow_token: None,
    }))
}

/// An assistant thread opened, or the channel its user views changed: an event in the
/// conversation of that thread of the user's DM with the app.
fn from_assistant_thread(event: &Body<'_>, team: &str, opened: bool) -> Result<Incoming, NormalizeError> {
    let thread = event
        .assistant_thread
        .as_ref()
        .ok_or(NormalizeError::Missing("assistant_thread"))?;
    let field = |value: Option<&Str<'_>>, name| owned(value).ok_or(NormalizeError::Missing(name));
    let user = field(thread.user_id.as_ref(), "assistant_thread.user_id")?;
    let channel = field(thread.channel_id.as_ref(), "assistant_thread.channel_id")?;
    let root = field(thread.thread_ts.as_ref(), "assistant_thread.thread_ts")?;
    let viewing = thread.context.as_ref();
    let thread = AssistantThread {
        opened,
        viewing: viewing.and_then(|c| owned(c.channel_id.as_ref())),
        viewing_team: viewing.and_then(|c| owned(c.team_id.as_ref())),
        enterprise_id: viewing.and_then(|c| owned(c.enterprise_id.as_ref())),
    };
    let context = MessageContext::new(team, user, channel).in_thread(root);
    // Not a message: a thread opened with no flow to start gets no notice.
    Ok(Incoming::bare(context, BTreeSet::new(), Payload::Assistant(thread)))
}

/// A workflow ran one of the app's custom steps: an event in the conversation of that run,
/// which no user started (its flow says who may answer: `Cx::hand_over`).
fn from_function(event: &Body<'_>, team: &str) -> Result<Incoming, NormalizeError> {
    let function = event.function.as_ref().ok_or(NormalizeError::Missing("function"))?;
    let callback_id = owned(function.callback_id.as_ref()).ok_or(NormalizeError::Missing("function.callback_id"))?;
    let execution_id =
        owned(event.function_execution_id.as_ref()).ok_or(NormalizeError::Missing("function_execution_id"))?;
    let context = MessageContext::new(team, "", format!("{FUNCTION_PREFIX}{execution_id}"));
    let run = FunctionRun {
        callback_id,
        execution_id,
        workflow_execution_id: owned(event.workflow_execution_id.as_ref()),
        inputs: event.inputs.clone().unwrap_or_default(),
    };
    Ok(Incoming::bare(context, BTreeSet::new(), Payload::Function(run)))
}

/// A user joined a channel: the conversation of that user at the top of the channel.
fn from_member_joined(event: &Body<'_>, team: &str) -> Result<Incoming, NormalizeError> {
    let user = id(event.user.as_ref()).ok_or(NormalizeError::Missing("user"))?;
    let channel = id(event.channel.as_ref()).ok_or(NormalizeError::Missing("channel"))?;
    // The installation's workspace, not the member's (`event.team`: another organization's
    // in a Slack Connect channel), as for the messages the member then sends there.
    let context = MessageContext::new(team, user, channel);
    let types = BTreeSet::from([where_type(&context)]);
    let inviter = owned(event.inviter.as_ref());
    Ok(Incoming::bare(context, types, Payload::MemberJoined { inviter }))
}

/// A new member joined the workspace: the conversation of their DM with the app, named by
/// their id (the event's `user` is Slack's whole user object). A bot joining is no one to
/// welcome.
fn from_team_join(event: &Body<'_>, team: &str) -> Result<Option<Incoming>, NormalizeError> {
    let joined = event.user.as_ref().ok_or(NormalizeError::Missing("user"))?;
    if joined.is_bot {
        return Ok(None);
    }
    let user = joined.id.as_deref().ok_or(NormalizeError::Missing("id"))?;
    let team = joined.team_id.as_deref().unwrap_or(team);
    let context = MessageContext::new(team, user, user);
    Ok(Some(Incoming::bare(context, BTreeSet::new(), Payload::TeamJoined)))
}

/// The Home tab opened (the Messages tab is the DM, whose messages arrive as such).
fn from_app_home(event: &Body<'_>, team: &str) -> Option<Incoming> {
    if event.tab.as_deref() != Some("home") {
        return None;
    }
    let user = id(event.user.as_ref())?;
    let context = MessageContext::new(team, user, [crate::context::HOME_PREFIX, user].concat());
    Some(Incoming::bare(context, BTreeSet::new(), Payload::AppHomeOpened))
}

/// A global shortcut (`shortcut`) or a message shortcut (`message_action`). A global one
/// has no channel: its conversation is the user's DM with the app, named by the user id
/// (which `chat.postMessage` takes as a channel). A message shortcut's is the message's
/// channel.
fn from_shortcut(body: &Body<'_>) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let message = body.message.as_ref().map(|m| ShortcutMessage {
        ts: m
            .ts
            .as_deref()
            .or(body.message_ts.as_deref())
            .unwrap_or_default()
            .to_owned(),
        text: m.text.as_deref().unwrap_or_default().to_owned(),
        user: m.user.as_deref().unwrap_or_default().to_owned(),
    });
    let channel = match &body.channel {
        Some(channel) => channel.id.as_deref().ok_or(NormalizeError::Missing("id"))?,
        None => user,
    };
    Ok(Incoming {
        context: MessageContext::new(team, user, channel),
        types: BTreeSet::from([MessageType::Interactive]),
        ts: message.as_ref().map(|m| m.ts.clone()),
        payload: Payload::Shortcut(ShortcutUse {
            callback_id: body
                .callback_id
                .as_deref()
                .ok_or(NormalizeError::Missing("callback_id"))?
                .to_owned(),
            message,
        }),
        event_id: None,
        flow_id: None,
        trigger_id: Some(
            body.trigger_id
                .as_deref()
                .ok_or(NormalizeError::Missing("trigger_id"))?
                .to_owned(),
        ),
        response_url: owned(body.response_url.as_ref()),
        workflow_token: None,
    })
}

/// A modal's id and callback id, and the flow its `private_metadata` names.
fn view_of<'b>(body: &'b Body<'_>) -> Result<(&'b wire::View<'b>, Option<uuid::Uuid>, String, String), NormalizeError> {
    let view = body.view.as_ref().ok_or(NormalizeError::Missing("view"))?;
    let flow_id = flow_of_view(view);
    let view_id = view.id.as_deref().ok_or(NormalizeError::Missing("id"))?.to_owned();
    let callback_id = view.callback_id.as_deref().unwrap_or_default().to_owned();
    Ok((view, flow_id, view_id, callback_id))
}

/// Every input of `view` with what it holds (its block id as the flow wrote it).
fn fields_of(view: &wire::View<'_>) -> Vec<Field> {
    let inputs = view.state.iter().flat_map(|s| &s.values);
    let fields = inputs.flat_map(|(block_id, actions)| {
        actions.iter().map(|(action_id, element)| Field {
            block_id: untag(block_id).1,
            action_id: action_id.as_ref().to_owned(),
            values: field_values(element),
            files: owned_files(element.files.as_deref()),
        })
    });
    fields.collect()
}

/// A closed modal: routed by the flow id in its `private_metadata`, like a submission.
fn from_view_closed(body: &Body<'_>) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let (_, flow_id, view_id, callback_id) = view_of(body)?;
    Ok(Incoming {
        // No channel: the user's DM, as for a click in the modal (one conversation, in order).
        context: MessageContext::new(team, user, user),
        types: BTreeSet::from([MessageType::Interactive]),
        payload: Payload::ViewClosed { view_id, callback_id },
        event_id: None,
        ts: None,
        flow_id,
        trigger_id: None,
        response_url: None,
        workflow_token: None,
    })
}

fn from_view_submission(body: &Body<'_>) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let (view, flow_id, view_id, callback_id) = view_of(body)?;
    let fields = fields_of(view);
    Ok(Incoming {
        // No channel: the user's DM, as for a click in the modal (one conversation, in order).
        context: MessageContext::new(team, user, user),
        types: BTreeSet::from([MessageType::Interactive]),
        payload: Payload::ViewSubmission(ViewSubmission {
            view_id,
            callback_id,
            fields,
        }),
        event_id: None,
        ts: None,
        flow_id,
        trigger_id: owned(body.trigger_id.as_ref()),
        response_url: None,
        workflow_token: None,
    })
}
