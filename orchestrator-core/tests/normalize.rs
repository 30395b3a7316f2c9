//! Normalization of Slack payloads shaped as Slack documents and sends them.

use orchestrator_core::{
    Click, FromInput, Incoming, MessageContext, MessageType, NotInput, Payload, Selection, SlackJson, Submission,
    Suggestion, Text,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

fn normalize(body: Value) -> Incoming {
    Incoming::from_json(&body).expect("valid").expect("supported")
}

fn types(list: &[MessageType]) -> BTreeSet<MessageType> {
    list.iter().copied().collect()
}

#[test]
fn app_mention_at_top_level_lives_in_a_thread_under_itself() {
    let incoming = normalize(json!({
        "token": "x", "team_id": "T061EG9R6", "api_app_id": "A0MDYCDME", "type": "event_callback",
        "event_id": "Ev0LAN670R", "event_time": 1515449522,
        "event": {"type": "app_mention", "user": "U061F7AUR", "text": "<@U0LAN0Z89> is it everything a river should be?",
                  "ts": "1515449522.000016", "channel": "C123ABC456", "event_ts": "1515449522000016"}
    }));
    assert_eq!(
        incoming.types,
        types(&[MessageType::Text, MessageType::Channel, MessageType::Mention])
    );
    assert_eq!(
        incoming.context,
        MessageContext::new("T061EG9R6", "U061F7AUR", "C123ABC456").in_thread("1515449522.000016")
    );
    assert_eq!(incoming.text(), Some("is it everything a river should be?"));
    assert_eq!(incoming.event_id.as_deref(), Some("Ev0LAN670R"));
}

#[test]
fn a_direct_message() {
    let incoming = normalize(json!({
        "type": "event_callback", "team_id": "T1", "event_id": "Ev1",
        "event": {"type": "message", "channel": "D024BE91L", "user": "U2147483697", "text": "Hello hello can you hear me?",
                  "ts": "1355517523.000005", "event_ts": "1355517523.000005", "channel_type": "im"}
    }));
    assert_eq!(incoming.types, types(&[MessageType::Text, MessageType::Direct]));
    assert_eq!(incoming.context.thread_ts, None, "the top of the DM");
    assert_eq!(incoming.context.conversation_key().as_str(), "T1/D024BE91L");
}

#[test]
fn a_reply_in_a_dm_thread_is_in_that_thread() {
    let incoming = normalize(json!({
        "type": "event_callback", "team_id": "T1", "event_id": "Ev1",
        "event": {"type": "message", "channel": "D024BE91L", "user": "U1", "text": "and this?",
                  "ts": "1700000001.000200", "thread_ts": "1700000000.000100", "channel_type": "im"}
    }));
    assert_eq!(
        incoming.types,
        types(&[MessageType::Text, MessageType::Direct, MessageType::Thread])
    );
    assert_eq!(
        incoming.context.conversation_key().as_str(),
        "T1/D024BE91L/1700000000.000100",
        "each thread of a DM is a conversation (an assistant app's chats are threads)"
    );
}

/// Slack's documented `assistant_thread_started` (with its `enterprise_id`) and
/// `assistant_thread_context_changed`.
#[test]
fn an_assistant_thread_opened_and_its_context_changed() {
    let thread = |kind: &str, context: serde_json::Value| {
        normalize(json!({
            "token": "XXYYZZ", "team_id": "T123ABC456", "api_app_id": "A123ABC456", "type": "event_callback",
            "authed_users": ["U123ABC456"], "event_id": "Ev123ABC456", "event_time": 123456789,
            "event": {"type": kind, "event_ts": "1715873754.429808",
                      "assistant_thread": {"user_id": "U123ABC456", "context": context,
                                           "channel_id": "D123ABC456", "thread_ts": "1729999327.187299"}}
        }))
    };
    let started = thread(
        "assistant_thread_started",
        json!({"channel_id": "C123ABC456", "team_id": "T07XY8FPJ5C", "enterprise_id": "E480293PS82"}),
    );
    assert_eq!(
        started.context,
        MessageContext::new("T123ABC456", "U123ABC456", "D123ABC456").in_thread("1729999327.187299")
    );
    assert_eq!(started.event_id.as_deref(), Some("Ev123ABC456"));
    let Payload::Assistant(opened) = &started.payload else {
        panic!("{:?}", started.payload)
    };
    assert!(opened.opened);
    assert_eq!(
        (
            opened.viewing.as_deref(),
            opened.viewing_team.as_deref(),
            opened.enterprise_id.as_deref()
        ),
        (Some("C123ABC456"), Some("T07XY8FPJ5C"), Some("E480293PS82"))
    );
    assert!(
        started.types.is_empty(),
        "not a message: no notice when no flow takes it"
    );

    let changed = thread("assistant_thread_context_changed", json!({"enterprise_id": null}));
    let Payload::Assistant(moved) = &changed.payload else {
        panic!("{:?}", changed.payload)
    };
    assert!(!moved.opened);
    assert_eq!(moved.viewing, None, "a context without a channel");

    let broken = json!({"type": "event_callback", "team_id": "T1",
                        "event": {"type": "assistant_thread_started", "assistant_thread": {"user_id": "U1"}}});
    assert_eq!(
        Incoming::from_json(&broken).map(|_| ()).unwrap_err().to_string(),
        "malformed Slack payload: `assistant_thread.channel_id` is missing or not a string"
    );
}

/// Slack's documented `function_executed`: a workflow ran the app's custom step.
#[test]
fn a_workflow_step_run() {
    let incoming = normalize(json!({
        "token": "XXYYZZ", "team_id": "T123ABC456", "api_app_id": "A123ABC456", "type": "event_callback",
        "event_id": "Ev123ABC456", "event_time": 1698958075,
        "authorizations": [{"team_id": "T123ABC456", "user_id": "U123ABC456", "is_bot": false, "is_enterprise_install": false}],
        "event": {"type": "function_executed",
                  "function": {"id": "Fn123456789O", "callback_id": "sample_function", "title": "Sample function",
                               "description": "Runs sample function", "type": "app",
                               "input_parameters": [{"type": "slack#/reference/objects/user-object_id", "name": "user_id",
                                                     "description": "Message recipient", "title": "User", "is_required": true}],
                               "output_parameters": [], "app_id": "AP123456789",
                               "date_created": 1694727597, "date_updated": 1698947481, "date_deleted": 0},
                  "inputs": {"user_id": "USER12345678"}, "function_execution_id": "Fx1234567O9L",
                  "workflow_execution_id": "WxABC123DEF0", "event_ts": "1698958075.998738",
                  "bot_access_token": "abcd-1325532282098"}
    }));
    let Payload::Function(run) = &incoming.payload else {
        panic!("{:?}", incoming.payload)
    };
    assert_eq!(
        (
            run.callback_id.as_str(),
            run.execution_id.as_str(),
            run.workflow_execution_id.as_deref()
        ),
        ("sample_function", "Fx1234567O9L", Some("WxABC123DEF0"))
    );
    assert_eq!(run.input("user_id"), Some("USER12345678"));
    assert_eq!(
        incoming.context.conversation_key().as_str(),
        "T123ABC456/function:Fx1234567O9L"
    );
    assert_eq!(incoming.context.function_execution_id(), Some("Fx1234567O9L"));
    assert!(
        incoming.types.is_empty(),
        "no user: nobody to tell when no flow takes it"
    );
    let no_run = json!({"type": "event_callback", "team_id": "T1",
                        "event": {"type": "function_executed", "function": {"callback_id": "f"}}});
    assert_eq!(
        Incoming::from_json(&no_run).map(|_| ()).unwrap_err().to_string(),
        "malformed Slack payload: `function_execution_id` is missing or not a string"
    );
}

#[test]
fn a_reply_in_a_channel_thread() {
    let incoming = normalize(json!({
        "type": "event_callback", "team_id": "T1", "event_id": "Ev2",
        "event": {"type": "message", "channel": "C1", "channel_type": "channel", "user": "U1", "text": "Alice",
                  "ts": "1700000001.000200", "thread_ts": "1700000000.000100"}
    }));
    assert_eq!(
        incoming.types,
        types(&[MessageType::Text, MessageType::Thread, MessageType::Channel])
    );
    assert_eq!(incoming.context.thread_ts.as_deref(), Some("1700000000.000100"));
}

#[test]
fn a_file_share_carries_its_files() {
    let incoming = normalize(json!({
        "type": "event_callback", "team_id": "T1", "event_id": "Ev3",
        "event": {"type": "message", "subtype": "file_share", "channel": "D1", "channel_type": "im", "user": "U1",
                  "text": "", "ts": "1.5",
                  "files": [{"id": "F0123", "name": "report.pdf", "mimetype": "application/pdf",
                             "url_private": "https://files.slack.com/files-pri/T1-F0123/report.pdf", "size": 1024}]}
    }));
    assert_eq!(incoming.types, types(&[MessageType::File, MessageType::Direct]));
    let Payload::Message { files, .. } = &incoming.payload else {
        panic!()
    };
    assert_eq!((files[0].id.as_str(), files[0].size), ("F0123", Some(1024)));
    assert!(Text::from_input(&incoming).is_none(), "an empty caption is no text");
}

#[test]
fn edits_deletions_and_bots_are_not_input() {
    let changed = normalize(json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev4",
        "event": {"type": "message", "subtype": "message_changed", "channel": "C1", "hidden": true, "ts": "2.0",
                  "message": {"type": "message", "user": "U1", "text": "edited", "ts": "1.0"}}}));
    assert_eq!(
        changed.payload,
        Payload::NotInput(NotInput::Subtype("message_changed".into()))
    );
    let bot = normalize(json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev5",
        "event": {"type": "message", "channel": "C1", "user": "U9", "bot_id": "B1", "text": "beep", "ts": "3.0"}}));
    assert_eq!(bot.payload, Payload::NotInput(NotInput::BotMessage));
    assert!(!bot.is_user_input());
}

