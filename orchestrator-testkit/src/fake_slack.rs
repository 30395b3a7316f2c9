//! [`FakeSlack`]: a Slack Web API on 127.0.0.1 for tests, over real sockets. It answers
//! `auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `views.open`,
//! `views.update`, `views.push`, `conversations.history` and `conversations.replies` (a page at
//! a time with Slack's cursor, from `oldest` if given, and each post's `metadata` whole only with
//! `include_all_metadata`, as Slack does), `apps.connections.open` (with a local `ws://` URL
//! where a Socket Mode server speaks Slack's envelope protocol) and `response_url` posts; it
//! records every call and can be told to rate-limit, fail (before or after carrying it out),
//! answer with a 5xx, answer late or lose the next calls of a method, and to let its Socket
//! Mode connections go silent, as a broken network leaves them.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::{BOT_USER as FAKE_BOT_USER, TEAM as FAKE_TEAM};

/// One Web API call the fake received.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use orchestrator_testkit::FakeSlack;
/// let slack = FakeSlack::start().await;
/// let api = orchestrator_runtime::SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
/// api.auth_test().await.unwrap();
/// let call = &slack.calls()[0];
/// assert_eq!((call.method.as_str(), call.token.as_deref()), ("auth.test", Some("xoxb-test")));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The method, e.g. `chat.postMessage`, or `response_url` for posts to a response URL.
    pub method: String,
    /// The arguments, from a JSON or form body.
    pub args: Value,
    /// The bearer token used, if any.
    pub token: Option<String>,
    /// What the fake answered (e.g. the `ts` of a posted message).
    pub reply: Value,
    /// When the fake received it.
    pub at: tokio::time::Instant,
}

/// A call as the fake keeps it: its arguments and answer as JSON text, not trees of maps
/// (a load test's fake keeps every call of thousands of conversations), parsed again
/// when a test asks for the calls.
struct Kept {
    method: String,
    args: Box<[u8]>,
    token: Option<String>,
    reply: Bytes,
    at: tokio::time::Instant,
}

impl Kept {
    fn args(&self) -> Value {
        serde_json::from_slice(&self.args).expect("kept as JSON")
    }

    fn reply_json(&self) -> Value {
        serde_json::from_slice(&self.reply).expect("the fake answers JSON")
    }

    fn call(&self) -> RecordedCall {
        RecordedCall {
            method: self.method.clone(),
            args: self.args(),
            token: self.token.clone(),
            reply: self.reply_json(),
            at: self.at,
        }
    }
}

/// A posted message as Slack keeps it, for `conversations.history` and `.replies`: the
/// fields they filter on, and which kept call's answer holds the message (read again only
/// when asked for: a load test's fake keeps every post, and a copy of each message beside
/// the answer doubled what it kept).
struct Posted {
    channel: String,
    ts: String,
    thread_ts: Option<String>,
    call: usize,
}

enum Planned {
    RateLimited {
        retry_after: u64,
    },
    Error(String),
    /// Carried out at once, answered after this long.
    Late(Duration),
    /// Never carried out nor answered: a request lost on the way.
    Lost,
    /// Not carried out; answered with this HTTP status (5xx) and an HTML page.
    Unavailable(u16),
    /// Carried out, then answered `{"ok": false, "error": …}`.
    MadeButFailed(String),
    /// Carried out and answered as usual (a gap between planned faults).
    Pass,
}

/// What the fake does with a call, as planned.
enum Plan {
    /// Carry it out and answer, after this long if given.
    Answer(Option<Duration>),
    /// Answer this instead, without carrying it out.
    Refuse(Response),
    /// Carry it out, then answer this instead of its result.
    MakeButRefuse(Response),
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Kept>>,
    planned: Mutex<HashMap<String, VecDeque<Planned>>>,
    counter: AtomicU64,
    sockets: Mutex<Vec<mpsc::UnboundedSender<String>>>,
    acks: Mutex<Vec<Value>>,
    ws_url: Mutex<String>,
    /// The Web API's address, for the upload URLs `files.getUploadURLExternal` answers.
    http: Mutex<String>,
    /// Files by id, from `files.getUploadURLExternal` on: their bytes once sent to their
    /// upload URL.
    files: Mutex<HashMap<String, FakeFile>>,
    /// Set by [`FakeSlack::revoke_files_read`]: file downloads get the sign-in page.
    no_files_read: std::sync::atomic::AtomicBool,
    /// Posted messages as Slack keeps them (`text`, `metadata`, `thread_ts`...).
    messages: Mutex<Vec<Posted>>,
    /// Who follows the calls as they arrive ([`FakeSlack::subscribe`]).
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Arc<RecordedCall>>>>,
    /// The time messages are stamped with: the wall clock, following tokio's clock as a
    /// bot's does (a test that advances tokio time sees Slack's time move with its bot's).
    clock: orchestrator_runtime::Clock,
    /// The last `ts` given, in microseconds: each message's is later than the one before.
    last_ts: AtomicU64,
    /// The workflow steps completed (`functions.complete*`), by execution id.
    completed_functions: Mutex<std::collections::HashSet<String>>,
    /// Bumped by [`FakeSlack::socket_go_silent`].
    silence: Silence,
}

/// Tells the Socket Mode connections open at the time to go silent.
struct Silence(tokio::sync::watch::Sender<u64>);

impl Default for Silence {
    fn default() -> Self {
        Silence(tokio::sync::watch::channel(0).0)
    }
}

