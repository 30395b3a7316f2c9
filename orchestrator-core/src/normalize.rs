//! Builds an [`Incoming`] from the JSON and form bodies Slack sends: Events API callbacks
//! (`app_mention`, `message` in channels, threads and DMs, with files), interactivity
//! payloads (`block_actions`, `view_submission`) and slash command forms.
//!
//! `Ok(None)` means "valid, but nothing a flow reacts to" (an unknown event type);
//! `Err` means the body is not what Slack sends.

use crate::context::{MessageContext, MessageType};
use crate::incoming::{
    Action, Field, File, Incoming, NotInput, Payload, SelectedOption, ShortcutMessage, ShortcutUse, SlashCommand,
    ViewSubmission,
};
use crate::tag::untag;
use serde_json::Value;
use std::collections::BTreeSet;

/// The body is not a Slack event, interaction or command this crate understands.
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
    ///     "event": {"type": "reaction_added", "user": "U1"}});
    /// assert_eq!(Incoming::from_json(&unknown), Ok(None));
    /// assert!(Incoming::from_json(&serde_json::json!({"type": "block_actions"})).is_err());
    /// ```
    pub fn from_json(body: &Value) -> Result<Option<Incoming>, NormalizeError> {
        match str_at(body, "type") {
            Some("event_callback") => {
                let event = body.get("event").ok_or(NormalizeError::Missing("event"))?;
                let team = str_at(body, "team_id").or_else(|| str_at(event, "team"));
                let event_id = str_at(body, "event_id").map(str::to_owned);
                Ok(from_event(event, team.unwrap_or_default())?.map(|i| Incoming { event_id, ..i }))
            }
            Some("message" | "app_mention") => from_event(body, str_at(body, "team").unwrap_or_default()),
            Some("block_actions") => from_block_actions(body).map(Some),
            Some("view_submission") => from_view_submission(body).map(Some),
            Some("view_closed") => from_view_closed(body).map(Some),
            Some("shortcut" | "message_action") => from_shortcut(body).map(Some),
            Some(_) => Ok(None),
            None => Err(NormalizeError::Missing("type")),
        }
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
        })
    }

    /// Normalizes an interactivity form body (`payload=<json>`).
    ///
    /// ```
    /// # use orchestrator_core::Incoming;
    /// assert!(Incoming::from_interaction_form("payload=%7Bbroken").is_err());
    /// ```
    pub fn from_interaction_form(form: &str) -> Result<Option<Incoming>, NormalizeError> {
        let payload = form_urlencoded::parse(form.as_bytes())
            .find(|(k, _)| k == "payload")
            .ok_or(NormalizeError::Missing("payload"))?
            .1;
        let json: Value = serde_json::from_str(&payload)
            .map_err(|e| NormalizeError::Malformed(format!("payload is not JSON: {e}")))?;
        Incoming::from_json(&json)
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn need<'a>(value: &'a Value, key: &'static str) -> Result<&'a str, NormalizeError> {
    str_at(value, key).ok_or(NormalizeError::Missing(key))
}

fn where_type(context: &MessageContext) -> MessageType {
    if context.is_direct() {
        MessageType::Direct
    } else {
        MessageType::Channel
    }
}

fn from_event(event: &Value, team: &str) -> Result<Option<Incoming>, NormalizeError> {
    let kind = need(event, "type")?;
    if kind == "app_home_opened" {
        return Ok(from_app_home(event, team));
    }
    if kind != "message" && kind != "app_mention" {
        return Ok(None);
    }
    let subtype = str_at(event, "subtype");
    let not_input = if event.get("bot_id").is_some() || subtype == Some("bot_message") {
        Some(NotInput::BotMessage)
    } else {
        subtype
            .filter(|s| !USER_SUBTYPES.contains(s))
            .map(|s| NotInput::Subtype(s.to_owned()))
    };
    let channel = need(event, "channel")?;
    if let Some(reason) = not_input {
        let user = str_at(event, "user").unwrap_or_default();
        return Ok(Some(Incoming {
            context: MessageContext::new(team, user, channel),
            types: BTreeSet::new(),
            payload: Payload::NotInput(reason),
            event_id: None,
            ts: str_at(event, "ts").map(str::to_owned),
            flow_id: None,
            trigger_id: None,
            response_url: None,
        }));
    }
    let user = need(event, "user")?;
    let ts = need(event, "ts")?;
    let thread_ts = str_at(event, "thread_ts").filter(|t| *t != ts);
    let direct = str_at(event, "channel_type") == Some("im") || channel.starts_with('D');
    let mut context = MessageContext::new(team, user, channel);
    // In a channel the conversation is the thread: a reply's root, or for a new top-level
    // mention the mention itself (the bot answers in a thread under it).
    if !direct {
        if let Some(root) = thread_ts.or((kind == "app_mention").then_some(ts)) {
            context = context.in_thread(root);
        }
    }
    let mut text = str_at(event, "text").unwrap_or_default().to_owned();
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
    let files = parse_files(event);
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

fn parse_files(event: &Value) -> Vec<File> {
    let Some(files) = event.get("files").and_then(Value::as_array) else {
        return Vec::new();
    };
    files
        .iter()
        .filter_map(|f| {
            Some(File {
                id: str_at(f, "id")?.to_owned(),
                name: str_at(f, "name").map(str::to_owned),
                mimetype: str_at(f, "mimetype").map(str::to_owned),
                url_private: str_at(f, "url_private").map(str::to_owned),
                size: f.get("size").and_then(Value::as_u64),
            })
        })
        .collect()
}

fn user_and_team(body: &Value) -> Result<(&str, &str), NormalizeError> {
    let user = body.get("user").ok_or(NormalizeError::Missing("user"))?;
    let user_id = need(user, "id")?;
    let team = body
        .get("team")
        .and_then(|t| str_at(t, "id"))
        .or_else(|| str_at(user, "team_id"))
        .ok_or(NormalizeError::Missing("team.id"))?;
    Ok((user_id, team))
}

fn from_block_actions(body: &Value) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let first = body
        .get("actions")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .ok_or(NormalizeError::Missing("actions"))?;
    let (flow_id, block_id) = match str_at(first, "block_id") {
        Some(tagged) => {
            let (id, inner) = untag(tagged);
            (id, Some(inner))
        }
        None => (None, None),
    };
    let action = Action {
        action_id: need(first, "action_id")?.to_owned(),
        block_id,
        element: str_at(first, "type").unwrap_or("button").to_owned(),
        value: str_at(first, "value").map(str::to_owned),
        selected: selected_option(first),
    };
    let channel = body
        .get("channel")
        .and_then(|c| str_at(c, "id"))
        .or_else(|| body.get("container").and_then(|c| str_at(c, "channel_id")))
        .unwrap_or_default();
    let message = body.get("message");
    let ts = message.and_then(|m| str_at(m, "ts"));
    let mut context = MessageContext::new(team, user, channel);
    if let Some(thread) = message.and_then(|m| str_at(m, "thread_ts")) {
        if !context.is_direct() {
            context = context.in_thread(thread);
        }
    }
    let mut types = BTreeSet::from([MessageType::Interactive]);
    if !channel.is_empty() {
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
        trigger_id: str_at(body, "trigger_id").map(str::to_owned),
        response_url: str_at(body, "response_url").map(str::to_owned),
    })
}