fn block_actions(action: Value) -> Value {
    let flow = Uuid::nil();
    let mut action = action;
    action["block_id"] = json!(format!("so:{flow}:choices"));
    json!({
        "type": "block_actions", "user": {"id": "U1", "username": "alice", "team_id": "T1"},
        "api_app_id": "A1", "token": "x", "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": false},
        "trigger_id": "12345.98765.abcd", "team": {"id": "T1", "domain": "acme"},
        "channel": {"id": "C1", "name": "general"},
        "message": {"type": "message", "ts": "1.1", "thread_ts": "1.0", "text": "Choose"},
        "response_url": "https://hooks.slack.com/actions/T1/1/abc",
        "actions": [action]
    })
}

#[test]
fn a_click_on_an_ephemeral_message_in_a_thread_comes_without_the_message_and_stays_in_the_thread() {
    // Slack sends no `message` for an ephemeral one (only the user ever had it): where it
    // was is in the container.
    let mut body = block_actions(json!({"action_id": "leave", "type": "button", "value": "y", "action_ts": "1.2"}));
    body.as_object_mut().unwrap().remove("message");
    body["container"] = json!({"type": "message", "message_ts": "1.5", "channel_id": "C1",
                               "is_ephemeral": true, "thread_ts": "1.0"});
    let incoming = normalize(body);
    assert_eq!(incoming.flow_id, Some(Uuid::nil()));
    assert_eq!(incoming.context.thread_ts.as_deref(), Some("1.0"));
    assert_eq!(incoming.context.conversation_key().as_str(), "T1/C1/1.0");
    let click = Click::from_input(&incoming).unwrap();
    assert_eq!(click.action_id, "leave");
    // The message is named by the container's `message_ts`, as `chat.postEphemeral` answered.
    assert_eq!(incoming.ts.as_deref(), Some("1.5"));
    assert_eq!(click.message_ts.as_deref(), Some("1.5"));
}