impl Shared {
    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A new message `ts`: the time now, as Slack stamps messages, unique in this fake.
    fn ts(&self) -> String {
        let now = self.clock.now().timestamp_micros().max(0) as u64;
        let after = |last: u64| now.max(last + 1);
        let last = self
            .last_ts
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| Some(after(last)))
            .unwrap_or_else(|last| last);
        let at = chrono::DateTime::from_timestamp_micros(after(last) as i64).unwrap_or_default();
        orchestrator_core::slack_ts(at)
    }
}

/// A `ts` (`1700000000.000100`) in microseconds, to compare two of them.
fn ts_micros(ts: &str) -> Option<u64> {
    let (secs, micros) = ts.split_once('.')?;
    Some(secs.parse::<u64>().ok()? * 1_000_000 + format!("{micros:0<6}").get(..6)?.parse::<u64>().ok()?)
}

/// A fake Slack. Dropping it stops its servers.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use orchestrator_testkit::FakeSlack;
/// use orchestrator_core::{SlackApi, SlackRequest};
/// let slack = FakeSlack::start().await;
/// let api = orchestrator_runtime::SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
/// api.call(SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None }).await.unwrap();
/// assert_eq!(slack.calls_to("chat.postMessage")[0]["text"], "hi");
/// # }
/// ```
pub struct FakeSlack {
    shared: Arc<Shared>,
    http: SocketAddr,
    servers: Vec<JoinHandle<()>>,
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.servers.iter().for_each(JoinHandle::abort);
    }
}

impl FakeSlack {
    /// Starts the Web API and the Socket Mode server on free loopback ports.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackRequest, SlackWebApi};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let me = web.auth_test().await.unwrap();
    /// assert!(!me.user_id.is_empty(), "answered as Slack does, with the bot's identity");
    /// assert_eq!(slack.methods(), ["auth.test"]);
    /// # }
    /// ```
    pub async fn start() -> FakeSlack {
        let shared = Arc::new(Shared::default());
        let http_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the fake Web API");
        let ws_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Socket Mode server");
        let http = http_listener.local_addr().expect("bound");
        *shared.ws_url.lock().unwrap() = format!("ws://{}/link", ws_listener.local_addr().expect("bound"));
        *shared.http.lock().unwrap() = format!("http://{http}");
        let app = Router::new()
            .route("/api/{method}", any(api))
            .route("/respond/{id}", post(respond))
            .route("/upload/{id}", post(upload))
            .route("/files/{id}/{name}", get(download))
            .with_state(shared.clone());
        let api_server = tokio::spawn(async move {
            let _ = axum::serve(http_listener, app).await;
        });
        let ws_server = tokio::spawn(socket_server(ws_listener, shared.clone()));
        FakeSlack {
            shared,
            http,
            servers: vec![api_server, ws_server],
        }
    }

