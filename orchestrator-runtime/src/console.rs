//! The local console chat: no Slack, no credentials. Each line typed is a direct message
//! to the bot; what the bot says is printed. Buttons and menu options are shown as numbered
//! choices (type the number to pick one), modals ask their fields one line at a time, and
//! lines starting with `/` are slash commands (but `/as U2`, `/shortcut ID`, `/join`,
//! `/assistant`, `/top` and `/workflow STEP …`, which stand for what Slack does). Events
//! are built as Slack would send them and go through the same orchestrator as production
//! traffic.

use crate::slack::payloads::{self, ElementAt, Said};
use crate::{Orchestrator, OrchestratorBuilder};
use async_trait::async_trait;
use orchestrator_core::{Incoming, SlackApi, SlackError, SlackReply, SlackRequest};
use serde_json::Value;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

const TEAM: &str = "T_CONSOLE";
const USER: &str = "U_YOU";
const CHANNEL: &str = "D_CONSOLE";
const BOT: &str = "U_BOT";

/// Where the console writes.
type Output = Arc<Mutex<dyn Write + Send>>;

/// A choice the user can pick by number.
#[derive(Clone)]
struct Choice {
    /// The number it is picked by, kept while the message shows it.
    number: usize,
    message_ts: String,
    block_id: String,
    element: Value,
}

/// A modal being filled in, one field per line.
struct OpenModal {
    view: Value,
    id: String,
    fields: Vec<(String, String, String)>, // block_id, action_id, label
    values: Vec<String>,
}

#[derive(Default)]
struct Screen {
    choices: Vec<Choice>,
    /// The last number given to a choice.
    next_number: usize,
    modal: Option<OpenModal>,
    /// The last modal opened, shown again when its submission is rejected.
    last_view: Option<(Value, String)>,
    /// External selects shown since the last line, whose options the bot's handler gives.
    externals: Vec<Choice>,
    /// The `ts` of the bot's newest message, which `+:emoji:` reacts to.
    last_post: Option<String>,
    /// The assistant thread opened with `/assistant`, which messages go to until `/top`.
    thread: Option<String>,
    /// The suggested prompts shown there: the number each is picked by, and the message it sends.
    prompts: Vec<(usize, String)>,
}

/// The console's [`SlackApi`]: prints messages, numbers choices, opens modals as prompts.
struct ConsoleSlack {
    out: Output,
    screen: Mutex<Screen>,
    ts: AtomicU64,
}

