//! Slack-shaped request bodies, built the way Slack sends them: Events API callbacks for
//! messages and mentions, `block_actions` and `view_submission` interactivity payloads,
//! slash command forms. The test kit and the console chat feed these through the same
//! normalization as real traffic.

use orchestrator_core::{SlackJson, Suggestion};
use serde_json::{json, Value};

/// What a user said, where: the parts of a message event.
///
/// ```
/// use orchestrator_core::{Incoming, MessageType};
/// use orchestrator_runtime::payloads::{message, Said};
/// let said = Said { team: "T1", user: "U1", channel: "C1", text: "+1", ts: "1.2", thread_ts: Some("1.1"), event_id: "Ev1" };
/// let incoming = Incoming::from_json(&message(&said)).unwrap().unwrap();
/// assert!(incoming.has(MessageType::Thread));
/// assert_eq!(incoming.context.conversation_key().as_str(), "T1/C1/1.1");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Said<'a> {
    /// Workspace id.
    pub team: &'a str,
    /// The sender.
    pub user: &'a str,
    /// The channel; one starting with `D` is a DM.
    pub channel: &'a str,
    /// The text.
    pub text: &'a str,
    /// The message's `ts`.
    pub ts: &'a str,
    /// The thread it is posted in.
    pub thread_ts: Option<&'a str>,
    /// The Events API `event_id`.
    pub event_id: &'a str,
}

/// A user's message as an Events API callback.
///
/// ```
/// use orchestrator_runtime::payloads::{message, Said};
/// let said = Said { team: "T1", user: "U1", channel: "D1", text: "hi", ts: "1.000001", thread_ts: None, event_id: "Ev1" };
/// let incoming = orchestrator_core::Incoming::from_json(&message(&said)).unwrap().unwrap();
/// assert_eq!(incoming.text(), Some("hi"));
/// ```
pub fn message(said: &Said<'_>) -> Value {
    let channel_type = if said.channel.starts_with('D') { "im" } else { "channel" };
    event(said, "message", said.text.to_owned(), Some(channel_type))
}

/// A message with files attached (`subtype: file_share`), files given as `(id, name)`.
///
/// ```
/// use orchestrator_runtime::payloads::{file_share, Said};
/// let said = Said { team: "T1", user: "U1", channel: "D1", text: "", ts: "1.1", thread_ts: None, event_id: "Ev1" };
/// let body = file_share(&said, &[("F1", "plan.pdf")]);
/// assert_eq!(body["event"]["files"][0]["name"], "plan.pdf");
/// ```
pub fn file_share(said: &Said<'_>, files: &[(&str, &str)]) -> Value {
    let mut body = message(said);
    body["event"]["subtype"] = json!("file_share");
    body["event"]["files"] = files
        .iter()
        .map(|(id, name)| {
            json!({"id": id, "name": name, "mimetype": "application/octet-stream",
                   "url_private": format!("https://files.slack.invalid/{id}/{name}"), "size": 1024})
        })
        .collect();
    body
}

/// A direct message from `user` in the DM channel `D{user}` (the test kit's convention).
///
/// ```
/// let body = orchestrator_runtime::payloads::direct_message("T1", "U1", "hi", "1.000001", "Ev1");
/// assert_eq!(body["event"]["channel"], "DU1");
/// ```
pub fn direct_message(team: &str, user: &str, text: &str, ts: &str, event_id: &str) -> Value {
    let channel = format!("D{user}");
    message(&Said {
        team,
        user,
        channel: &channel,
        text,
        ts,
        thread_ts: None,
        event_id,
    })
}

/// An `app_mention` of the bot `bot_user` as an Events API callback.
///
/// ```
/// use orchestrator_core::{Incoming, MessageType};
/// use orchestrator_runtime::payloads::{mention, Said};
/// let said = Said { team: "T1", user: "U1", channel: "C1", text: "deploy", ts: "1.000001", thread_ts: None, event_id: "Ev1" };
/// let body = mention(&said, "U0BOT");
/// assert_eq!(body["event"]["text"], "<@U0BOT> deploy");
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// assert!(incoming.has(MessageType::Mention));
/// ```
pub fn mention(said: &Said<'_>, bot_user: &str) -> Value {
    event(said, "app_mention", format!("<@{bot_user}> {}", said.text), None)
}