/// The chosen value of a select, whatever its kind (static, users, conversations, channels).
fn selected_option(element: &Value) -> Option<SelectedOption> {
    if let Some(option) = element.get("selected_option").filter(|o| o.is_object()) {
        return Some(SelectedOption {
            value: str_at(option, "value")?.to_owned(),
            label: option.get("text").and_then(|t| str_at(t, "text")).map(str::to_owned),
        });
    }
    [
        "selected_user",
        "selected_conversation",
        "selected_channel",
        "selected_date",
        "selected_time",
    ]
    .iter()
    .find_map(|key| str_at(element, key))
    .map(|value| SelectedOption {
        value: value.to_owned(),
        label: None,
    })
}

fn field_values(element: &Value) -> Vec<String> {
    if let Some(value) = str_at(element, "value") {
        return vec![value.to_owned()];
    }
    if let Some(options) = element.get("selected_options").and_then(Value::as_array) {
        return options
            .iter()
            .filter_map(|o| str_at(o, "value"))
            .map(str::to_owned)
            .collect();
    }
    for key in ["selected_users", "selected_conversations", "selected_channels"] {
        if let Some(list) = element.get(key).and_then(Value::as_array) {
            return list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        }
    }
    selected_option(element).map(|o| vec![o.value]).unwrap_or_default()
}