impl ConsoleSlack {
    fn print(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn next_ts(&self) -> String {
        payloads::ts(self.ts.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Numbers a choice and prints it.
    fn offer(&self, screen: &mut Screen, ts: &str, block_id: &str, label: String, element: Value) {
        screen.next_number += 1;
        let number = screen.next_number;
        screen.choices.push(Choice {
            number,
            message_ts: ts.to_owned(),
            block_id: block_id.to_owned(),
            element,
        });
        self.print(&format!("  [{number}] {label}"));
    }

    /// Lists the options of the external selects shown since the last line, as Slack
    /// would when the user opens them: what the bot's handler offers for nothing typed yet.
    async fn offer_external_options(&self, orchestrator: &Orchestrator, user: &str) {
        let externals = std::mem::take(&mut self.screen().externals);
        for external in externals {
            let action_id = external.element["action_id"].as_str().unwrap_or_default();
            let at = ElementAt {
                channel: CHANNEL,
                message_ts: &external.message_ts,
                thread_ts: None,
                block_id: &external.block_id,
            };
            let asked = payloads::suggestion(TEAM, user, &at, action_id, "");
            for option in orchestrator.options(asked).await {
                let mut chosen = external.element.clone();
                chosen["selected_option"] = orchestrator_core::blocks::option(&option.value, &option.label);
                let mut screen = self.screen();
                self.offer(
                    &mut screen,
                    &external.message_ts,
                    &external.block_id,
                    option.label,
                    chosen,
                );
            }
        }
    }

    fn next_view_id(&self) -> String {
        format!("V{}", self.ts.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn screen(&self) -> std::sync::MutexGuard<'_, Screen> {
        self.screen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Prints a message's text and its interactive elements as numbered choices.
    /// A message shown again (updated) replaces its earlier choices; other messages' choices
    /// stay pickable until the bot changes them, as buttons in Slack do.
    fn show(&self, prefix: &str, text: &str, blocks: Option<&Value>, ts: &str) {
        self.print(&format!("{prefix}{text}"));
        let mut screen = self.screen();
        screen.choices.retain(|c| c.message_ts != ts);
        for block in blocks.and_then(Value::as_array).into_iter().flatten() {
            // Section and header text, which Slack shows instead of the fallback text.
            let shown = block["text"]["text"].as_str().filter(|t| *t != text);
            if let (Some("section" | "header"), Some(shown)) = (block["type"].as_str(), shown) {
                self.print(&format!("  {shown}"));
            }
            let block_id = block["block_id"].as_str().unwrap_or_default();
            for element in orchestrator_core::blocks::elements(block) {
                let mut picks = Vec::new();
                match element["type"].as_str() {
                    Some("button") => picks.push((
                        element["text"]["text"].as_str().unwrap_or("?").to_owned(),
                        element.clone(),
                    )),
                    // Listed once the step is done, from the options handler.
                    Some("external_select" | "multi_external_select") => screen.externals.push(Choice {
                        number: 0,
                        message_ts: ts.to_owned(),
                        block_id: block_id.to_owned(),
                        element: element.clone(),
                    }),
                    Some(_) => {
                        for option in element["options"].as_array().into_iter().flatten() {
                            let mut chosen = element.clone();
                            chosen["selected_option"] = option.clone();
                            picks.push((option["text"]["text"].as_str().unwrap_or("?").to_owned(), chosen));
                        }
                    }
                    None => {}
                }
                for (label, element) in picks {
                    self.offer(&mut screen, ts, block_id, label, element);
                }
            }
        }
    }

    fn open(&self, view: Value, id: &str) {
        let title = view["title"]["text"].as_str().unwrap_or("Form").to_owned();
        let fields: Vec<(String, String, String)> = view["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "input")
            .map(|b| {
                let block = b["block_id"].as_str().unwrap_or_default().to_owned();
                let action = b["element"]["action_id"].as_str().unwrap_or_default().to_owned();
                let mut label = b["label"]["text"].as_str().unwrap_or("value").to_owned();
                // A menu's choices, typed by their value.
                let options: Vec<String> = (b["element"]["options"].as_array().into_iter().flatten())
                    .map(|o| {
                        format!(
                            "{} = {}",
                            o["value"].as_str().unwrap_or("?"),
                            o["text"]["text"].as_str().unwrap_or("?")
                        )
                    })
                    .collect();
                if !options.is_empty() {
                    label.push_str(&format!(" ({})", options.join(", ")));
                }
                if b["optional"] == true {
                    label.push_str(" (optional: an empty line leaves it blank)");
                }
                (block, action, label)
            })
            .collect();
        self.print(&format!("bot> [form] {title}"));
        if let Some((_, _, label)) = fields.first() {
            self.print(&format!("  {label}?"));
        }
        let mut screen = self.screen();
        screen.last_view = Some((view.clone(), id.to_owned()));
        screen.modal = Some(OpenModal {
            view,
            id: id.to_owned(),
            fields,
            values: Vec::new(),
        });
    }
}

impl ConsoleSlack {
    /// A Web API call with no console form of its own: an assistant thread's status, title
    /// or prompts as Slack would show them, anything else as the call.
    fn show_call(&self, method: &str, args: &Value) {
        let text = |name: &str| args[name].as_str().unwrap_or_default().to_owned();
        match method {
            "functions.completeSuccess" => self.print(&format!("(workflow step completed: {})", args["outputs"])),
            "functions.completeError" => self.print(&format!("(workflow step failed: {})", text("error"))),
            "assistant.threads.setStatus" if text("status").is_empty() => {}
            "assistant.threads.setStatus" => self.print(&format!("(bot {})", text("status"))),
            "assistant.threads.setTitle" => self.print(&format!("(thread titled \"{}\")", text("title"))),
            "assistant.threads.setSuggestedPrompts" => {
                let title = args["title"].as_str().unwrap_or("Suggested prompts");
                self.print(&format!("bot (suggests)> {title}:"));
                let mut screen = self.screen();
                screen.prompts.clear();
                for prompt in args["prompts"].as_array().into_iter().flatten() {
                    let message = prompt["message"].as_str().unwrap_or_default().to_owned();
                    screen.next_number += 1;
                    let number = screen.next_number;
                    self.print(&format!("  [{number}] {message}"));
                    screen.prompts.push((number, message));
                }
            }
            _ => self.print(&format!("bot (calls {method})> {args}")),
        }
    }
}

#[async_trait]
impl SlackApi for ConsoleSlack {
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        Ok(match request {
            SlackRequest::PostMessage {
                channel, text, blocks, ..
            } => {
                let ts = self.next_ts();
                self.show("bot> ", &text, blocks.as_ref(), &ts);
                self.screen().last_post = Some(ts.clone());
                // A post to a user id (a global shortcut's flow) lands in the DM, as in Slack.
                let channel = match orchestrator_core::is_user_id(&channel) {
                    true => CHANNEL.to_owned(),
                    false => channel,
                };
                SlackReply::Message { channel, ts }
            }
            SlackRequest::UpdateMessage {
                channel,
                ts,
                text,
                blocks,
            } => {
                self.show("bot (edited)> ", &text, blocks.as_ref(), &ts);
                SlackReply::Message { channel, ts }
            }
            SlackRequest::Respond {
                text, in_channel: true, ..
            } => {
                self.print(&format!("bot> {text}"));
                SlackReply::Ok
            }
            SlackRequest::PostEphemeral {
                text,
                blocks: Some(blocks),
                ..
            } => {
                let ts = self.next_ts();
                self.show("bot (only you)> ", &text, Some(&blocks), &ts);
                SlackReply::Ephemeral { ts }
            }
            SlackRequest::PostEphemeral { text, .. } | SlackRequest::Respond { text, .. } => {
                self.print(&format!("bot (only you)> {text}"));
                SlackReply::Ok
            }
            SlackRequest::OpenView { view, .. } | SlackRequest::PushView { view, .. } => {
                let id = self.next_view_id();
                self.open(view, &id);
                SlackReply::View { id }
            }
            SlackRequest::UpdateView { view_id, view } => {
                self.open(view, &view_id);
                SlackReply::View { id: view_id }
            }
            // The console keeps no history, and its conversations never outlive the process.
            SlackRequest::FindPost { .. } => SlackReply::Ok,
            // The console chat has no threads: every message is its own.
            SlackRequest::ThreadOf { ts, .. } => SlackReply::Thread { root: ts, tag: None },
            // No workspace behind the console: the call is shown and answered with success.
            // The console chat is the one DM there is.
            SlackRequest::Call { method, .. } if method == "conversations.open" => {
                SlackReply::Json(serde_json::json!({"ok": true, "channel": {"id": CHANNEL}}))
            }
            SlackRequest::Call { method, args } => {
                self.show_call(&method, &args);
                SlackReply::Json(serde_json::json!({"ok": true}))
            }
            // A file shared with `/file PATH` is read from this machine.
            SlackRequest::Download { url } => {
                let path = url::Url::parse(&url).ok().and_then(|u| u.to_file_path().ok());
                match path.and_then(|path| std::fs::read(path).ok()) {
                    Some(bytes) => SlackReply::Bytes(bytes),
                    None => {
                        return Err(SlackError::Api {
                            method: "url_private".into(),
                            code: "file_not_found".into(),
                        })
                    }
                }
            }
            SlackRequest::Upload {
                filename,
                title,
                initial_comment,
                content,
                ..
            } => {
                if let Some(comment) = &initial_comment {
                    self.print(&format!("bot> {comment}"));
                }
                let name = title.as_deref().unwrap_or(&filename);
                self.print(&format!("bot> [file: {name} ({} bytes)]", content.len()));
                let id = format!("F{}", self.next_view_id());
                SlackReply::Json(crate::slack::recording::shared_file(&id, &filename, title.as_deref()))
            }
        })
    }
}

/// Runs the console chat over `input` until it ends, printing to `out`.
///
/// ```
/// # use orchestrator_runtime::{console, Orchestrator};
/// # use std::sync::{Arc, Mutex};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let out = Arc::new(Mutex::new(Vec::<u8>::new()));
/// console::run(Orchestrator::builder(), &b"hello\n"[..], out.clone()).await.unwrap();
/// assert!(String::from_utf8(out.lock().unwrap().clone()).unwrap().contains("no flow"));
/// # }
/// ```
pub async fn run(
    builder: OrchestratorBuilder,
    input: impl AsyncBufRead + Unpin,
    out: Arc<Mutex<impl Write + Send + 'static>>,
) -> std::io::Result<()> {
    let out: Output = out;
    let slack = Arc::new(ConsoleSlack {
        out: out.clone(),
        screen: Mutex::default(),
        ts: AtomicU64::new(0),
    });
    let orchestrator = builder
        .slack(slack.clone())
        .bot_user(BOT)
        .team(TEAM)
        .build()
        .map_err(std::io::Error::other)?;
    let timers = orchestrator.spawn_timers();
    let mut lines = input.lines();
    let mut n = 0u64;
    // Who speaks: `/as U2` switches, to try a two-person flow (an approver) alone.
    let mut user = USER.to_owned();
    while let Some(line) = lines.next_line().await? {
        n += 1;
        let line = line.trim();
        // An empty line is nothing to say, except as a form's answer (a blank field).
        if line.is_empty() && slack.screen().modal.is_none() {
            continue;
        }
        if let Some(who) = line.strip_prefix("/as ").map(str::trim).filter(|w| !w.is_empty()) {
            who.clone_into(&mut user);
            slack.print(&format!("(you are now {user})"));
            continue;
        }
        if let Some(sent) = line.strip_prefix("/signal ") {
            signal(&slack, &orchestrator, &user, sent.trim(), n).await;
            continue;
        }
        let event = event_for(&slack, &user, line, n);
        let result = match event {
            Event::Json(body) => orchestrator.handle_json(&body).await,
            Event::Command(form) => match Incoming::from_slash_command(&form) {
                Ok(incoming) => orchestrator.handle(incoming).await,
                Err(e) => Err(e.into()),
            },
            Event::Wait => continue,
        };
        report(&slack, &orchestrator, result);
        slack.offer_external_options(&orchestrator, &user).await;
    }
    timers.abort();
    Ok(())
}

enum Event {
    Json(Value),
    Command(String),
    Wait,
}

/// What the typed line means: a field of an open form, a numbered choice, a slash command,
/// or a direct message.
fn event_for(slack: &ConsoleSlack, user: &str, line: &str, n: u64) -> Event {
    let trigger_id = format!("{n}.console");
    let mut screen = slack.screen();
    if let Some(modal) = &mut screen.modal {
        modal.values.push(line.to_owned());
        if let Some((_, _, label)) = modal.fields.get(modal.values.len()) {
            let label = label.clone();
            drop(screen);
            slack.print(&format!("  {label}?"));
            return Event::Wait;
        }
        let modal = screen.modal.take().expect("checked above");
        let values: Vec<(&str, &str, &str)> = modal
            .fields
            .iter()
            .zip(&modal.values)
            .map(|((block, action, _), value)| (block.as_str(), action.as_str(), value.as_str()))
            .collect();
        return Event::Json(payloads::view_submission(
            TEAM,
            user,
            &modal.view,
            &modal.id,
            &values,
            &trigger_id,
        ));
    }
    if let Some(choice) = line
        .parse::<usize>()
        .ok()
        .and_then(|k| screen.choices.iter().find(|c| c.number == k))
        .cloned()
    {
        let at = ElementAt {
            channel: CHANNEL,
            message_ts: &choice.message_ts,
            thread_ts: None,
            block_id: &choice.block_id,
        };
        return Event::Json(payloads::block_action(TEAM, user, &at, choice.element, &trigger_id));
    }
    // `+:emoji:` reacts to the bot's newest message, `-:emoji:` takes the reaction back.
    let reacted = (line.strip_prefix('+').map(|r| (r, true)))
        .or_else(|| line.strip_prefix('-').map(|r| (r, false)))
        .and_then(|(r, added)| Some((r.strip_prefix(':')?.strip_suffix(':')?, added)));
    if let (Some((name, added)), Some(ts)) = (reacted, screen.last_post.clone()) {
        let event_id = format!("Ev{n}");
        return Event::Json(payloads::reaction(
            TEAM, user, CHANNEL, &ts, BOT, name, added, &event_id,
        ));
    }
    // `/assistant` opens a thread as Slack's assistant container does; `/top` leaves it.
    if line == "/assistant" {
        let (root, event_id) = (slack.next_ts(), format!("Ev{n}"));
        screen.thread = Some(root.clone());
        screen.prompts.clear();
        drop(screen);
        slack.print("(a new assistant thread; /top leaves it)");
        return Event::Json(payloads::assistant_thread(
            TEAM, user, CHANNEL, &root, None, true, &event_id,
        ));
    }
    // `/workflow STEP name=value; name=value` runs a custom step as Workflow Builder does.
    if let Some(run) = line.strip_prefix("/workflow ") {
        let (callback_id, inputs) = run.trim().split_once(' ').unwrap_or((run.trim(), ""));
        let inputs: serde_json::Map<String, Value> = inputs
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.trim().to_owned(), Value::from(value.trim())))
            .collect();
        drop(screen);
        let (execution, event_id) = (format!("Fx{n}"), format!("Ev{n}"));
        slack.print(&format!("(a workflow runs the step {callback_id})"));
        return Event::Json(payloads::function_executed(
            TEAM,
            callback_id,
            &execution,
            Value::Object(inputs),
            &event_id,
        ));
    }
    // `/shortcut ID` uses the global shortcut `ID`, as from Slack's shortcuts menu.
    if let Some(callback_id) = line.strip_prefix("/shortcut ").map(str::trim) {
        drop(screen);
        slack.print(&format!("(you use the shortcut {callback_id})"));
        return Event::Json(payloads::global_shortcut(TEAM, user, callback_id, &trigger_id));
    }
    // `/file PATH caption` shares a file of this machine, as dropping it into Slack does.
    if let Some(shared) = line.strip_prefix("/file ") {
        drop(screen);
        return share_file(slack, user, shared.trim(), n);
    }
    // `/join` is the user joining the workspace (`team_join`), as a new member does.
    if line == "/join" {
        drop(screen);
        slack.print("(you join the workspace)");
        return Event::Json(payloads::team_join(TEAM, user, false, &format!("Ev{n}")));
    }
    if line == "/top" {
        screen.thread = None;
        screen.prompts.clear();
        drop(screen);
        slack.print("(back at the top of the DM)");
        return Event::Wait;
    }
    if let Some(command) = line.strip_prefix('/') {
        let (name, text) = command.split_once(' ').unwrap_or((command, ""));
        return Event::Command(payloads::slash_command(
            TEAM,
            user,
            CHANNEL,
            &format!("/{name}"),
            text,
            &trigger_id,
        ));
    }
    // A suggested prompt's number sends its message, as clicking it in Slack does.
    let picked = line
        .parse::<usize>()
        .ok()
        .and_then(|k| screen.prompts.iter().find(|(n, _)| *n == k));
    let text = picked.map_or(line, |(_, message)| message.as_str()).to_owned();
    let thread = screen.thread.clone();
    drop(screen);
    let (ts, event_id) = (slack.next_ts(), format!("Ev{n}"));
    let said = Said {
        team: TEAM,
        user,
        channel: CHANNEL,
        text: &text,
        ts: &ts,
        thread_ts: thread.as_deref(),
        event_id: &event_id,
    };
    Event::Json(payloads::message(&said))
}

/// `/signal NAME [JSON]`: the signal a job outside Slack would send (`flows signal`), to
/// the flow active in this conversation.
async fn signal(slack: &ConsoleSlack, orchestrator: &Orchestrator, user: &str, sent: &str, n: u64) {
    let (name, data) = sent.split_once(' ').unwrap_or((sent, "null"));
    let Ok(data) = serde_json::from_str::<Value>(data) else {
        return slack.print("(usage: /signal NAME [JSON], e.g. /signal deployed {\"ok\": true})");
    };
    let here = orchestrator_core::MessageContext {
        thread_ts: slack.screen().thread.clone(),
        ..orchestrator_core::MessageContext::new(TEAM, user, CHANNEL)
    };
    match orchestrator.store().active_for(&here.conversation_key()).await {
        Ok(Some(flow)) => {
            slack.print(&format!("(a signal {name} comes for flow {})", flow.id));
            let signal = orchestrator_core::Signal::new(name, data).with_id(format!("console-{n}"));
            report(slack, orchestrator, orchestrator.signal(flow.id, signal).await);
        }
        Ok(None) => slack.print("(no flow is waiting here for a signal)"),
        Err(error) => report(slack, orchestrator, Err(error.into())),
    }
}

/// `/file PATH caption`: a `file_share` message with the file at `PATH` (its `url_private`
/// a `file://` URL, which the console's `download` reads).
fn share_file(slack: &ConsoleSlack, user: &str, shared: &str, n: u64) -> Event {
    let (path, caption) = shared.split_once(' ').unwrap_or((shared, ""));
    let found = std::path::absolute(path).ok().filter(|p| p.is_file());
    let Some(url) = found.as_ref().and_then(|p| url::Url::from_file_path(p).ok()) else {
        slack.print(&format!("(no file at {path})"));
        return Event::Wait;
    };
    let name = found
        .as_ref()
        .and_then(|p| p.file_name())
        .map_or_else(|| path.to_owned(), |name| name.to_string_lossy().into_owned());
    let (ts, event_id, id) = (slack.next_ts(), format!("Ev{n}"), format!("F_CONSOLE{n}"));
    let thread = slack.screen().thread.clone();
    let said = Said {
        team: TEAM,
        user,
        channel: CHANNEL,
        text: caption.trim(),
        ts: &ts,
        thread_ts: thread.as_deref(),
        event_id: &event_id,
    };
    let mut body = payloads::file_share(&said, &[(&id, &name)]);
    body["event"]["files"][0]["url_private"] = Value::String(url.into());
    slack.print(&format!("(you share {name})"));
    Event::Json(body)
}

fn report(slack: &ConsoleSlack, orchestrator: &Orchestrator, result: Result<crate::Outcome, crate::OrchestratorError>) {
    use crate::Outcome;
    match result {
        Ok(Outcome::NoFlow) => {
            let triggers: Vec<String> = orchestrator
                .flows()
                .map(|f| {
                    let t: Vec<String> = f.options().triggers.iter().map(ToString::to_string).collect();
                    format!("{} ({})", f.name(), t.join(", "))
                })
                .collect();
            slack.print(&format!(
                "(no flow started; the flows are: {})",
                if triggers.is_empty() {
                    "none".into()
                } else {
                    triggers.join("; ")
                }
            ));
        }
        Ok(Outcome::Rejected { errors, .. }) => {
            for (field, error) in errors {
                slack.print(&format!("  ({field}: {error})"));
            }
            let last = slack.screen().last_view.clone();
            if let Some((view, id)) = last {
                slack.open(view, &id);
            }
        }
        Ok(Outcome::Unhandled { .. }) => {
            slack.print("(the bot is not waiting for that here; answer its question or pick a number)")
        }
        // A submitted form's next page (an update keeps its view id, a push gets a new one).
        Ok(Outcome::Advanced {
            answer: Some(answer), ..
        }) => {
            let last = slack.screen().last_view.clone();
            match (answer["response_action"].as_str(), last) {
                (Some("update"), Some((_, id))) => slack.open(answer["view"].clone(), &id),
                (Some("push"), _) => slack.open(answer["view"].clone(), &slack.next_view_id()),
                _ => {}
            }
        }
        Ok(_) => {}
        Err(error) => slack.print(&format!("(error: {error})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_upload_is_shown_with_its_comment_name_and_size() {
        let written = Arc::new(Mutex::new(Vec::<u8>::new()));
        let out: Output = written.clone();
        let slack = ConsoleSlack {
            out,
            screen: Mutex::default(),
            ts: AtomicU64::new(0),
        };
        let upload = SlackRequest::Upload {
            channel_id: CHANNEL.into(),
            thread_ts: None,
            filename: "hours.csv".into(),
            title: Some("Hours this week".into()),
            initial_comment: Some("Here are the hours.".into()),
            content: b"team,hours\nops,42\n".to_vec(),
        };
        let SlackReply::Json(answer) = slack.call(upload).await.unwrap() else {
            panic!("an upload answers Slack's JSON")
        };
        assert!(answer["files"][0]["id"].is_string(), "{answer}");
        let shown = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert_eq!(
            shown,
            "bot> Here are the hours.\nbot> [file: Hours this week (18 bytes)]\n"
        );
    }
}