#[test]
fn a_button_click_is_routed_by_the_flow_id_in_its_block() {
    let incoming = normalize(block_actions(
        json!({"action_id": "approve", "type": "button", "value": "yes",
        "text": {"type": "plain_text", "text": "Approve"}, "action_ts": "1.2"}),
    ));
    assert_eq!(incoming.flow_id, Some(Uuid::nil()));
    assert_eq!(
        incoming.types,
        types(&[MessageType::Interactive, MessageType::Channel, MessageType::Thread])
    );
    assert_eq!(incoming.dedup_key().as_deref(), Some("trigger:12345.98765.abcd"));
    let click = Click::from_input(&incoming).unwrap();
    assert_eq!(
        (
            click.action_id.as_str(),
            click.value.as_deref(),
            click.message_ts.as_deref()
        ),
        ("approve", Some("yes"), Some("1.1"))
    );
    let Payload::Action(action) = &incoming.payload else {
        panic!()
    };
    assert_eq!(action.block_id.as_deref(), Some("choices"), "the tag is removed");
    assert!(Selection::from_input(&incoming).is_none());
}

#[test]
fn every_kind_of_select_yields_a_selection() {
    let cases = [
        (
            json!({"action_id": "size", "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Large"}, "value": "l"}}),
            "l",
            Some("Large"),
        ),
        (
            json!({"action_id": "who", "type": "users_select", "selected_user": "U42"}),
            "U42",
            None,
        ),
        (
            json!({"action_id": "where", "type": "conversations_select", "selected_conversation": "C42"}),
            "C42",
            None,
        ),
        (
            json!({"action_id": "chan", "type": "channels_select", "selected_channel": "C43"}),
            "C43",
            None,
        ),
    ];
    for (action, value, label) in cases {
        let incoming = normalize(block_actions(action));
        let selection = Selection::from_input(&incoming).unwrap();
        assert_eq!((selection.value.as_str(), selection.label.as_deref()), (value, label));
        assert!(Click::from_input(&incoming).is_none());
    }
}