/// The Home tab opened (the Messages tab is the DM, whose messages arrive as such).
fn from_app_home(event: &Value, team: &str) -> Option<Incoming> {
    if str_at(event, "tab") != Some("home") {
        return None;
    }
    let user = str_at(event, "user")?;
    Some(Incoming {
        context: MessageContext::new(team, user, format!("home:{user}")),
        types: BTreeSet::new(),
        payload: Payload::AppHomeOpened,
        event_id: None,
        ts: None,
        flow_id: None,
        trigger_id: None,
        response_url: None,
    })
}

/// A global shortcut (`shortcut`) or a message shortcut (`message_action`). A global one
/// has no channel: its conversation is the user's DM with the app, named by the user id
/// (which `chat.postMessage` takes as a channel). A message shortcut's is the message's
/// channel.
fn from_shortcut(body: &Value) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let message = body.get("message").map(|m| ShortcutMessage {
        ts: str_at(m, "ts")
            .or_else(|| str_at(body, "message_ts"))
            .unwrap_or_default()
            .to_owned(),
        text: str_at(m, "text").unwrap_or_default().to_owned(),
        user: str_at(m, "user").unwrap_or_default().to_owned(),
    });
    let channel = match body.get("channel") {
        Some(channel) => need(channel, "id")?,
        None => user,
    };
    Ok(Incoming {
        context: MessageContext::new(team, user, channel),
        types: BTreeSet::from([MessageType::Interactive]),
        ts: message.as_ref().map(|m| m.ts.clone()),
        payload: Payload::Shortcut(ShortcutUse {
            callback_id: need(body, "callback_id")?.to_owned(),
            message,
        }),
        event_id: None,
        flow_id: None,
        trigger_id: Some(need(body, "trigger_id")?.to_owned()),
        response_url: str_at(body, "response_url").map(str::to_owned),
    })
}

/// A closed modal: routed by the flow id in its `private_metadata`, like a submission.
fn from_view_closed(body: &Value) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let view = body.get("view").ok_or(NormalizeError::Missing("view"))?;
    let (flow_id, _) = untag(str_at(view, "private_metadata").unwrap_or_default());
    Ok(Incoming {
        context: MessageContext::new(team, user, ""),
        types: BTreeSet::from([MessageType::Interactive]),
        payload: Payload::ViewClosed {
            view_id: need(view, "id")?.to_owned(),
            callback_id: str_at(view, "callback_id").unwrap_or_default().to_owned(),
        },
        event_id: None,
        ts: None,
        flow_id,
        trigger_id: None,
        response_url: None,
    })
}

fn from_view_submission(body: &Value) -> Result<Incoming, NormalizeError> {
    let (user, team) = user_and_team(body)?;
    let view = body.get("view").ok_or(NormalizeError::Missing("view"))?;
    let (flow_id, _) = untag(str_at(view, "private_metadata").unwrap_or_default());
    let mut fields = Vec::new();
    if let Some(blocks) = view.pointer("/state/values").and_then(Value::as_object) {
        for (block_id, actions) in blocks {
            for (action_id, element) in actions.as_object().into_iter().flatten() {
                fields.push(Field {
                    block_id: untag(block_id).1,
                    action_id: action_id.clone(),
                    values: field_values(element),
                });
            }
        }
    }
    let submission = ViewSubmission {
        view_id: need(view, "id")?.to_owned(),
        callback_id: str_at(view, "callback_id").unwrap_or_default().to_owned(),
        fields,
    };
    Ok(Incoming {
        context: MessageContext::new(team, user, ""),
        types: BTreeSet::from([MessageType::Interactive]),
        payload: Payload::ViewSubmission(submission),
        event_id: None,
        ts: None,
        flow_id,
        trigger_id: str_at(body, "trigger_id").map(str::to_owned),
        response_url: None,
    })
}