fn event(said: &Said<'_>, kind: &str, text: String, channel_type: Option<&str>) -> Value {
    let mut event = json!({"type": kind, "channel": said.channel, "user": said.user, "text": text,
                           "ts": said.ts, "event_ts": said.ts, "team": said.team});
    if let Some(channel_type) = channel_type {
        event["channel_type"] = json!(channel_type);
    }
    if let Some(thread) = said.thread_ts {
        event["thread_ts"] = json!(thread);
    }
    envelope(said.team, event, said.event_id)
}

/// Wraps an event in the `event_callback` envelope.
///
/// ```
/// use orchestrator_runtime::payloads::envelope;
/// let joined = serde_json::json!({"type": "member_joined_channel", "user": "U1", "channel": "C1"});
/// let body = envelope("T1", joined, "Ev9");
/// assert_eq!((body["type"].as_str(), body["event_id"].as_str()), (Some("event_callback"), Some("Ev9")));
/// ```
pub fn envelope(team: &str, event: Value, event_id: &str) -> Value {
    json!({"token": "unused", "team_id": team, "api_app_id": "A0TEST", "type": "event_callback",
           "event_id": event_id, "event_time": 1_700_000_000, "event": event,
           "authorizations": [{"enterprise_id": null, "team_id": team, "user_id": "UBOT", "is_bot": true,
                               "is_enterprise_install": false}],
           "is_ext_shared_channel": false})
}

/// Where an interactive element sits: its message and the block's (tagged) id.
///
/// ```
/// use orchestrator_core::{FromInput, Incoming, Selection};
/// use orchestrator_runtime::payloads::{block_action, ElementAt};
/// // A menu in a message inside a thread: the click belongs to the thread's conversation.
/// let at = ElementAt { channel: "C1", message_ts: "1.5", thread_ts: Some("1.1"), block_id: "pick" };
/// let mut menu = orchestrator_core::blocks::static_select("size", "Size", &[("S", "s"), ("L", "l")]);
/// menu["selected_option"] = serde_json::json!({"value": "l", "text": {"type": "plain_text", "text": "L"}});
/// let incoming = Incoming::from_json(&block_action("T1", "U1", &at, menu, "1.2")).unwrap().unwrap();
/// assert_eq!(Selection::from_input(&incoming).unwrap().value, "l");
/// assert_eq!(incoming.context.thread_ts.as_deref(), Some("1.1"));
/// ```
pub struct ElementAt<'a> {
    /// The channel of the message.
    pub channel: &'a str,
    /// The message's `ts`.
    pub message_ts: &'a str,
    /// The thread the message is in.
    pub thread_ts: Option<&'a str>,
    /// The block id as sent (with the flow tag).
    pub block_id: &'a str,
}

/// A `block_actions` payload for one clicked `element` (a button or a menu with a choice).
///
/// ```
/// use orchestrator_core::{Click, FromInput, Incoming};
/// use orchestrator_runtime::payloads::{block_action, ElementAt};
/// let at = ElementAt { channel: "D1", message_ts: "1.000001", thread_ts: None, block_id: "decision" };
/// let button = orchestrator_core::blocks::button("approve", "Approve", "yes");
/// let body = block_action("T1", "U1", &at, button, "1.2");
/// let click = Click::from_input(&Incoming::from_json(&body).unwrap().unwrap()).unwrap();
/// assert_eq!(click.action_id, "approve");
/// ```
pub fn block_action(team: &str, user: &str, at: &ElementAt<'_>, element: Value, trigger_id: &str) -> Value {
    let mut message = json!({"type": "message", "ts": at.message_ts, "text": ""});
    let mut container = json!({"type": "message", "message_ts": at.message_ts, "channel_id": at.channel,
                               "is_ephemeral": false});
    if let Some(thread) = at.thread_ts {
        message["thread_ts"] = json!(thread);
        container["thread_ts"] = json!(thread);
    }
    let mut action = element;
    action["block_id"] = json!(at.block_id);
    action["action_ts"] = json!("1700000000.5");
    json!({"type": "block_actions", "user": {"id": user, "team_id": team}, "team": {"id": team},
           "api_app_id": "A0TEST", "trigger_id": trigger_id,
           "response_url": format!("https://hooks.slack.invalid/actions/{trigger_id}"),
           "container": container, "channel": {"id": at.channel}, "message": message, "actions": [action]})
}