    /// The base URL to give the bot as `SLACK_API_URL`.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackRequest, SlackWebApi};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// assert!(slack.api_url().starts_with("http://127.0.0.1:") && slack.api_url().ends_with("/api/"));
    /// // What a bot process gets as SLACK_API_URL; here, a client of its own.
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// web.call(SlackRequest::Call { method: "users.info".into(), args: serde_json::json!({"user": "U1"}) }).await.unwrap();
    /// assert_eq!(slack.calls_to("users.info")[0]["user"], "U1");
    /// # }
    /// ```
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.http)
    }

    /// A `response_url` on this fake, as Slack puts in interactions and commands.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackRequest, SlackWebApi};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let response_url = slack.response_url("cmd1"); // as in a slash command's payload
    /// let reply = SlackRequest::Respond { response_url, text: "Done.".into(), replace_original: false, in_channel: false };
    /// web.call(reply).await.unwrap();
    /// assert_eq!(slack.calls_to("response_url")[0]["text"], "Done.");
    /// assert_eq!(slack.calls_to("response_url")[0]["response_type"], "ephemeral");
    /// # }
    /// ```
    pub fn response_url(&self, id: &str) -> String {
        format!("http://{}/respond/{id}", self.http)
    }

    /// Every call so far, oldest first.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// web.call(post("hello")).await.unwrap();
    /// let call = &slack.calls()[0];
    /// assert_eq!((call.method.as_str(), call.token.as_deref()), ("chat.postMessage", Some("xoxb-test")));
    /// assert!(call.reply["ts"].is_string(), "answered as Slack does");
    /// # }
    /// ```
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.calls.lock().unwrap().iter().map(Kept::call).collect()
    }

    /// The method of every call so far, oldest first (without copying the calls).
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// web.auth_test().await.unwrap();
    /// web.call(post("hello")).await.unwrap();
    /// assert_eq!(slack.methods(), ["auth.test", "chat.postMessage"]);
    /// # }
    /// ```
    pub fn methods(&self) -> Vec<String> {
        let calls = self.shared.calls.lock().unwrap();
        calls.iter().map(|c| c.method.clone()).collect()
    }

    /// The view of the first `views.open` as the fake received it, with the view id it
    /// answered: what a test submits back. Waits up to `within` for the call.
    ///
    /// # Panics
    /// If no modal was opened by then.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> { complete(format!("Filed: {}", form.value("title").unwrap_or_default())) }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<ticket::Ticket>()).await;
    /// bot.command(&payloads::slash_command(TEAM, "U1", "C1", "/ticket", "", "1.t")).await;
    /// let (view, view_id) = bot.slack().opened_view(Duration::from_secs(5)).await;
    /// assert_eq!(view["title"]["text"], "New ticket");
    /// // Submitted back as Slack would, with the view id Slack gave it.
    /// let submitted = payloads::view_submission(TEAM, "U1", &view, &view_id, &[("title_block", "title", "Printer")], "2.t");
    /// bot.interaction(&submitted).await;
    /// let posted = bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    /// assert_eq!(posted[0]["text"], "Filed: Printer");
    /// bot.stop().await;
    /// # }
    /// ```
    pub async fn opened_view(&self, within: Duration) -> (Value, String) {
        let opened = self.wait_for("views.open", 1, within).await;
        let call = self.calls().into_iter().find(|c| c.method == "views.open");
        let id = call.and_then(|c| c.reply["view"]["id"].as_str().map(str::to_owned));
        (opened[0]["view"].clone(), id.expect("views.open answered a view id"))
    }

    /// The arguments of every call to `method`, oldest first.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// web.call(post("hello")).await.unwrap();
    /// assert_eq!(slack.calls_to("chat.postMessage")[0]["channel"], "C1");
    /// assert!(slack.calls_to("chat.update").is_empty());
    /// # }
    /// ```
    pub fn calls_to(&self, method: &str) -> Vec<Value> {
        let calls = self.shared.calls.lock().unwrap();
        calls.iter().filter(|c| c.method == method).map(Kept::args).collect()
    }

    /// The bytes sent to file `id`'s upload URL (`files.getUploadURLExternal` gave both),
    /// if any came.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackReply, SlackRequest, SlackWebApi};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let upload = SlackRequest::Upload { channel_id: "C1".into(), thread_ts: None, filename: "a.csv".into(),
    ///     title: None, initial_comment: None, content: b"x,y\n1,2\n".to_vec() };
    /// let SlackReply::Json(answer) = web.call(upload).await.unwrap() else { panic!("Slack's answer") };
    /// let id = answer["files"][0]["id"].as_str().unwrap();
    /// assert_eq!(slack.uploaded(id).as_deref(), Some(&b"x,y\n1,2\n"[..]));
    /// assert_eq!(slack.calls_to("files.completeUploadExternal")[0]["channel_id"], "C1");
    /// # }
    /// ```
    pub fn uploaded(&self, id: &str) -> Option<Vec<u8>> {
        self.shared
            .files
            .lock()
            .unwrap()
            .get(id)
            .and_then(|f| f.content.clone())
    }

    /// Keeps `content` as a file named `name` that a user shared; answers its id and its
    /// `url_private` on this fake, for a `file_share` event. Downloading it takes the bot's
    /// token, as on Slack.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackReply, SlackRequest, SlackWebApi};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let (id, url) = slack.host_file("team.csv", "name\nAda\n");
    /// assert!(id.starts_with('F') && url.ends_with("/team.csv"), "{id} {url}");
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let Ok(SlackReply::Bytes(bytes)) = web.call(SlackRequest::Download { url: url.clone() }).await else { panic!() };
    /// assert_eq!(bytes, b"name\nAda\n");
    /// slack.revoke_files_read(); // Slack then answers its sign-in page
    /// let refused = web.call(SlackRequest::Download { url }).await.unwrap_err();
    /// assert!(refused.to_string().contains("files:read"), "{refused}");
    /// # }
    /// ```
    pub fn host_file(&self, name: &str, content: impl Into<Vec<u8>>) -> (String, String) {
        let content = content.into();
        let id = format!("F{:08}", self.shared.next());
        let file = FakeFile {
            filename: name.to_owned(),
            length: content.len(),
            content: Some(content),
        };
        self.shared.files.lock().unwrap().insert(id.clone(), file);
        let url = file_url(&self.shared, &id, name);
        (id, url)
    }

    /// From now on the bot's token lacks the `files:read` scope: a download gets Slack's
    /// sign-in page (a 200 with HTML) instead of the file, as on Slack.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    /// slack.revoke_files_read();
    /// # }
    /// ```
    pub fn revoke_files_read(&self) {
        self.shared.no_files_read.store(true, Ordering::Relaxed);
    }

    /// The calls that arrive from now on (for waiting and for measuring latency), each
    /// shared by the subscribers rather than copied. A subscriber gets every call once, and
    /// the fake keeps nothing for it once received: a broadcast ring kept the last 65,536
    /// calls' parsed arguments and answers alive after every subscriber had read them.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use orchestrator_testkit::FakeSlack;
    /// let slack = FakeSlack::start().await;
    /// let mut calls = slack.subscribe();
    /// reqwest::Client::new().post(format!("{}auth.test", slack.api_url())).send().await.unwrap();
    /// assert_eq!(calls.recv().await.unwrap().method, "auth.test");
    /// # }
    /// ```
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Arc<RecordedCall>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.shared.subscribers.lock().unwrap().push(sender);
        receiver
    }

    /// Waits up to `timeout` until `count` calls to `method` have arrived; returns them.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// let web2 = web.clone();
    /// tokio::spawn(async move { web2.call(SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: "later".into(), blocks: None, tag: None }).await });
    /// let posted = slack.wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    /// assert_eq!(posted[0]["text"], "later");
    /// # let _ = post;
    /// # }
    /// ```
    pub async fn wait_for(&self, method: &str, count: usize, timeout: Duration) -> Vec<Value> {
        let mut arrivals = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self.calls_to(method);
            if found.len() >= count {
                return found;
            }
            if !matches!(tokio::time::timeout_at(deadline, arrivals.recv()).await, Ok(Some(_))) {
                return self.calls_to(method);
            }
        }
    }

    /// The next `times` calls to `method` answer 429 with `Retry-After: retry_after` seconds.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// slack.rate_limit_next("chat.postMessage", 1, 1);
    /// let started = Instant::now();
    /// web.call(post("hi")).await.unwrap(); // the client waits out Retry-After and tries again
    /// assert!(started.elapsed() >= Duration::from_secs(1));
    /// assert_eq!(slack.calls_to("chat.postMessage").len(), 1, "the refused call made nothing");
    /// # }
    /// ```
    pub fn rate_limit_next(&self, method: &str, times: usize, retry_after: u64) {
        for _ in 0..times {
            self.plan(method, Planned::RateLimited { retry_after });
        }
    }

    /// The next call to `method` answers `{"ok": false, "error": code}`.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// slack.fail_next("chat.postMessage", "channel_not_found");
    /// let refused = web.call(post("hi")).await.unwrap_err();
    /// assert!(matches!(&refused, SlackError::Api { code, .. } if code == "channel_not_found"), "{refused}");
    /// assert!(web.call(post("hi")).await.is_ok(), "only the next call");
    /// # }
    /// ```
    pub fn fail_next(&self, method: &str, code: &str) {
        self.plan(method, Planned::Error(code.to_owned()));
    }

    /// The next call to `method` is carried out at once (a post is made), but its answer
    /// goes out only after `by`: a slow Slack.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// let web = web.with_timeout(Duration::from_millis(200));
    /// slack.answer_late_next("chat.postMessage", Duration::from_secs(2));
    /// let late = web.call(post("hi")).await.unwrap_err();
    /// assert!(late.is_temporary(), "no answer in time: {late}");
    /// assert_eq!(slack.calls_to("chat.postMessage").len(), 1, "made all the same");
    /// # }
    /// ```
    pub fn answer_late_next(&self, method: &str, by: Duration) {
        self.plan(method, Planned::Late(by));
    }

    /// The next call to `method` is never carried out nor answered, as if the request were
    /// lost on the way: the caller waits until it gives up.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// let web = web.with_timeout(Duration::from_millis(200));
    /// slack.lose_next("chat.postMessage");
    /// assert!(web.call(post("hi")).await.unwrap_err().is_temporary(), "the client gave up");
    /// assert!(web.call(post("hi")).await.is_ok());
    /// # }
    /// ```
    pub fn lose_next(&self, method: &str) {
        self.plan(method, Planned::Lost);
    }

    /// The next `times` calls to `method` are not carried out and answer HTTP `status` (a
    /// 5xx: Slack down or overloaded) with an HTML page, as an edge server does.
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// slack.unavailable_next("chat.update", 1, 503);
    /// let started = Instant::now();
    /// // An update shows nothing twice: tried again after about a second.
    /// let update = SlackRequest::UpdateMessage { channel: "C1".into(), ts: "1.1".into(), text: "edited".into(), blocks: None };
    /// web.call(update).await.unwrap();
    /// assert!(started.elapsed() >= Duration::from_millis(500));
    /// # let _ = post;
    /// # }
    /// ```
    pub fn unavailable_next(&self, method: &str, times: usize, status: u16) {
        for _ in 0..times {
            self.plan(method, Planned::Unavailable(status));
        }
    }

    /// The next call to `method` is carried out (a post is made) but answers
    /// `{"ok": false, "error": code}`: Slack's `internal_error` and `fatal_error`, after
    /// which, as Slack documents, "it's possible some aspect of the operation succeeded".
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// slack.fail_after_making_next("chat.postMessage", "internal_error");
    /// let failed = web.call(post("hi")).await.unwrap_err();
    /// assert!(matches!(&failed, SlackError::Api { code, .. } if code == "internal_error"));
    /// assert_eq!(slack.calls_to("chat.postMessage")[0]["text"], "hi", "yet the message was posted");
    /// # }
    /// ```
    pub fn fail_after_making_next(&self, method: &str, code: &str) {
        self.plan(method, Planned::MadeButFailed(code.to_owned()));
    }

    /// The next `times` calls to `method` are carried out and answered as usual: with the
    /// other plans, a pattern of faults among ordinary calls (plans are taken in order).
    ///
    /// ```
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    /// use std::time::{Duration, Instant};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    /// let post = |text: &str| SlackRequest::PostMessage { channel: "C1".into(), thread_ts: None, text: text.into(), blocks: None, tag: None };
    /// slack.pass_next("chat.postMessage", 1); // the first goes through,
    /// slack.fail_next("chat.postMessage", "msg_too_long"); // the second does not
    /// assert!(web.call(post("one")).await.is_ok());
    /// assert!(web.call(post("two")).await.is_err());
    /// # }
    /// ```
    pub fn pass_next(&self, method: &str, times: usize) {
        for _ in 0..times {
            self.plan(method, Planned::Pass);
        }
    }

    fn plan(&self, method: &str, planned: Planned) {
        let mut plans = self.shared.planned.lock().unwrap();
        plans.entry(method.to_owned()).or_default().push_back(planned);
    }

    /// Sends a Socket Mode envelope (`{"envelope_id", "type", "payload", …}`) to every
    /// connected client; returns how many got it.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Socket, Orchestrator::builder()).await;
    /// let dm = payloads::direct_message(TEAM, "U1", "hi", "1.1", "Ev1");
    /// let envelope = serde_json::json!({"envelope_id": "e1", "type": "events_api", "payload": dm});
    /// assert_eq!(bot.slack().socket_send(&envelope), 1, "one bot connected");
    /// for _ in 0..500 {
    ///     if !bot.slack().socket_acks().is_empty() { break }
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// assert_eq!(bot.slack().socket_acks()[0]["envelope_id"], "e1");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn socket_send(&self, envelope: &Value) -> usize {
        let text = envelope.to_string();
        let mut sockets = self.shared.sockets.lock().unwrap();
        sockets.retain(|socket| socket.send(text.clone()).is_ok());
        sockets.len()
    }

    /// Makes every open Socket Mode connection die as a broken network kills one: it stays
    /// open, but nothing is read from it or sent on it any more (no envelope, no pong to the
    /// bot's pings), and it counts no longer in [`FakeSlack::socket_clients`]. Connections
    /// opened afterwards work.
    ///
    /// ```
    /// use slack_orchestrator::testkit::LiveBot;
    /// use slack_orchestrator::{Orchestrator, SocketLiveness};
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let liveness = SocketLiveness { ping_every: Duration::from_millis(100), silence: Duration::from_millis(300) };
    /// let bot = LiveBot::start_socket_mode(Orchestrator::builder(), liveness).await;
    /// bot.slack().socket_go_silent();
    /// // The bot's pings go unanswered; after `silence` it asks Slack for a new connection.
    /// let asked = bot.slack().wait_for("apps.connections.open", 2, Duration::from_secs(5)).await;
    /// assert_eq!(asked.len(), 2, "connected again");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn socket_go_silent(&self) {
        self.shared.silence.0.send_modify(|generation| *generation += 1);
    }

    /// How many Socket Mode clients are connected.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Socket, Orchestrator::builder()).await;
    /// assert_eq!(bot.slack().socket_clients(), 1);
    /// let slack = bot.stop().await;
    /// for _ in 0..500 {
    ///     if slack.socket_clients() == 0 { break }
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// assert_eq!(slack.socket_clients(), 0, "a bot that stopped closed its connection");
    /// # }
    /// ```
    pub fn socket_clients(&self) -> usize {
        let mut sockets = self.shared.sockets.lock().unwrap();
        sockets.retain(|socket| !socket.is_closed());
        sockets.len()
    }

    /// The acknowledgements Socket Mode clients sent, oldest first.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Socket, Orchestrator::builder()).await;
    /// bot.event(&payloads::direct_message(TEAM, "U1", "hi", "1.1", "Ev1")).await;
    /// bot.command("command=%2Fnothing&text=&user_id=U1&channel_id=C1&team_id=T1&trigger_id=1.t").await;
    /// let acks = bot.slack().socket_acks();
    /// assert_eq!(acks.len(), 2, "each envelope acked once");
    /// assert!(acks.iter().all(|ack| ack["envelope_id"].is_string()));
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn socket_acks(&self) -> Vec<Value> {
        self.shared.acks.lock().unwrap().clone()
    }
}