#[test]
fn a_view_submission_yields_its_values_and_flow() {
    let flow = Uuid::from_u128(7);
    let incoming = normalize(json!({
        "type": "view_submission", "team": {"id": "T1", "domain": "acme"}, "user": {"id": "U1", "team_id": "T1"},
        "trigger_id": "9.9.z",
        "view": {"id": "VNHU13V36", "type": "modal", "callback_id": "feedback",
                 "private_metadata": format!("so:{flow}:"),
                 "state": {"values": {
                     format!("so:{flow}:score"): {"score": {"type": "plain_text_input", "value": "5"}},
                     "tags": {"tags": {"type": "multi_static_select", "selected_options": [{"value": "a"}, {"value": "b"}]}},
                     "owner": {"owner": {"type": "users_select", "selected_user": "U7"}}
                 }}}
    }));
    assert_eq!(incoming.flow_id, Some(flow));
    let form = Submission::from_input(&incoming).unwrap();
    assert_eq!(form.callback_id, "feedback");
    assert_eq!(form.value("score"), Some("5"));
    assert_eq!(form.field("score").unwrap().block_id, "score");
    assert_eq!(form.field("tags").unwrap().values, vec!["a", "b"]);
    assert_eq!(form.value("owner"), Some("U7"));
}

/// A channel shared with another organization (Slack Connect): the envelope's `team_id`
/// may be the workspace the channel came from, and an event's `team` is the speaker's;
/// every event is keyed by the workspace the bot is installed in (`authorizations`), so a
/// conversation has one key whoever speaks and whoever made the channel.
#[test]
fn in_a_slack_connect_channel_events_are_keyed_by_the_installations_workspace() {
    let home = json!([{"enterprise_id": null, "team_id": "T_HOME", "user_id": "U_BOT", "is_bot": true,
                       "is_enterprise_install": false}]);
    let shared = |event: Value, authorizations: &Value| {
        normalize(json!({
            "token": "x", "team_id": "T_ORIGIN", "api_app_id": "A1", "type": "event_callback", "event_id": "Ev1",
            "event_time": 1700000001, "event": event, "authorizations": authorizations,
            "is_ext_shared_channel": true, "context_team_id": "T_ORIGIN", "context_enterprise_id": null
        }))
    };
    let said = shared(
        json!({"type": "message", "channel": "C_SHARED", "user": "U_EXT", "text": "done", "ts": "1700000001.000100",
               "team": "T_EXT", "user_team": "T_EXT", "source_team": "T_EXT", "channel_type": "channel"}),
        &home,
    );
    assert_eq!(said.context, MessageContext::new("T_HOME", "U_EXT", "C_SHARED"));
    // A member of the other organization joins: the event's `team` is theirs.
    let joined = shared(
        json!({"type": "member_joined_channel", "user": "U_EXT", "channel": "C_SHARED", "channel_type": "C",
               "team": "T_EXT", "event_ts": "1700000000.000500"}),
        &home,
    );
    assert_eq!(joined.context.conversation_key(), said.context.conversation_key());
    // An org-wide install names no workspace in its authorization: the envelope's is used.
    let org_wide = json!([{"enterprise_id": "E1", "team_id": null, "user_id": "U_BOT", "is_bot": true,
                           "is_enterprise_install": true}]);
    let org = shared(
        json!({"type": "message", "channel": "C_SHARED", "user": "U_EXT", "text": "done", "ts": "1700000001.000100",
               "team": "T_EXT", "channel_type": "channel"}),
        &org_wide,
    );
    assert_eq!(org.context.team_id, "T_ORIGIN");
    // A modal opened from another workspace: the view names the installation's.
    let submitted = normalize(json!({
        "type": "view_submission", "team": {"id": "T_EXT", "domain": "ext"}, "user": {"id": "U_EXT", "team_id": "T_EXT"},
        "view": {"id": "V1", "type": "modal", "callback_id": "feedback", "private_metadata": "", "team_id": "T_EXT",
                 "app_installed_team_id": "T_HOME", "state": {"values": {}}}
    }));
    assert_eq!(submitted.context.team_id, "T_HOME");
}

