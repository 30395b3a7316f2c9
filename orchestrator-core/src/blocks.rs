//! Small Block Kit builders for the common cases (text, buttons, a select menu, checkboxes,
//! a modal with text inputs). They return plain JSON, so anything Block Kit allows can be written by hand
//! with `serde_json::json!` too.

use serde_json::{json, Value};

/// A `section` block with mrkdwn text.
///
/// ```
/// # use orchestrator_core::blocks::section;
/// assert_eq!(section("Hi")["text"]["text"], "Hi");
/// ```
pub fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

/// A button element; `action_id` names the click, `value` travels with it.
///
/// ```
/// # use orchestrator_core::blocks::button;
/// let yes = button("approve", "Approve", "yes");
/// assert_eq!((yes["action_id"].as_str(), yes["value"].as_str()), (Some("approve"), Some("yes")));
/// ```
pub fn button(action_id: &str, label: &str, value: &str) -> Value {
    json!({"type": "button", "action_id": action_id, "value": value,
           "text": {"type": "plain_text", "text": label}})
}

/// An `actions` block holding `elements` (buttons, menus).
///
/// ```
/// # use orchestrator_core::blocks::{actions, button};
/// let block = actions("choices", vec![button("opt1", "Option 1", "1")]);
/// assert_eq!(block["elements"][0]["action_id"], "opt1");
/// ```
pub fn actions(block_id: &str, elements: Vec<Value>) -> Value {
    json!({"type": "actions", "block_id": block_id, "elements": elements})
}

/// A `static_select` menu with `(value, label)` options.
///
/// ```
/// # use orchestrator_core::blocks::static_select;
/// let size = static_select("size", "Pick a size", &[("s", "Small"), ("l", "Large")]);
/// assert_eq!(size["options"][1]["text"]["text"], "Large");
/// ```
pub fn static_select(action_id: &str, placeholder: &str, options: &[(&str, &str)]) -> Value {
    json!({"type": "static_select", "action_id": action_id,
           "placeholder": {"type": "plain_text", "text": placeholder}, "options": choices(options)})
}

/// A `checkboxes` group with `(value, label)` options, the `checked` ones ticked. Each
/// change comes back as a [`Selection`](crate::Selection) whose `values` are the boxes now
/// checked.
///
/// ```
/// # use orchestrator_core::blocks::checkboxes;
/// let list = checkboxes("done", &[("a", "Laptop"), ("b", "Badge")], &["b"]);
/// assert_eq!(list["initial_options"][0]["value"], "b");
/// ```
pub fn checkboxes(action_id: &str, options: &[(&str, &str)], checked: &[&str]) -> Value {
    let all = choices(options);
    let ticked: Vec<Value> = all
        .iter()
        .filter(|o| checked.iter().any(|c| o["value"] == *c))
        .cloned()
        .collect();
    let mut group = json!({"type": "checkboxes", "action_id": action_id, "options": all});
    if !ticked.is_empty() {
        // Slack refuses an empty `initial_options`.
        group["initial_options"] = Value::Array(ticked);
    }
    group
}

/// One Block Kit option: the `value` a choice of it sends back, and the `label` shown. Also
/// how Slack reports an option chosen, and what an external select's options answer holds.
///
/// ```
/// # use orchestrator_core::blocks::option;
/// assert_eq!(option("l", "Large")["text"]["text"], "Large");
/// ```
pub fn option(value: &str, label: &str) -> Value {
    json!({"value": value, "text": {"type": "plain_text", "text": label}})
}

/// Block Kit options from `(value, label)` pairs.
fn choices(options: &[(&str, &str)]) -> Vec<Value> {
    options.iter().map(|(value, label)| option(value, label)).collect()
}

/// An `input` block with a plain-text input.
///
/// ```
/// # use orchestrator_core::blocks::text_input;
/// let name = text_input("name", "value", "Your name");
/// assert_eq!(name["element"]["type"], "plain_text_input");
/// ```
pub fn text_input(block_id: &str, action_id: &str, label: &str) -> Value {
    json!({"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
           "element": {"type": "plain_text_input", "action_id": action_id}})
}

/// Marks an `input` block optional: Slack lets the user submit the form with it empty.
///
/// ```
/// # use orchestrator_core::blocks::{optional, text_input};
/// let note = optional(text_input("note", "note", "Note"));
/// assert_eq!(note["optional"], true);
/// ```
pub fn optional(mut input: Value) -> Value {
    input["optional"] = Value::Bool(true);
    input
}

/// A `modal` view.
///
/// ```
/// # use orchestrator_core::blocks::{modal, text_input};
/// let view = modal("request", "New request", "Send", vec![text_input("what", "what", "What?")]);
/// assert_eq!(view["type"], "modal");
/// ```
pub fn modal(callback_id: &str, title: &str, submit: &str, blocks: Vec<Value>) -> Value {
    json!({"type": "modal", "callback_id": callback_id,
           "title": {"type": "plain_text", "text": title},
           "submit": {"type": "plain_text", "text": submit},
           "notify_on_close": true,
           "blocks": blocks})
}

/// The interactive elements of one block: its `elements` (an `actions` or `context` block)
/// and its `accessory` (a `section`), in that order. The one place that walks Block Kit for
/// them (the console's choices, the test kit's clicks).
///
/// ```
/// use orchestrator_core::blocks::{actions, button, elements};
/// let block = actions("choices", vec![button("ok", "OK", "1"), button("no", "No", "0")]);
/// let ids: Vec<&str> = elements(&block).filter_map(|e| e["action_id"].as_str()).collect();
/// assert_eq!(ids, ["ok", "no"]);
/// ```
pub fn elements(block: &Value) -> impl Iterator<Item = &Value> {
    block["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(block.get("accessory"))
}