/// A call as received: its arguments (JSON or form body), bearer token, and the arguments
/// as the fake keeps them.
struct Parsed {
    args: Value,
    token: Option<String>,
    /// A JSON body as it came, kept as is: a load test's every post is JSON, and writing
    /// the parsed arguments out again cost as much as parsing them.
    json: Option<Box<[u8]>>,
}

fn parse(headers: &HeaderMap, body: &Bytes) -> Parsed {
    let text = String::from_utf8_lossy(body);
    let (args, json) = match serde_json::from_str(&text) {
        Ok(args) => (args, Some(Box::from(&body[..]))),
        Err(_) => {
            let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            (Value::Object(pairs), None)
        }
    };
    Parsed {
        args,
        token: bearer(headers),
        json,
    }
}

/// The bearer token a request carries.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    authorization.and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned)
}

/// Argument `name` as a number: a form-encoded call carries it as text.
fn number_arg(args: &Value, name: &str) -> Option<usize> {
    match args.get(name) {
        Some(Value::String(text)) => text.parse().ok(),
        Some(value) => value.as_u64().map(|n| n as usize),
        None => None,
    }
}

/// Argument `name` as JSON (`Null` if missing): a form-encoded call carries it as a JSON
/// string.
fn json_arg(args: &Value, name: &str) -> Value {
    match args.get(name) {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(value) => value.clone(),
        None => Value::Null,
    }
}