/// A [`block_action`] payload made one on an ephemeral message, as Slack sends it: without
/// the `message`, which only the user ever had; the `container` says it was ephemeral and
/// names it by the `message_ts` `chat.postEphemeral` answered (and its thread, if any).
///
/// ```
/// use orchestrator_core::Incoming;
/// use orchestrator_runtime::payloads::{block_action, on_ephemeral, ElementAt};
/// let at = ElementAt { channel: "C1", message_ts: "1.5", thread_ts: Some("1.0"), block_id: "b" };
/// let button = orchestrator_core::blocks::button("leave", "Leave", "y");
/// let body = on_ephemeral(block_action("T1", "U1", &at, button, "1.2"));
/// assert!(body.get("message").is_none() && body["container"]["is_ephemeral"] == true);
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!((incoming.ts.as_deref(), incoming.context.thread_ts.as_deref()), (Some("1.5"), Some("1.0")));
/// ```
pub fn on_ephemeral(mut block_action: Value) -> Value {
    if let Some(fields) = block_action.as_object_mut() {
        fields.remove("message");
    }
    block_action["container"]["is_ephemeral"] = Value::Bool(true);
    block_action
}

/// An interaction payload (a [`block_action`], a view submission) made one on a message
/// that a workflow's custom step run posted, as Slack sends it: with a just-in-time token
/// for the run, `bot_access_token`, which the steps it runs call Slack with.
///
/// ```
/// use orchestrator_core::Incoming;
/// use orchestrator_runtime::payloads::{block_action, in_workflow_run, ElementAt};
/// let at = ElementAt { channel: "D1", message_ts: "1.5", thread_ts: None, block_id: "b" };
/// let button = orchestrator_core::blocks::button("approve", "Approve", "y");
/// let body = in_workflow_run(block_action("T1", "U1", &at, button, "1.2"), "xwfp-2");
/// let incoming = Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!(incoming.workflow_token.unwrap().secret(), "xwfp-2");
/// ```
pub fn in_workflow_run(mut interaction: Value, token: &str) -> Value {
    interaction["bot_access_token"] = Value::from(token);
    interaction
}

/// A `block_suggestion` payload: the user typed `typed` in the external select
/// `action_id` of the message at `at`, and Slack asks for its options.
///
/// ```
/// use orchestrator_runtime::payloads::{block_suggestion, ElementAt};
/// let at = ElementAt { channel: "C1", message_ts: "1.2", thread_ts: None, block_id: "pick" };
/// let body = block_suggestion("T1", "U1", &at, "issue", "log");
/// assert_eq!((body["type"].as_str(), body["value"].as_str()), (Some("block_suggestion"), Some("log")));
/// ```
pub fn block_suggestion(team: &str, user: &str, at: &ElementAt<'_>, action_id: &str, typed: &str) -> Value {
    json!({"type": "block_suggestion", "user": {"id": user, "team_id": team}, "team": {"id": team},
           "api_app_id": "A0TEST", "token": "unused", "action_id": action_id, "block_id": at.block_id,
           "value": typed, "container": {"type": "message", "message_ts": at.message_ts, "channel_id": at.channel},
           "channel": {"id": at.channel}, "message": {"type": "message", "ts": at.message_ts, "text": ""}})
}

/// What Slack's `block_suggestion` for `typed` in the external select `action_id` at `at`
/// reads as ([`block_suggestion`], normalized as over the wire): what the test kit and the
/// console hand to [`Orchestrator::options`](crate::Orchestrator::options).
///
/// ```
/// use orchestrator_runtime::payloads::{suggestion, ElementAt};
/// let at = ElementAt { channel: "C1", message_ts: "1.2", thread_ts: None, block_id: "pick" };
/// assert_eq!(suggestion("T1", "U1", &at, "issue", "log").value, "log");
/// ```
pub fn suggestion(team: &str, user: &str, at: &ElementAt<'_>, action_id: &str, typed: &str) -> Suggestion {
    let body = block_suggestion(team, user, at, action_id, typed).to_string();
    match SlackJson::from_slice(body.as_bytes()) {
        Ok(SlackJson::Suggest(asked)) => *asked,
        other => unreachable!("a block_suggestion reads as one: {other:?}"),
    }
}