#[test]
fn a_slash_command_in_a_dm() {
    let body = "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001\
        &channel_id=D2147483705&channel_name=directmessage&user_id=U2147483697&user_name=Steve\
        &command=%2Fweather&text=94070&api_app_id=A123456\
        &response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0";
    let incoming = Incoming::from_slash_command(body).unwrap();
    assert_eq!(incoming.types, types(&[MessageType::Text, MessageType::Direct]));
    let Payload::Command(command) = &incoming.payload else {
        panic!()
    };
    assert_eq!((command.command.as_str(), command.text.as_str()), ("/weather", "94070"));
    assert_eq!(
        incoming.response_url.as_deref(),
        Some("https://hooks.slack.com/commands/1234/5678")
    );
}

#[test]
fn malformed_bodies_say_what_is_missing() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"no": "type"}), "`type`"),
        (json!({"type": "event_callback"}), "`event`"),
        (
            json!({"type": "event_callback", "event": {"type": "message", "channel": "C1", "ts": "1"}}),
            "`user`",
        ),
        (
            json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}}),
            "`actions`",
        ),
        (
            json!({"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}}),
            "`view`",
        ),
    ];
    for (body, missing) in cases {
        let error = Incoming::from_json(&body).unwrap_err().to_string();
        assert!(error.contains(missing), "{error} should name {missing}");
    }
    assert!(Incoming::from_slash_command("team_id=T1&user_id=U1")
        .unwrap_err()
        .to_string()
        .contains("`channel_id`"));
    assert!(Incoming::from_interaction_form("nothing=here")
        .unwrap_err()
        .to_string()
        .contains("`payload`"));
}

#[test]
fn escaped_json_strings_read_as_their_text() {
    // Slack's JSON escapes `/` and may escape any character (`\u00e9`); read from the
    // bytes, as the ingress does, they are the text the user typed.
    let body = br#"{"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": "Ev1", "event_time": 1700000000,
        "event": {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1",
                  "text": "caf\u00e9 \/ \"quoted\" \ud83d\ude00", "ts": "1700000000.000100"}}"#;
    let orchestrator_core::SlackJson::Input(incoming) = orchestrator_core::SlackJson::from_slice(body).unwrap() else {
        panic!("an event");
    };
    assert_eq!(incoming.text(), Some("café / \"quoted\" 😀"));
}