/// What to do with this call of `method`: the next plan queued for it, if any. A lost
/// request waits here for ever (until the caller gives up and closes the connection).
async fn next_plan(shared: &Shared, method: &str) -> Plan {
    let planned = shared
        .planned
        .lock()
        .unwrap()
        .get_mut(method)
        .and_then(VecDeque::pop_front);
    match planned {
        None | Some(Planned::Pass) => Plan::Answer(None),
        Some(Planned::Late(by)) => Plan::Answer(Some(by)),
        Some(Planned::Lost) => std::future::pending().await,
        Some(Planned::RateLimited { retry_after }) => {
            let headers = [("retry-after", retry_after.to_string())];
            let body = Json(json!({"ok": false, "error": "ratelimited"}));
            Plan::Refuse((StatusCode::TOO_MANY_REQUESTS, headers, body).into_response())
        }
        Some(Planned::Error(code)) => Plan::Refuse(Json(json!({"ok": false, "error": code})).into_response()),
        Some(Planned::Unavailable(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let page = Html("<html><body>Slack is having trouble. Try again in a moment.</body></html>");
            Plan::Refuse((status, page).into_response())
        }
        Some(Planned::MadeButFailed(code)) => {
            Plan::MakeButRefuse(Json(json!({"ok": false, "error": code})).into_response())
        }
    }
}

/// Carries out a call of `method` with `carry_out`, as planned for it.
async fn as_planned(shared: &Shared, method: &str, carry_out: impl FnOnce() -> Response) -> Response {
    match next_plan(shared, method).await {
        Plan::Refuse(refusal) => refusal,
        Plan::Answer(late) => answered(carry_out(), late).await,
        Plan::MakeButRefuse(refusal) => {
            carry_out();
            refusal
        }
    }
}

/// `response`, after `late` if given.
async fn answered(response: Response, late: Option<Duration>) -> Response {
    if let Some(by) = late {
        tokio::time::sleep(by).await;
    }
    response
}

/// Answers `reply` and records the call with it.
fn answer_and_record(shared: &Shared, method: &str, call: Parsed, reply: Value) -> Response {
    let Parsed { args, token, json } = call;
    // Boxed first so that the kept answer holds its length, not the writer's doubled
    // buffer (a post's answer of 330 bytes kept 512).
    let body = Bytes::from(
        serde_json::to_vec(&reply)
            .expect("a JSON value serializes")
            .into_boxed_slice(),
    );
    let response = ([(axum::http::header::CONTENT_TYPE, "application/json")], body.clone()).into_response();
    let at = tokio::time::Instant::now();
    let call = {
        let mut calls = shared.calls.lock().unwrap();
        calls.push(Kept {
            method: method.to_owned(),
            args: json.unwrap_or_else(|| serde_json::to_vec(&args).expect("a JSON value serializes").into()),
            token: token.clone(),
            reply: body,
            at,
        });
        calls.len() - 1
    };
    if let ("chat.postMessage", Some(message)) = (method, reply.get("message")) {
        let text = |value: &Value| value.as_str().map(str::to_owned);
        shared.messages.lock().unwrap().push(Posted {
            channel: text(&reply["channel"]).unwrap_or_default(),
            ts: text(&message["ts"]).unwrap_or_default(),
            thread_ts: message.get("thread_ts").and_then(text),
            call,
        });
    }
    let mut subscribers = shared.subscribers.lock().unwrap();
    if !subscribers.is_empty() {
        let call = Arc::new(RecordedCall {
            method: method.to_owned(),
            args,
            token,
            reply,
            at,
        });
        subscribers.retain(|subscriber| subscriber.send(call.clone()).is_ok());
    }
    response
}

async fn api(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    as_planned(&shared, &method, || {
        let mut call = parse(&headers, &body);
        if let (Some(query), Some(map)) = (query, call.args.as_object_mut()) {
            // GET methods (`conversations.history`) carry their arguments in the query string.
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                map.insert(key.into_owned(), Value::String(value.into_owned()));
            }
            call.json = None; // The body alone no longer holds the arguments.
        }
        let answer = answer(&shared, &method, &call.args);
        answer_and_record(&shared, &method, call, answer)
    })
    .await
}