/// A `view_submission` payload for a modal with `values` as `(block_id, action_id, value)`.
/// Each input's state has the shape Slack sends for its element in `view` (a select's
/// `selected_option`, a date picker's `selected_date`, a rich text input's `rich_text_value`,
/// a file input's `files` with `value` as the file id…; a plain `value` for text inputs and
/// for an input `view` does not have). A multi-select or file input given several times
/// gets each value; its state is keyed by the block id as Slack has it (tagged by the flow).
///
/// ```
/// use orchestrator_runtime::payloads::view_submission;
/// use serde_json::json;
/// let view = json!({"callback_id": "c", "blocks": [{"type": "input", "block_id": "when",
///     "element": {"type": "datepicker", "action_id": "day"}}]});
/// let body = view_submission("T1", "U1", &view, "V1", &[("when", "day", "2026-12-24")], "1.2.t");
/// let day = &body["view"]["state"]["values"]["when"]["day"];
/// assert_eq!(day, &json!({"type": "datepicker", "selected_date": "2026-12-24"}));
/// ```
pub fn view_submission(
    team: &str,
    user: &str,
    view: &Value,
    view_id: &str,
    values: &[(&str, &str, &str)],
    trigger_id: &str,
) -> Value {
    json!({"type": "view_submission", "team": {"id": team}, "user": {"id": user, "team_id": team},
           "api_app_id": "A0TEST", "trigger_id": trigger_id, "view": view_with_state(view, view_id, values)})
}

/// A `block_actions` payload for a click on `element` (a button or a menu with a choice, in
/// the block `block_id` as sent) inside the modal `view`, open as `view_id`, while its inputs
/// hold `values` (as in [`view_submission`]).
///
/// ```
/// use orchestrator_runtime::payloads::view_action;
/// use serde_json::json;
/// let view = json!({"callback_id": "c", "blocks": []});
/// let add = json!({"type": "button", "action_id": "add", "text": {"type": "plain_text", "text": "Add"}});
/// let body = view_action("T1", "U1", &view, "V1", "more", add, &[("title", "title", "Draft")], "1.2.t");
/// assert_eq!(body["container"], json!({"type": "view", "view_id": "V1"}));
/// assert_eq!(body["view"]["state"]["values"]["title"]["title"]["value"], "Draft");
/// ```
#[allow(clippy::too_many_arguments)] // each is a part of Slack's payload
pub fn view_action(
    team: &str,
    user: &str,
    view: &Value,
    view_id: &str,
    block_id: &str,
    element: Value,
    values: &[(&str, &str, &str)],
    trigger_id: &str,
) -> Value {
    let mut action = element;
    action["block_id"] = json!(block_id);
    action["action_ts"] = json!("1700000000.5");
    json!({"type": "block_actions", "user": {"id": user, "team_id": team}, "team": {"id": team},
           "api_app_id": "A0TEST", "trigger_id": trigger_id,
           "container": {"type": "view", "view_id": view_id},
           "view": view_with_state(view, view_id, values), "actions": [action]})
}

/// The modal `view` as Slack describes it in a payload: its id, callback id, private
/// metadata, and its inputs' state holding `values`.
fn view_with_state(view: &Value, view_id: &str, values: &[(&str, &str, &str)]) -> Value {
    let mut state = serde_json::Map::new();
    for (block, action, value) in values {
        let element = input_element(view, block, action);
        let key = element
            .and_then(|(block_id, _)| block_id.as_str())
            .unwrap_or(block)
            .to_owned();
        let entry = state.entry(key).or_insert_with(|| json!({}));
        let kind = element
            .and_then(|(_, e)| e["type"].as_str())
            .unwrap_or("plain_text_input");
        let input = &mut entry[*action];
        input_state(input, kind, element.map(|(_, e)| e), value);
    }
    json!({"id": view_id, "type": "modal", "callback_id": view.get("callback_id").cloned().unwrap_or(json!("")),
           "private_metadata": view.get("private_metadata").cloned().unwrap_or(json!("")),
           "state": {"values": state}})
}

/// The input block of `view` whose block id (tagged or not) is `block` and whose element's
/// `action_id` is `action`: its block id as in the view, and its element.
fn input_element<'v>(view: &'v Value, block: &str, action: &str) -> Option<(&'v Value, &'v Value)> {
    view["blocks"].as_array()?.iter().find_map(|b| {
        let same_block = b["block_id"]
            .as_str()
            .is_some_and(|id| orchestrator_core::tag::untag(id).1 == block);
        (same_block && b["element"]["action_id"] == action).then(|| (&b["block_id"], &b["element"]))
    })
}