#[test]
fn a_view_submission_reads_pickers_and_leaves_unset_inputs_empty() {
    // The state Slack sends for a date, a time and a date-time picker (its value a number
    // of Unix seconds), and for optional inputs left empty (null).
    let incoming = normalize(json!({
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}, "trigger_id": "9.9.y",
        "view": {"id": "V1", "type": "modal", "callback_id": "leave", "private_metadata": "",
                 "state": {"values": {
                     "day": {"day": {"type": "datepicker", "selected_date": "2026-12-24"}},
                     "hour": {"hour": {"type": "timepicker", "selected_time": "09:30", "timezone": "Europe/Paris"}},
                     "at": {"at": {"type": "datetimepicker", "selected_date_time": 1798099200}},
                     "why": {"why": {"type": "plain_text_input", "value": null}},
                     "kind": {"kind": {"type": "static_select", "selected_option": null}}
                 }}}
    }));
    let form = Submission::from_input(&incoming).unwrap();
    assert_eq!(form.value("day"), Some("2026-12-24"));
    assert_eq!(form.value("hour"), Some("09:30"));
    assert_eq!(form.value("at"), Some("1798099200"));
    assert_eq!(form.value("why"), None);
    assert_eq!(form.value("kind"), None);
}

#[test]
fn a_view_submission_reads_rich_text_file_number_email_and_url_inputs() {
    // The state Slack sends for the newer inputs: a rich text input's value is a
    // `rich_text` block, a file input's the uploaded files; numbers, emails and URLs are
    // strings in `value`.
    let incoming = normalize(json!({
        "type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"}, "trigger_id": "9.9.z",
        "view": {"id": "V2", "type": "modal", "callback_id": "report", "private_metadata": "",
                 "state": {"values": {
                     "details": {"details": {"type": "rich_text_input", "rich_text_value": {
                         "type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
                             {"type": "text", "text": "Broken since "},
                             {"type": "text", "text": "Monday", "style": {"bold": true}},
                             {"type": "text", "text": ", ask "},
                             {"type": "user", "user_id": "U2"}]}]}}},
                     "empty": {"empty": {"type": "rich_text_input",
                                         "rich_text_value": {"type": "rich_text", "elements": []}}},
                     "proof": {"proof": {"type": "file_input", "files": [
                         {"id": "F1", "name": "screen.png", "mimetype": "image/png", "size": 2048,
                          "url_private": "https://files.slack.com/files-pri/T1-F1/screen.png"},
                         {"id": "F2", "name": "log.txt", "mimetype": "text/plain", "size": 10,
                          "url_private": "https://files.slack.com/files-pri/T1-F2/log.txt"}]}},
                     "count": {"count": {"type": "number_input", "value": "3"}},
                     "mail": {"mail": {"type": "email_text_input", "value": "ana@example.com"}},
                     "link": {"link": {"type": "url_text_input", "value": "https://example.com"}}
                 }}}
    }));
    let form = Submission::from_input(&incoming).unwrap();
    assert_eq!(form.value("details"), Some("Broken since *Monday*, ask <@U2>"));
    assert_eq!(form.value("empty"), None, "an empty rich text input is left empty");
    let proof = form.field("proof").unwrap();
    assert_eq!(proof.values, ["F1", "F2"]);
    let names: Vec<_> = proof.files.iter().map(|f| f.name.as_deref()).collect();
    assert_eq!(names, [Some("screen.png"), Some("log.txt")]);
    assert_eq!(
        proof.files[0].url_private.as_deref(),
        Some("https://files.slack.com/files-pri/T1-F1/screen.png")
    );
    assert_eq!(proof.files[1].size, Some(10));
    assert!(form.field("details").unwrap().files.is_empty());
    assert_eq!(form.value("count"), Some("3"));
    assert_eq!(form.value("mail"), Some("ana@example.com"));
    assert_eq!(form.value("link"), Some("https://example.com"));
}