/// A `conversations.history` (the channel's top-level posts, newest first) or
/// `conversations.replies` (a thread, oldest first) answer over the posts the fake received,
/// a page of `limit` at a time (Slack's defaults: 100 and 1,000) with Slack's `cursor`,
/// `has_more` and `response_metadata.next_cursor`.
fn history(shared: &Shared, method: &str, args: &Value) -> Value {
    let channel = args.get("channel").and_then(Value::as_str);
    let thread = args.get("ts").and_then(Value::as_str);
    // Slack's `oldest`: only messages after it (or at it too, with `inclusive`).
    let oldest = args.get("oldest").and_then(Value::as_str).and_then(ts_micros);
    let inclusive = matches!(args.get("inclusive"), Some(v) if v == "true" || v == true);
    let recent = |m: &Posted| match (oldest, ts_micros(&m.ts)) {
        (Some(oldest), Some(at)) => at > oldest || (inclusive && at == oldest),
        _ => true,
    };
    let posts: Vec<usize> = {
        let messages = shared.messages.lock().unwrap();
        // Slack answers a reply's `ts` with its whole thread, from the root.
        let root = thread.and_then(|ts| {
            let reply = messages
                .iter()
                .find(|m| channel == Some(m.channel.as_str()) && m.ts == ts);
            reply.and_then(|m| m.thread_ts.as_deref())
        });
        let thread = root.or(thread);
        let in_view = |m: &&Posted| {
            channel == Some(m.channel.as_str())
                && recent(m)
                && match thread {
                    Some(root) => m.ts == root || m.thread_ts.as_deref() == Some(root),
                    None => m.thread_ts.is_none(),
                }
        };
        match method {
            "conversations.replies" => messages.iter().filter(in_view).map(|m| m.call).collect(),
            _ => messages.iter().rev().filter(in_view).map(|m| m.call).collect(),
        }
    };
    let limit = number_arg(args, "limit");
    let default_limit = if method == "conversations.replies" { 1000 } else { 100 };
    let limit = limit.filter(|&n| n > 0).unwrap_or(default_limit);
    // The fake's cursors are `next:` and the offset of the next page.
    let start = match args.get("cursor").and_then(Value::as_str).unwrap_or_default() {
        "" => 0,
        cursor => match cursor.strip_prefix("next:").and_then(|n| n.parse::<usize>().ok()) {
            Some(offset) => offset.min(posts.len()),
            None => return json!({"ok": false, "error": "invalid_cursor"}),
        },
    };
    let end = (start + limit).min(posts.len());
    // Without `include_all_metadata`, Slack returns a message's metadata type but not its
    // payload (unless the app's manifest subscribes to that type), so a look-up that forgets
    // the flag finds no tag here either.
    let all_metadata = matches!(args.get("include_all_metadata"), Some(v) if v == "true" || v == true);
    let calls = shared.calls.lock().unwrap();
    let messages: Vec<Value> = posts[start..end]
        .iter()
        .map(|&call| {
            let mut message = calls[call].reply_json()["message"].take();
            if let (false, Some(Value::Object(metadata))) = (all_metadata, message.get_mut("metadata")) {
                metadata.remove("event_payload");
            }
            message
        })
        .collect();
    let has_more = end < posts.len();
    let next_cursor = if has_more { format!("next:{end}") } else { String::new() };
    json!({"ok": true, "messages": messages, "has_more": has_more,
           "response_metadata": {"next_cursor": next_cursor}})
}