/// Writes `value` into `input`, an input's state, as Slack reports an element of `kind`
/// (adding to what is there for a multi-select or a file input).
fn input_state(input: &mut Value, kind: &str, element: Option<&Value>, value: &str) {
    input["type"] = json!(kind);
    let option = || {
        let listed = element.and_then(|e| e["options"].as_array());
        let found = listed.and_then(|options| options.iter().find(|o| o["value"] == value));
        found
            .cloned()
            .unwrap_or_else(|| orchestrator_core::blocks::option(value, value))
    };
    let mut append = |field: &str, item: Value| match input[field].as_array_mut() {
        Some(list) => list.push(item),
        None => input[field] = json!([item]),
    };
    match kind {
        "static_select" | "external_select" | "radio_buttons" => input["selected_option"] = option(),
        "multi_static_select" | "multi_external_select" | "checkboxes" => append("selected_options", option()),
        "users_select" => input["selected_user"] = json!(value),
        "conversations_select" => input["selected_conversation"] = json!(value),
        "channels_select" => input["selected_channel"] = json!(value),
        "multi_users_select" => append("selected_users", json!(value)),
        "multi_conversations_select" => append("selected_conversations", json!(value)),
        "multi_channels_select" => append("selected_channels", json!(value)),
        "datepicker" => input["selected_date"] = json!(value),
        "timepicker" => input["selected_time"] = json!(value),
        "datetimepicker" => input["selected_date_time"] = value.parse::<i64>().map_or(json!(value), |at| json!(at)),
        "rich_text_input" => {
            input["rich_text_value"] = json!({"type": "rich_text", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": value}]}]})
        }
        "file_input" => append(
            "files",
            json!({"id": value, "name": value, "mimetype": "application/octet-stream",
                   "url_private": format!("https://files.slack.invalid/files-pri/{value}")}),
        ),
        _ => input["value"] = json!(value),
    }
}

/// An `app_home_opened` Events API callback: `user` opened the app's Home tab.
///
/// ```
/// let body = orchestrator_runtime::payloads::app_home_opened("T1", "U1", "Ev1");
/// assert_eq!(body["event"]["tab"], "home");
/// ```
pub fn app_home_opened(team: &str, user: &str, event_id: &str) -> Value {
    envelope(
        team,
        json!({"type": "app_home_opened", "user": user, "channel": format!("D{user}"), "tab": "home",
               "event_ts": "1700000000.000100"}),
        event_id,
    )
}

/// An `assistant_thread_started` Events API callback (or, with `opened` false,
/// `assistant_thread_context_changed`): `user` opened the thread `thread_ts` of their DM
/// `channel` with the app in Slack's assistant container, viewing the channel `viewing`.
///
/// ```
/// let body = orchestrator_runtime::payloads::assistant_thread("T1", "U1", "DU1", "1.2", Some("C7"), true, "Ev1");
/// assert_eq!(body["event"]["assistant_thread"]["context"]["channel_id"], "C7");
/// ```
pub fn assistant_thread(
    team: &str,
    user: &str,
    channel: &str,
    thread_ts: &str,
    viewing: Option<&str>,
    opened: bool,
    event_id: &str,
) -> Value {
    let kind = if opened {
        "assistant_thread_started"
    } else {
        "assistant_thread_context_changed"
    };
    let context = match viewing {
        Some(viewing) => json!({"channel_id": viewing, "team_id": team, "enterprise_id": null}),
        None => json!({}),
    };
    envelope(
        team,
        json!({"type": kind, "event_ts": "1700000000.000300",
               "assistant_thread": {"user_id": user, "channel_id": channel, "thread_ts": thread_ts,
                                    "context": context}}),
        event_id,
    )
}

/// A `function_executed` Events API callback: a workflow ran the app's custom step
/// `callback_id` (run `execution_id`) with `inputs`.
///
/// ```
/// let body = orchestrator_runtime::payloads::function_executed("T1", "approve", "Fx1", serde_json::json!({"a": 1}), "Ev1");
/// assert_eq!(body["event"]["function"]["callback_id"], "approve");
/// ```
pub fn function_executed(team: &str, callback_id: &str, execution_id: &str, inputs: Value, event_id: &str) -> Value {
    envelope(
        team,
        json!({"type": "function_executed",
               "function": {"id": "Fn0TEST", "callback_id": callback_id, "title": callback_id, "type": "app",
                            "input_parameters": [], "output_parameters": [], "app_id": "A0TEST",
                            "date_created": 1_700_000_000, "date_updated": 1_700_000_000, "date_deleted": 0},
               "inputs": inputs, "function_execution_id": execution_id,
               "workflow_execution_id": format!("Wx{execution_id}"), "event_ts": "1700000000.000400",
               "bot_access_token": "xwfp-fake-workflow-token"}),
        event_id,
    )
}

/// A `member_joined_channel` Events API callback: `user` joined `channel` (a public one),
/// added by `inviter` if someone did.
///
/// ```
/// let body = orchestrator_runtime::payloads::member_joined("T1", "U2", "C1", Some("U1"), "Ev1");
/// let incoming = orchestrator_core::Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!((incoming.context.user_id.as_str(), incoming.context.channel_id.as_str()), ("U2", "C1"));
/// ```
pub fn member_joined(team: &str, user: &str, channel: &str, inviter: Option<&str>, event_id: &str) -> Value {
    let mut event = json!({"type": "member_joined_channel", "user": user, "channel": channel,
                           "channel_type": "C", "team": team, "event_ts": "1700000000.000500"});
    if let Some(inviter) = inviter {
        event["inviter"] = json!(inviter);
    }
    envelope(team, event, event_id)
}

/// A `team_join` Events API callback: `user` joined the workspace (Slack sends the whole
/// user object; a bot's has `is_bot: true`).
///
/// ```
/// let body = orchestrator_runtime::payloads::team_join("T1", "U2", false, "Ev1");
/// let incoming = orchestrator_core::Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!(incoming.context.channel_id, "U2", "the new member's DM with the app");
/// let bot = orchestrator_runtime::payloads::team_join("T1", "U3", true, "Ev2");
/// assert!(orchestrator_core::Incoming::from_json(&bot).unwrap().is_none(), "a new bot starts nothing");
/// ```
pub fn team_join(team: &str, user: &str, is_bot: bool, event_id: &str) -> Value {
    let joined = json!({"id": user, "team_id": team, "name": user.to_lowercase(), "deleted": false,
                        "real_name": format!("User {user}"), "is_bot": is_bot, "is_app_user": false,
                        "profile": {"real_name": format!("User {user}"), "display_name": ""}});
    let event = json!({"type": "team_join", "user": joined, "event_ts": "1700000000.000600"});
    envelope(team, event, event_id)
}

/// A `reaction_added` (or, with `added` false, `reaction_removed`) Events API callback:
/// `user` reacted with `name` to the message `message_ts` of `message_user` in `channel`.
///
/// ```
/// let body = orchestrator_runtime::payloads::reaction("T1", "U1", "D1", "1.2", "UBOT", "+1", true, "Ev1");
/// assert_eq!(body["event"]["item"]["ts"], "1.2");
/// ```
#[allow(clippy::too_many_arguments)] // each is a part of Slack's event
pub fn reaction(
    team: &str,
    user: &str,
    channel: &str,
    message_ts: &str,
    message_user: &str,
    name: &str,
    added: bool,
    event_id: &str,
) -> Value {
    let kind = if added { "reaction_added" } else { "reaction_removed" };
    envelope(
        team,
        json!({"type": kind, "user": user, "reaction": name, "item_user": message_user,
               "item": {"type": "message", "channel": channel, "ts": message_ts},
               "event_ts": "1700000000.000200"}),
        event_id,
    )
}

/// A global shortcut's payload (`type: shortcut`), as Slack sends it when `user` picks the
/// shortcut `callback_id` from the search bar or the shortcuts menu.
///
/// ```
/// let body = orchestrator_runtime::payloads::global_shortcut("T1", "U1", "new_request", "9.9");
/// let incoming = orchestrator_core::Incoming::from_json(&body).unwrap().unwrap();
/// assert_eq!(incoming.context.channel_id, "U1", "the user's DM with the app");
/// ```
pub fn global_shortcut(team: &str, user: &str, callback_id: &str, trigger_id: &str) -> Value {
    json!({"type": "shortcut", "token": "x", "action_ts": "1700000000.000001",
           "team": {"id": team, "domain": "test"},
           "user": {"id": user, "username": user, "team_id": team},
           "is_enterprise_install": false, "enterprise": null,
           "callback_id": callback_id, "trigger_id": trigger_id})
}

/// A message shortcut's payload (`type: message_action`): `user` used the shortcut
/// `callback_id` on the message `(ts, author, text)` in `channel`.
///
/// ```
/// use orchestrator_runtime::payloads::message_shortcut;
/// let body = message_shortcut("T1", "U1", "C1", ("1.000001", "U2", "the build is red"), "file_bug", "1.2");
/// assert_eq!((body["type"].as_str(), body["message"]["text"].as_str()), (Some("message_action"), Some("the build is red")));
/// ```
pub fn message_shortcut(
    team: &str,
    user: &str,
    channel: &str,
    message: (&str, &str, &str),
    callback_id: &str,
    trigger_id: &str,
) -> Value {
    let (ts, author, text) = message;
    json!({"type": "message_action", "token": "x", "action_ts": "1700000000.000002",
           "team": {"id": team, "domain": "test"},
           "user": {"id": user, "username": user, "team_id": team},
           "channel": {"id": channel, "name": "general"},
           "is_enterprise_install": false, "enterprise": null,
           "callback_id": callback_id, "trigger_id": trigger_id,
           "response_url": format!("https://hooks.slack.test/actions/{trigger_id}"),
           "message_ts": ts,
           "message": {"type": "message", "user": author, "ts": ts, "text": text}})
}

/// A `view_closed` payload: the user closed the modal `view` (with `notify_on_close`).
///
/// ```
/// let view = serde_json::json!({"callback_id": "survey", "private_metadata": "m"});
/// let body = orchestrator_runtime::payloads::view_closed("T1", "U1", &view, "V1");
/// assert_eq!(body["view"]["callback_id"], "survey");
/// ```
pub fn view_closed(team: &str, user: &str, view: &Value, view_id: &str) -> Value {
    json!({"type": "view_closed", "team": {"id": team}, "user": {"id": user, "team_id": team},
           "api_app_id": "A0TEST", "is_cleared": false,
           "view": {"id": view_id, "type": "modal", "callback_id": view.get("callback_id").cloned().unwrap_or(json!("")),
                    "private_metadata": view.get("private_metadata").cloned().unwrap_or(json!(""))}})
}

/// A slash command's form body.
///
/// ```
/// let form = orchestrator_runtime::payloads::slash_command("T1", "U1", "C1", "/approve", "deploy v2", "13.37");
/// assert!(form.contains("command=%2Fapprove"));
/// ```
pub fn slash_command(team: &str, user: &str, channel: &str, command: &str, text: &str, trigger_id: &str) -> String {
    let channel_name = if channel.starts_with('D') {
        "directmessage"
    } else {
        "general"
    };
    form_urlencoded::Serializer::new(String::new())
        .append_pair("token", "unused")
        .append_pair("team_id", team)
        .append_pair("channel_id", channel)
        .append_pair("channel_name", channel_name)
        .append_pair("user_id", user)
        .append_pair("command", command)
        .append_pair("text", text)
        .append_pair("api_app_id", "A0TEST")
        .append_pair("trigger_id", trigger_id)
        .append_pair(
            "response_url",
            &format!("https://hooks.slack.invalid/commands/{trigger_id}"),
        )
        .finish()
}

/// The (tagged) block id and the element with `action_id` in a message's blocks: what a
/// click on it sends back.
///
/// ```
/// use orchestrator_core::blocks::{actions, button};
/// let blocks = serde_json::json!([actions("so:x:choices", vec![button("ok", "OK", "1")])]);
/// let (block_id, element) = orchestrator_runtime::payloads::find_element(&blocks, "ok").unwrap();
/// assert_eq!((block_id.as_str(), element["value"].as_str()), ("so:x:choices", Some("1")));
/// ```
pub fn find_element(blocks: &Value, action_id: &str) -> Option<(String, Value)> {
    blocks.as_array()?.iter().find_map(|block| {
        let block_id = block["block_id"].as_str().unwrap_or_default().to_owned();
        orchestrator_core::blocks::elements(block)
            .find(|e| e["action_id"] == action_id)
            .map(|e| (block_id.clone(), e.clone()))
    })
}

/// Where Slack puts a message posted to `channel`, as the Slacks that run in process (the
/// recording one, the test kit's fake) answer: a user id (`U…`, `W…`) means the app's DM
/// with that user, which they name `D` + the user id (their `conversations.open` answers
/// the same); any other channel is itself.
///
/// ```
/// use orchestrator_runtime::payloads::posted_in;
/// assert_eq!(posted_in("U1"), "DU1", "a post to a user id lands in the app's DM with them");
/// assert_eq!(posted_in("C1"), "C1");
/// ```
pub fn posted_in(channel: &str) -> String {
    match orchestrator_core::is_user_id(channel) {
        true => format!("D{channel}"),
        false => channel.to_owned(),
    }
}

/// The `ts` of the `n`-th message of a Slack that runs in process (the recording one, the
/// console's, the test kit's fake): `1700000000.000001`, `…002`, … One format everywhere,
/// so the ids they hand out never collide with one another's shape.
///
/// ```
/// assert_eq!(orchestrator_runtime::payloads::ts(42), "1700000000.000042");
/// ```
pub fn ts(n: u64) -> String {
    format!("1700000000.{n:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator_core::{FromInput, Incoming, Submission};

    /// A modal with one input of each kind, its block ids tagged as a flow's are.
    fn modal() -> Value {
        let input = |block: &str, element: Value| json!({"type": "input", "block_id": format!("{}{block}", tagged()), "element": element});
        json!({"callback_id": "everything", "private_metadata": "m", "blocks": [
            input("size", json!({"type": "static_select", "action_id": "size", "options": [
                {"text": {"type": "plain_text", "text": "Large"}, "value": "l"}]})),
            input("tags", json!({"type": "multi_static_select", "action_id": "tags", "options": []})),
            input("who", json!({"type": "multi_users_select", "action_id": "who"})),
            input("when", json!({"type": "datetimepicker", "action_id": "when"})),
            input("notes", json!({"type": "rich_text_input", "action_id": "notes"})),
            input("proof", json!({"type": "file_input", "action_id": "proof"})),
            input("title", json!({"type": "plain_text_input", "action_id": "title"})),
        ]})
    }

    fn tagged() -> String {
        orchestrator_core::tag::tag(uuid::Uuid::nil(), "")
    }

    #[test]
    fn each_input_is_shaped_as_slack_sends_its_element_and_reads_back_as_given() {
        let values = [
            ("size", "size", "l"),
            ("tags", "tags", "a"),
            ("tags", "tags", "b"),
            ("who", "who", "U1"),
            ("who", "who", "U2"),
            ("when", "when", "1798099200"),
            ("notes", "notes", "see *this*"),
            ("proof", "proof", "F1"),
            ("title", "title", "Hi"),
            ("other", "other", "kept"),
        ];
        let body = view_submission("T1", "U1", &modal(), "V1", &values, "1.2.t");
        let state = &body["view"]["state"]["values"];
        let size = &state[format!("{}size", tagged())]["size"];
        assert_eq!(
            size["selected_option"],
            json!({"text": {"type": "plain_text", "text": "Large"}, "value": "l"})
        );
        assert_eq!(
            state[format!("{}when", tagged())]["when"]["selected_date_time"],
            json!(1798099200)
        );
        assert_eq!(
            state["other"]["other"],
            json!({"type": "plain_text_input", "value": "kept"})
        );

        let incoming = Incoming::from_json(&body).unwrap().unwrap();
        let form = Submission::from_input(&incoming).unwrap();
        assert_eq!(form.value("size"), Some("l"));
        assert_eq!(form.field("tags").unwrap().values, ["a", "b"]);
        assert_eq!(form.field("who").unwrap().values, ["U1", "U2"]);
        assert_eq!(form.value("when"), Some("1798099200"));
        assert_eq!(form.value("notes"), Some("see *this*"));
        assert_eq!(form.value("proof"), Some("F1"));
        assert_eq!(form.field("proof").unwrap().files[0].id, "F1");
        assert_eq!(form.value("title"), Some("Hi"));
        assert_eq!(form.value("other"), Some("kept"));
        assert_eq!(form.field("size").unwrap().block_id, "size", "untagged for the flow");
    }
}