#[test]
fn checkboxes_and_a_multi_select_in_a_message_give_every_choice() {
    // As Slack sends a tick in a message's checkboxes: every box now checked.
    let tick = |action: Value| {
        normalize(json!({
            "type": "block_actions", "user": {"id": "U1", "team_id": "T1"}, "team": {"id": "T1"},
            "api_app_id": "A1", "trigger_id": "1.2.c",
            "container": {"type": "message", "message_ts": "1700000000.000200", "channel_id": "D1", "is_ephemeral": false},
            "channel": {"id": "D1", "name": "directmessage"},
            "message": {"type": "message", "ts": "1700000000.000200", "text": "Tick", "user": "UBOT"},
            "state": {"values": {}},
            "response_url": "https://hooks.slack.com/actions/T1/1/x",
            "actions": [action]
        }))
    };
    let checked = tick(json!({
        "type": "checkboxes", "action_id": "done", "block_id": "items", "action_ts": "1700000001.1",
        "selected_options": [
            {"text": {"type": "plain_text", "text": "Laptop", "emoji": true}, "value": "laptop"},
            {"text": {"type": "mrkdwn", "text": "*Badge*", "verbatim": false}, "value": "badge"}]
    }));
    let choice = Selection::from_input(&checked).unwrap();
    assert_eq!(
        (choice.value.as_str(), choice.label.as_deref()),
        ("laptop", Some("Laptop"))
    );
    assert_eq!(choice.values, ["laptop", "badge"]);
    assert_eq!(choice.message_ts.as_deref(), Some("1700000000.000200"));

    let cleared = tick(json!({"type": "checkboxes", "action_id": "done", "block_id": "items",
                              "action_ts": "1700000002.1", "selected_options": []}));
    let choice = Selection::from_input(&cleared).unwrap();
    assert_eq!(
        (choice.value.as_str(), choice.values.len()),
        ("", 0),
        "the last box unticked"
    );

    let users = tick(
        json!({"type": "multi_users_select", "action_id": "helpers", "block_id": "items",
                            "action_ts": "1700000003.1", "selected_users": ["U2", "U3"]}),
    );
    assert_eq!(Selection::from_input(&users).unwrap().values, ["U2", "U3"]);

    let menu = tick(
        json!({"type": "static_select", "action_id": "size", "block_id": "items",
                           "action_ts": "1700000004.1",
                           "selected_option": {"text": {"type": "plain_text", "text": "Large"}, "value": "l"}}),
    );
    assert_eq!(
        Selection::from_input(&menu).unwrap().values,
        ["l"],
        "one menu choice, alone"
    );
}

#[test]
fn a_click_in_a_modal_carries_the_view_and_finds_its_flow_by_the_views_metadata() {
    // As Slack sends a click in a modal: no channel or message; the view, with its state.
    let flow = Uuid::from_u128(9);
    let incoming = normalize(json!({
        "type": "block_actions", "user": {"id": "U1", "username": "ana", "team_id": "T1"}, "team": {"id": "T1"},
        "api_app_id": "A1", "token": "x", "trigger_id": "1.2.m", "is_enterprise_install": false,
        "container": {"type": "view", "view_id": "V9"},
        "view": {"id": "V9", "team_id": "T1", "type": "modal", "callback_id": "order", "hash": "1.abc",
                 "private_metadata": format!("so:{flow}:"),
                 "state": {"values": {"item1": {"item1": {"type": "plain_text_input", "value": "Pens"}}}}},
        "actions": [{"type": "button", "action_id": "add", "block_id": "more", "action_ts": "1.5",
                     "text": {"type": "plain_text", "text": "Add an item"}, "value": "add"}]
    }));
    assert_eq!(incoming.flow_id, Some(flow), "an untagged block: the modal's flow");
    assert_eq!(
        incoming.context.channel_id, "U1",
        "no channel: the user's DM with the app, named by their id"
    );
    let click = Click::from_input(&incoming).unwrap();
    assert_eq!(click.message_ts, None);
    let view = click.view.expect("the modal");
    assert_eq!(view.view_id, "V9");
    assert_eq!(view.value("item1"), Some("Pens"));
}

#[test]
fn an_external_select_in_a_modal_asks_for_options_with_what_was_typed() {
    // As Slack sends a `block_suggestion` from a modal: the select's ids, the typed text,
    // and the view, whose metadata names the flow.
    let flow = Uuid::from_u128(11);
    let body = json!({
        "type": "block_suggestion", "user": {"id": "U1", "username": "ana", "team_id": "T1"},
        "container": {"type": "view", "view_id": "V7"}, "api_app_id": "A1", "token": "x",
        "action_id": "issue", "block_id": format!("so:{flow}:find"), "value": "log",
        "team": {"id": "T1", "domain": "acme"}, "enterprise": null, "is_enterprise_install": false,
        "view": {"id": "V7", "type": "modal", "callback_id": "triage", "private_metadata": format!("so:{flow}:"),
                 "state": {"values": {}}, "hash": "1.x"}
    });
    let Ok(SlackJson::Suggest(asked)) = SlackJson::from_slice(body.to_string().as_bytes()) else {
        panic!("a request for options");
    };
    assert_eq!(
        *asked,
        Suggestion {
            action_id: "issue".into(),
            block_id: Some("find".into()),
            value: "log".into(),
            user_id: "U1".into(),
            team_id: "T1".into(),
            flow_id: Some(flow),
            view_id: Some("V7".into()),
            channel_id: None,
        }
    );
    let form = format!(
        "payload={}",
        form_urlencoded::byte_serialize(body.to_string().as_bytes()).collect::<String>()
    );
    assert!(matches!(
        SlackJson::from_interaction_form(&form),
        Ok(SlackJson::Suggest(_))
    ));
    assert_eq!(Incoming::from_interaction_form(&form), Ok(None), "not an event");
}