fn answer(shared: &Shared, method: &str, args: &Value) -> Value {
    let n = shared.next();
    let channel = args.get("channel").cloned().unwrap_or(Value::Null);
    match method {
        "auth.test" => json!({"ok": true, "url": "https://fake.slack.invalid/", "team": "Fake", "user": "bot",
                              "team_id": FAKE_TEAM, "user_id": FAKE_BOT_USER, "bot_id": "B0TEST"}),
        "chat.postMessage" => {
            let ts = shared.ts();
            let mut message = json!({"type": "message", "text": args.get("text"), "user": FAKE_BOT_USER, "ts": ts,
                                     "bot_id": "B0TEST"});
            if args.get("metadata").is_some_and(|m| !m.is_null()) {
                message["metadata"] = json_arg(args, "metadata");
            }
            if let Some(thread) = args.get("thread_ts").filter(|t| t.is_string()) {
                message["thread_ts"] = thread.clone();
            }
            // Slack answers a post to a user id with the id of the app's DM with them.
            let channel = match channel.as_str() {
                Some(user) => Value::String(orchestrator_runtime::payloads::posted_in(user)),
                None => channel,
            };
            // Moved in, not through `json!`, which would copy the message field by field.
            let reply = [
                ("ok", Value::Bool(true)),
                ("channel", channel),
                ("ts", Value::String(ts)),
                ("message", message),
            ];
            Value::Object(reply.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        }
        "conversations.history" | "conversations.replies" => history(shared, method, args),
        "chat.update" => json!({"ok": true, "channel": channel, "ts": args.get("ts"), "text": args.get("text"),
                                "message": {"type": "message", "text": args.get("text"), "user": FAKE_BOT_USER}}),
        "chat.postEphemeral" => json!({"ok": true, "message_ts": shared.ts()}),
        "views.open" | "views.push" | "views.update" => {
            let id = args
                .get("view_id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("V{n:08}"), str::to_owned);
            let mut view = args.get("view").cloned().unwrap_or(json!({}));
            view["id"] = json!(id);
            view["team_id"] = json!(FAKE_TEAM);
            view["state"] = json!({"values": {}});
            view["hash"] = json!(format!("{n}.hash"));
            json!({"ok": true, "view": view})
        }
        "apps.connections.open" => json!({"ok": true, "url": shared.ws_url.lock().unwrap().clone()}),
        // A DM with one user is `D` + the user id here; with several, a group DM.
        "conversations.open" => match args.get("users").and_then(Value::as_str) {
            Some(user) if !user.contains(',') => {
                json!({"ok": true, "channel": {"id": orchestrator_runtime::payloads::posted_in(user)}})
            }
            Some(users) => json!({"ok": true, "channel": {"id": format!("G{}", users.replace(',', ""))}}),
            None => json!({"ok": false, "error": "users_not_found"}),
        },
        "views.publish" => {
            let mut view = args.get("view").cloned().unwrap_or(json!({}));
            view["id"] = json!(format!("V{n:08}"));
            view["team_id"] = json!(FAKE_TEAM);
            json!({"ok": true, "view": view})
        }
        "users.info" => match args.get("user").and_then(Value::as_str) {
            Some(user) => json!({"ok": true, "user": {"id": user, "name": user.to_lowercase(), "tz": "Europe/Paris",
                                 "profile": {"real_name": format!("User {user}")}}}),
            None => json!({"ok": false, "error": "user_not_found"}),
        },
        "files.getUploadURLExternal" => upload_url(shared, args),
        "files.completeUploadExternal" => complete_upload(shared, args),
        "functions.completeSuccess" | "functions.completeError" => function_completion(shared, method, args),
        "assistant.threads.setStatus" | "assistant.threads.setSuggestedPrompts" | "assistant.threads.setTitle" => {
            assistant_thread_call(method, args)
        }
        _ => json!({"ok": false, "error": "unknown_method"}),
    }
}

/// A file of the upload flow: what `files.getUploadURLExternal` was told, and the bytes
/// its upload URL was sent.
struct FakeFile {
    filename: String,
    length: usize,
    content: Option<Vec<u8>>,
}

/// `files.getUploadURLExternal`: a file id and the URL to send its `length` bytes to, on
/// this fake.
fn upload_url(shared: &Shared, args: &Value) -> Value {
    let filename = args.get("filename").and_then(Value::as_str).filter(|f| !f.is_empty());
    let length = number_arg(args, "length").filter(|&n| n > 0);
    let (Some(filename), Some(length)) = (filename, length) else {
        return json!({"ok": false, "error": "invalid_arguments"});
    };
    let id = format!("F{:08}", shared.next());
    let file = FakeFile {
        filename: filename.to_owned(),
        length,
        content: None,
    };
    shared.files.lock().unwrap().insert(id.clone(), file);
    let url = format!("{}/upload/{id}", shared.http.lock().unwrap());
    json!({"ok": true, "upload_url": url, "file_id": id})
}

/// `files.completeUploadExternal`: shares files whose bytes were sent (a `files` list of
/// `id` and `title`, as JSON or, form-encoded, as a JSON string) in `channel_id`.
fn complete_upload(shared: &Shared, args: &Value) -> Value {
    let listed = json_arg(args, "files");
    let Some(listed) = listed.as_array().filter(|l| !l.is_empty()) else {
        return json!({"ok": false, "error": "invalid_arguments"});
    };
    let files = shared.files.lock().unwrap();
    let mut shared_files = Vec::new();
    for entry in listed {
        let id = entry["id"].as_str().unwrap_or_default();
        // Slack finds no file whose bytes never came, or came short.
        let Some(file) = files
            .get(id)
            .filter(|f| f.content.as_ref().is_some_and(|c| c.len() == f.length))
        else {
            return json!({"ok": false, "error": "file_not_found"});
        };
        let title = entry["title"].as_str().unwrap_or(&file.filename);
        let url_private = file_url(shared, id, &file.filename);
        shared_files.push(
            json!({"id": id, "name": file.filename, "title": title, "size": file.length,
                                 "url_private": url_private}),
        );
    }
    json!({"ok": true, "files": shared_files})
}

/// A file's `url_private` on this fake.
fn file_url(shared: &Shared, id: &str, name: &str) -> String {
    let name: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("{}/files/{id}/{name}", shared.http.lock().unwrap())
}

/// A file's `url_private`: its bytes for a bearer token with `files:read`; for a request
/// without one (or once [`FakeSlack::revoke_files_read`]), Slack's sign-in page with a 200.
async fn download(
    State(shared): State<Arc<Shared>>,
    Path((id, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    as_planned(&shared, "url_private", || {
        let token = bearer(&headers);
        let content = shared.files.lock().unwrap().get(&id).and_then(|f| f.content.clone());
        let call = Parsed {
            args: json!({"file_id": id}),
            token: token.clone(),
            json: None,
        };
        answer_and_record(&shared, "url_private", call, json!({"ok": content.is_some()}));
        let readable = token.is_some() && !shared.no_files_read.load(Ordering::Relaxed);
        match (content, readable) {
            (_, false) => Html("<!DOCTYPE html><html><body>Sign in to Slack</body></html>").into_response(),
            (None, true) => (StatusCode::NOT_FOUND, "file not found").into_response(),
            (Some(content), true) => {
                let kind = [(axum::http::header::CONTENT_TYPE, "application/octet-stream")];
                (kind, content).into_response()
            }
        }
    })
    .await
}

/// The upload URL of a file: its bytes, answered as Slack's is (`OK - LENGTH`, plain text).
async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    as_planned(&shared, "upload_url", || {
        let length = body.len();
        let known = match shared.files.lock().unwrap().get_mut(&id) {
            Some(file) => {
                file.content = Some(body.to_vec());
                true
            }
            None => false,
        };
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let args = json!({"file_id": id, "length": length, "content_type": content_type});
        let call = Parsed {
            args,
            token: None,
            json: None,
        };
        answer_and_record(&shared, "upload_url", call, json!({"ok": known}));
        match known {
            true => (StatusCode::OK, format!("OK - {length}")).into_response(),
            false => (StatusCode::NOT_FOUND, "not found").into_response(),
        }
    })
    .await
}

/// `functions.completeSuccess` (`outputs`, an object) and `functions.completeError`
/// (`error`), for a `function_execution_id` not completed before: a workflow step ends once.
fn function_completion(shared: &Shared, method: &str, args: &Value) -> Value {
    let Some(execution) = args.get("function_execution_id").and_then(Value::as_str) else {
        return json!({"ok": false, "error": "invalid_arguments"});
    };
    let valid = match method {
        "functions.completeSuccess" => args.get("outputs").is_some_and(|o| o.is_object() || o.is_string()),
        _ => args.get("error").is_some_and(Value::is_string),
    };
    if !valid {
        return json!({"ok": false, "error": "invalid_arguments"});
    }
    // A run completed once "cannot be found", in Slack's words for a second completion.
    if !shared.completed_functions.lock().unwrap().insert(execution.to_owned()) {
        return json!({"ok": false, "error": "function_execution_not_found"});
    }
    json!({"ok": true})
}

/// The `assistant.threads.*` methods, checked as Slack documents them: a DM channel and a
/// thread, and the method's own argument (`status`, `title`, or one to four `prompts` with
/// a `title` and a `message` each).
fn assistant_thread_call(method: &str, args: &Value) -> Value {
    let text = |name: &str| args.get(name).and_then(Value::as_str);
    let refuse = |error: &str| json!({"ok": false, "error": error});
    if !text("channel_id").is_some_and(|c| c.starts_with('D')) {
        return refuse("channel_not_found");
    }
    if text("thread_ts").is_none() {
        return refuse("invalid_thread_ts");
    }
    let valid = match method {
        "assistant.threads.setStatus" => text("status").is_some(),
        "assistant.threads.setTitle" => text("title").is_some(),
        _ => json_arg(args, "prompts").as_array().is_some_and(|list| {
            (1..=4).contains(&list.len()) && list.iter().all(|p| p["title"].is_string() && p["message"].is_string())
        }),
    };
    if valid {
        json!({"ok": true})
    } else {
        refuse("invalid_arguments")
    }
}

async fn respond(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    as_planned(&shared, "response_url", || {
        answer_and_record(&shared, "response_url", parse(&headers, &body), json!({"ok": true}))
    })
    .await
}

/// Socket Mode: `hello` on connect, envelopes from [`FakeSlack::socket_send`], acks recorded,
/// pings answered (by tungstenite, while the connection is read), until told to go silent.
async fn socket_server(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut silenced = shared.silence.0.subscribe();
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut write, mut read) = socket.split();
            let (outbox, mut queued) = mpsc::unbounded_channel::<String>();
            let hello = json!({"type": "hello", "num_connections": 1,
                               "connection_info": {"app_id": "A0TEST"}, "debug_info": {"host": "fake"}});
            if write.send(Message::text(hello.to_string())).await.is_err() {
                return;
            }
            shared.sockets.lock().unwrap().push(outbox);
            let writer = tokio::spawn(async move {
                while let Some(text) = queued.recv().await {
                    if write.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
            });
            loop {
                let message = tokio::select! {
                    message = read.next() => message,
                    _ = silenced.changed() => {
                        // Open, unread and unwritten from now on, as behind a dead network.
                        writer.abort();
                        return std::future::pending().await;
                    }
                };
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Ok(ack) = serde_json::from_str::<Value>(&text) {
                            shared.acks.lock().unwrap().push(ack);
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                }
            }
            writer.abort();
        });
    }
}