#[test]
fn a_reaction_to_a_message_is_an_input_of_the_reacting_users_conversation_there() {
    // As the Events API sends `reaction_added` (and `reaction_removed`).
    let reacted = |kind: &str, item: Value| {
        normalize(json!({
            "token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": "Ev0R1", "event_time": 1700000000,
            "event": {"type": kind, "user": "U1", "reaction": "white_check_mark", "item_user": "UBOT",
                      "item": item, "event_ts": "1700000000.000300"}
        }))
    };
    let in_dm = reacted(
        "reaction_added",
        json!({"type": "message", "channel": "D1", "ts": "1700000000.000100"}),
    );
    assert_eq!(
        in_dm.context.conversation_key(),
        MessageContext::new("T1", "U1", "D1").conversation_key()
    );
    assert_eq!(in_dm.dedup_key().as_deref(), Some("event:Ev0R1"));
    let reaction = orchestrator_core::Reaction::from_input(&in_dm).unwrap();
    assert_eq!(
        reaction,
        orchestrator_core::Reaction {
            name: "white_check_mark".into(),
            added: true,
            message_ts: Some("1700000000.000100".into()),
            message_user: Some("UBOT".into()),
        }
    );
    let in_channel = reacted(
        "reaction_removed",
        json!({"type": "message", "channel": "C1", "ts": "1.2"}),
    );
    assert_eq!(
        in_channel.context.conversation_key(),
        MessageContext::new("T1", "U1", "C1").conversation_key()
    );
    assert!(!orchestrator_core::Reaction::from_input(&in_channel).unwrap().added);
    assert!(in_channel.types.is_empty(), "neither a message to the bot nor a click");

    let on_file = json!({"token": "x", "team_id": "T1", "type": "event_callback", "event_id": "Ev0R2",
        "event": {"type": "reaction_added", "user": "U1", "reaction": "eyes",
                  "item": {"type": "file", "file": "F1"}, "event_ts": "1.3"}});
    assert_eq!(
        Incoming::from_json(&on_file),
        Ok(None),
        "a reaction on a file: nothing a flow takes"
    );
}

#[test]
fn a_modals_clicks_and_its_submission_are_one_conversation_the_users_dm() {
    // Neither names a channel; they are ordered as one conversation, the user's DM with
    // the app, named by their id (as a global shortcut's, which often opens the modal).
    let view = json!({"id": "V9", "type": "modal", "callback_id": "order", "private_metadata": "",
                      "state": {"values": {}}});
    let click = normalize(json!({
        "type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "trigger_id": "1.2.m",
        "container": {"type": "view", "view_id": "V9"}, "view": view,
        "actions": [{"type": "button", "action_id": "add", "block_id": "more", "value": "add"}]
    }));
    let submitted = normalize(json!({
        "type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"}, "trigger_id": "1.3.m", "view": view
    }));
    let closed = normalize(json!({"type": "view_closed", "user": {"id": "U1"}, "team": {"id": "T1"}, "view": view}));
    let shortcut = normalize(json!({
        "type": "shortcut", "callback_id": "order", "trigger_id": "1.1.m", "user": {"id": "U1"}, "team": {"id": "T1"}
    }));
    let keys: Vec<String> = [click, submitted, closed, shortcut]
        .iter()
        .map(|incoming| incoming.context.conversation_key().to_string())
        .collect();
    assert_eq!(keys, ["T1/U1@U1"; 4]);
}
