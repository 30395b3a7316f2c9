//! [`LiveBot`]: a bot under test over real sockets. It starts a [`FakeSlack`], builds the
//! orchestrator against it (a real [`SlackWebApi`], identity from `auth.test`), and connects
//! it the way production does: the HTTP endpoint on a loopback port, fed by a
//! [`SignedSender`], or Socket Mode over the fake's WebSocket. The same conversation test
//! can run over both.

use super::fake_slack::FakeSlack;
use super::sender::{Sent, SignedSender};
use orchestrator_runtime::payloads;
use orchestrator_runtime::HttpIngress;
use orchestrator_runtime::SlackWebApi;
use orchestrator_runtime::{Orchestrator, OrchestratorBuilder};
use orchestrator_runtime::{SocketLiveness, SocketMode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How a workflow run's just-in-time token starts, as Slack's do (`xwfp-`): the token of
/// `payloads::function_executed`, and of the clicks [`LiveBot::click`] makes on what a run
/// posted with it.
///
/// ```
/// use slack_orchestrator::payloads;
/// let ran = payloads::function_executed("T1", "approve", "Fx1", serde_json::json!({}), "Ev1");
/// let token = ran["event"]["bot_access_token"].as_str().unwrap();
/// assert!(token.starts_with(slack_orchestrator::testkit::WORKFLOW_TOKEN_PREFIX));
/// ```
pub const WORKFLOW_TOKEN_PREFIX: &str = "xwfp-";

/// The signing secret of live test bots.
///
/// ```
/// use slack_orchestrator::testkit::{SignedSender, SIGNING_SECRET};
/// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
/// # #[tokio::main] async fn main() {
/// // The secret a `LiveBot`'s ingress verifies with, and its sender signs with.
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let url = format!("http://{}", listener.local_addr().unwrap());
/// tokio::spawn(HttpIngress::new(orchestrator, SIGNING_SECRET).unwrap().serve(listener, std::future::pending()));
/// let check = serde_json::json!({"type": "url_verification", "challenge": "c1"});
/// assert_eq!(SignedSender::new(&url, SIGNING_SECRET).event(&check).await.json()["challenge"], "c1");
/// # }
/// ```
pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// How events reach a [`LiveBot`].
///
/// ```
/// use slack_orchestrator::testkit::{LiveBot, Transport};
/// use slack_orchestrator::Orchestrator;
/// # #[tokio::main] async fn main() {
/// for transport in [Transport::Http, Transport::Socket] {
///     let bot = LiveBot::start(transport, Orchestrator::builder()).await;
///     // Over HTTP, events go as signed requests; over Socket Mode, as envelopes on the socket.
///     assert_eq!(bot.sender().is_some(), transport == Transport::Http);
///     assert_eq!(bot.slack().socket_clients(), usize::from(transport == Transport::Socket));
///     bot.stop().await;
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Signed requests to `POST /slack/events`.
    Http,
    /// Envelopes over the fake's Socket Mode WebSocket.
    Socket,
}

/// What came back for a delivered event.
///
/// ```
/// use slack_orchestrator::testkit::{Delivered, LiveBot, Transport, TEAM};
/// use slack_orchestrator::{payloads, Orchestrator};
/// # #[tokio::main] async fn main() {
/// for transport in [Transport::Http, Transport::Socket] {
///     let bot = LiveBot::start(transport, Orchestrator::builder()).await;
///     let delivered = bot.event(&payloads::direct_message(TEAM, "U1", "hi", "1.1", "Ev1")).await;
///     match &delivered {
///         Delivered::Http(sent) => assert_eq!(sent.status, 200),
///         Delivered::Socket(ack) => assert!(ack["envelope_id"].is_string()),
///     }
///     assert!(delivered.body().is_null(), "an event's ack carries nothing");
///     bot.stop().await;
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    /// The HTTP response.
    Http(Sent),
    /// The Socket Mode acknowledgement (`{"envelope_id", "payload"?}`).
    Socket(Value),
}

impl Delivered {
    /// The body the bot answered with: the HTTP body as JSON, or the ack's `payload`.
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
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![blocks::text_input("t", "title", "Title")])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn filed(_cx: &mut Cx, _form: Submission) -> Next<Ticket> { reject([("t", "Too short.")]) }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// for transport in [Transport::Http, Transport::Socket] {
    ///     let bot = LiveBot::start(transport, Orchestrator::builder().flow::<ticket::Ticket>()).await;
    ///     bot.command(&payloads::slash_command(TEAM, "U1", "C1", "/ticket", "", "1.t")).await;
    ///     let (view, id) = bot.slack().opened_view(Duration::from_secs(5)).await;
    ///     let submitted = payloads::view_submission(TEAM, "U1", &view, &id, &[("t", "title", "x")], "2.t");
    ///     // The errors go back in the ack, over either transport.
    ///     let answer = bot.interaction(&submitted).await.body();
    ///     assert_eq!(answer["response_action"], "errors");
    ///     bot.stop().await;
    /// }
    /// # }
    /// ```
    pub fn body(&self) -> Value {
        match self {
            Delivered::Http(sent) => sent.json(),
            Delivered::Socket(ack) => ack.get("payload").cloned().unwrap_or(Value::Null),
        }
    }
}

/// A bot connected to a [`FakeSlack`] over real sockets.
///
/// ```
/// # use slack_orchestrator::prelude::*;
/// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
/// use slack_orchestrator::{payloads, Orchestrator};
/// use std::time::Duration;
///
/// #[flow(trigger = direct_message)]
/// mod ping {
///     use slack_orchestrator::prelude::*;
///     pub enum Ping {
///         #[start]
///         Pong,
///     }
///     #[step(Pong)]
///     async fn pong(_cx: &mut Cx) -> Next<Ping> {
///         complete("pong")
///     }
/// }
///
/// # #[tokio::main]
/// # async fn main() {
/// for transport in [Transport::Http, Transport::Socket] {
///     let bot = LiveBot::start(transport, Orchestrator::builder().flow::<ping::Ping>()).await;
///     bot.event(&payloads::direct_message(TEAM, "U1", "ping", "1700000000.000100", "Ev1")).await;
///     let posted = bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
///     assert_eq!(posted[0]["text"], "pong");
///     bot.stop().await;
/// }
/// # }
/// ```
pub struct LiveBot {
    slack: FakeSlack,
    transport: Transport,
    orchestrator: Orchestrator,
    sender: Option<SignedSender>,
    stop: Option<oneshot::Sender<()>>,
    running: JoinHandle<()>,
}

impl LiveBot {
    /// Starts a fake Slack and the bot built from `builder`, connected over `transport`.
    ///
    /// # Panics
    /// If the bot cannot start (no loopback port, `auth.test` failing, an invalid builder).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod ping {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ping { #[start] Pong }
    /// #     #[step(Pong)]
    /// #     async fn pong(_cx: &mut Cx) -> Next<Ping> { complete("pong") }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<ping::Ping>()).await;
    /// // The bot asked the fake Slack who it is, as a production bot asks Slack.
    /// assert_eq!(bot.slack().methods(), ["auth.test"]);
    /// bot.event(&payloads::direct_message(TEAM, "U1", "ping", "1.1", "Ev1")).await;
    /// assert_eq!(bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await[0]["text"], "pong");
    /// bot.stop().await;
    /// # }
    /// ```
    pub async fn start(transport: Transport, builder: OrchestratorBuilder) -> LiveBot {
        LiveBot::launch(transport, builder, SocketLiveness::default()).await
    }

    /// Starts a fake Slack and the bot built from `builder` over Socket Mode, pinging and
    /// replacing silent connections as `liveness` says (short limits for tests).
    ///
    /// # Panics
    /// As [`LiveBot::start`].
    ///
    /// ```
    /// use slack_orchestrator::testkit::LiveBot;
    /// use slack_orchestrator::{Orchestrator, SocketLiveness};
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// // Short limits, so that a test of a dead connection takes a second, not minutes.
    /// let liveness = SocketLiveness { ping_every: Duration::from_millis(200), silence: Duration::from_millis(600) };
    /// let bot = LiveBot::start_socket_mode(Orchestrator::builder(), liveness).await;
    /// assert_eq!(bot.slack().socket_clients(), 1);
    /// assert!(bot.sender().is_none(), "no HTTP endpoint");
    /// bot.stop().await;
    /// # }
    /// ```
    pub async fn start_socket_mode(builder: OrchestratorBuilder, liveness: SocketLiveness) -> LiveBot {
        LiveBot::launch(Transport::Socket, builder, liveness).await
    }

    async fn launch(transport: Transport, builder: OrchestratorBuilder, liveness: SocketLiveness) -> LiveBot {
        let slack = FakeSlack::start().await;
        let web = SlackWebApi::new("xoxb-test-token", Some(&slack.api_url())).expect("a Web API client");
        let me = web.auth_test().await.expect("auth.test against the fake");
        let orchestrator = builder
            .slack(Arc::new(web.clone()))
            .bot_user(me.user_id)
            .build()
            .expect("a valid bot");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let (sender, running) = match transport {
            Transport::Http => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a loopback port");
                let url = format!("http://{}", listener.local_addr().expect("bound"));
                let ingress = HttpIngress::new(orchestrator.clone(), SIGNING_SECRET).expect("a secret");
                let running = tokio::spawn(async move {
                    ingress.serve(listener, shutdown).await.expect("the HTTP server runs");
                });
                (Some(SignedSender::new(&url, SIGNING_SECRET)), running)
            }
            Transport::Socket => {
                let socket = SocketMode::new(orchestrator.clone(), web, "xapp-test-token").with_liveness(liveness);
                let running = tokio::spawn(socket.run(shutdown));
                for _ in 0..500 {
                    if slack.socket_clients() > 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                assert_eq!(slack.socket_clients(), 1, "the bot connected over Socket Mode");
                (None, running)
            }
        };
        LiveBot {
            slack,
            transport,
            orchestrator,
            sender,
            stop: Some(stop),
            running,
        }
    }

    /// The fake Slack the bot talks to.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod ping {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ping { #[start] Pong }
    /// #     #[step(Pong)]
    /// #     async fn pong(_cx: &mut Cx) -> Next<Ping> { complete("pong") }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<ping::Ping>()).await;
    /// bot.slack().rate_limit_next("chat.postMessage", 1, 1); // Slack says 429 once
    /// bot.event(&payloads::direct_message(TEAM, "U1", "ping", "1.1", "Ev1")).await;
    /// let posted = bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(10)).await;
    /// assert_eq!(posted[0]["text"], "pong", "posted after Retry-After");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn slack(&self) -> &FakeSlack {
        &self.slack
    }

    /// The orchestrator (for its store).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("go", vec![blocks::button("yes", "Deploy", "y"), blocks::button("no", "Later", "n")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         complete(if click.action_id == "yes" { "Deploying." } else { "Maybe later." })
    /// #     }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<deploy::Deploy>()).await;
    /// bot.event(&payloads::direct_message(TEAM, "U1", "deploy", "1.1", "Ev1")).await;
    /// bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    /// // The step posts before its result is saved: read the store once the save is done.
    /// let mut step = String::new();
    /// for _ in 0..500 {
    ///     let flows = bot.orchestrator().store().list(true, 10).await.unwrap();
    ///     step = flows[0].step_name.clone();
    ///     if step == "Decide" {
    ///         break;
    ///     }
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// assert_eq!(step, "Decide", "waiting for the click");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orchestrator
    }

    /// The signed-request sender, for HTTP bots (to send malformed or badly signed requests).
    ///
    /// ```
    /// use slack_orchestrator::testkit::{LiveBot, Transport};
    /// use slack_orchestrator::Orchestrator;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder()).await;
    /// let sender = bot.sender().expect("an HTTP bot");
    /// let stale = chrono::Utc::now().timestamp() - 600;
    /// let replayed = sender.send_signed("application/json", b"{}".to_vec(), stale, "", &[], true).await;
    /// assert_eq!(replayed.status, 401, "a request signed ten minutes ago is refused");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn sender(&self) -> Option<&SignedSender> {
        self.sender.as_ref()
    }

    /// Delivers an Events API callback.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod ping {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ping { #[start] Pong }
    /// #     #[step(Pong)]
    /// #     async fn pong(_cx: &mut Cx) -> Next<Ping> { complete("pong") }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// for transport in [Transport::Http, Transport::Socket] {
    ///     let bot = LiveBot::start(transport, Orchestrator::builder().flow::<ping::Ping>()).await;
    ///     let dm = payloads::direct_message(TEAM, "U1", "ping", "1.1", "Ev1");
    ///     bot.event(&dm).await;
    ///     bot.event(&dm).await; // delivered again, as Slack retries
    ///     bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    ///     tokio::time::sleep(Duration::from_millis(100)).await;
    ///     assert_eq!(bot.slack().calls_to("chat.postMessage").len(), 1, "answered once");
    ///     bot.stop().await;
    /// }
    /// # }
    /// ```
    pub async fn event(&self, body: &Value) -> Delivered {
        match &self.sender {
            Some(sender) => Delivered::Http(sender.event(body).await),
            None => self.envelope("events_api", body.clone()).await,
        }
    }

    /// Delivers an interactivity payload.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("go", vec![blocks::button("yes", "Deploy", "y"), blocks::button("no", "Later", "n")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         complete(if click.action_id == "yes" { "Deploying." } else { "Maybe later." })
    /// #     }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<deploy::Deploy>()).await;
    /// bot.event(&payloads::direct_message(TEAM, "U1", "deploy", "1.1", "Ev1")).await;
    /// let asked = bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    /// // A click built by hand from the message Slack has, as its interactivity payload carries it.
    /// let (block_id, button) = payloads::find_element(&asked[0]["blocks"], "no").unwrap();
    /// let ts = bot.slack().calls()[1].reply["ts"].as_str().unwrap().to_owned();
    /// let at = payloads::ElementAt { channel: "DU1", message_ts: &ts, thread_ts: None, block_id: &block_id };
    /// bot.interaction(&payloads::block_action(TEAM, "U1", &at, button, "2.t")).await;
    /// assert_eq!(bot.slack().wait_for("chat.postMessage", 2, Duration::from_secs(5)).await[1]["text"], "Maybe later.");
    /// bot.stop().await;
    /// # }
    /// ```
    pub async fn interaction(&self, payload: &Value) -> Delivered {
        match &self.sender {
            Some(sender) => Delivered::Http(sender.interaction(payload).await),
            None => self.envelope("interactive", payload.clone()).await,
        }
    }

    /// `user` clicks the element `action_id` of the newest message the bot sent with one (a
    /// post, or an ephemeral message sent to `user`; in `channel`, in the message's thread
    /// if it is in one), as Slack sends the click: one on an ephemeral message comes
    /// without the message, named by the `message_ts` `chat.postEphemeral` answered; one on
    /// a message a workflow's custom step run posted (with a [`WORKFLOW_TOKEN_PREFIX`]
    /// token) comes with a fresh token for the run, `bot_access_token`.
    ///
    /// # Panics
    /// If the bot posted no message with that element.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("go", vec![blocks::button("yes", "Deploy", "y"), blocks::button("no", "Later", "n")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         complete(if click.action_id == "yes" { "Deploying." } else { "Maybe later." })
    /// #     }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// for transport in [Transport::Http, Transport::Socket] {
    ///     let bot = LiveBot::start(transport, Orchestrator::builder().flow::<deploy::Deploy>()).await;
    ///     bot.event(&payloads::direct_message(TEAM, "U1", "deploy", "1.1", "Ev1")).await;
    ///     bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    ///     bot.click("U1", "DU1", "yes").await;
    ///     assert_eq!(bot.slack().wait_for("chat.postMessage", 2, Duration::from_secs(5)).await[1]["text"], "Deploying.");
    ///     bot.stop().await;
    /// }
    /// # }
    /// ```
    pub async fn click(&self, user: &str, channel: &str, action_id: &str) -> Delivered {
        let calls = self.slack.calls();
        let found = calls.iter().rev().find_map(|call| {
            // A post, or an ephemeral message `user` was sent (named by its `message_ts`).
            let ts = match call.method.as_str() {
                "chat.postMessage" => "ts",
                "chat.postEphemeral" if call.args["user"] == user => "message_ts",
                _ => return None,
            };
            let (block_id, element) = payloads::find_element(&call.args["blocks"], action_id)?;
            Some((call, call.reply[ts].as_str()?, block_id, element))
        });
        let (call, ts, block_id, element) = found.unwrap_or_else(|| panic!("no message with the element {action_id}"));
        let at = payloads::ElementAt {
            channel,
            message_ts: ts,
            thread_ts: call.args["thread_ts"].as_str(),
            block_id: &block_id,
        };
        let trigger = format!(
            "{}.click",
            super::IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut body = payloads::block_action(super::TEAM, user, &at, element, &trigger);
        if call.method == "chat.postEphemeral" {
            body = payloads::on_ephemeral(body);
        }
        // Posted by a workflow's custom step run (with its just-in-time token): Slack gives
        // each interaction in the run a fresh token.
        if call
            .token
            .as_deref()
            .is_some_and(|t| t.starts_with(WORKFLOW_TOKEN_PREFIX))
        {
            body = payloads::in_workflow_run(body, &format!("{WORKFLOW_TOKEN_PREFIX}{trigger}"));
        }
        self.interaction(&body).await
    }

    /// Delivers a slash command form body.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] Greet }
    /// #     #[step(Greet)]
    /// #     async fn greet(_cx: &mut Cx, command: Command) -> Next<Hello> { complete(format!("Hello, {}!", command.text)) }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// for transport in [Transport::Http, Transport::Socket] {
    ///     let bot = LiveBot::start(transport, Orchestrator::builder().flow::<hello::Hello>()).await;
    ///     bot.command(&payloads::slash_command(TEAM, "U1", "C1", "/hello", "world", "1.t")).await;
    ///     assert_eq!(bot.slack().wait_for("chat.postMessage", 1, Duration::from_secs(5)).await[0]["text"], "Hello, world!");
    ///     bot.stop().await;
    /// }
    /// # }
    /// ```
    pub async fn command(&self, form: &str) -> Delivered {
        match &self.sender {
            Some(sender) => Delivered::Http(sender.command(form).await),
            None => {
                let fields: serde_json::Map<String, Value> = form_urlencoded::parse(form.as_bytes())
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect();
                self.envelope("slash_commands", Value::Object(fields)).await
            }
        }
    }

    async fn envelope(&self, kind: &str, payload: Value) -> Delivered {
        let id = uuid::Uuid::new_v4().to_string();
        let envelope = json!({"envelope_id": id, "type": kind, "payload": payload,
                              "accepts_response_payload": kind != "events_api", "retry_attempt": 0});
        assert_eq!(self.slack.socket_send(&envelope), 1, "the bot is connected");
        // Slack waits 3 s for an ack; a little more here, so a late one fails its test's
        // own assertion rather than this wait.
        for _ in 0..1000 {
            if let Some(ack) = self
                .slack
                .socket_acks()
                .into_iter()
                .find(|a| a["envelope_id"] == id.as_str())
            {
                return Delivered::Socket(ack);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the bot did not acknowledge envelope {id} over {:?}", self.transport)
    }

    /// Shuts the bot down gracefully (running steps finish), waits for it, and hands back
    /// the fake Slack to inspect what happened.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    /// use slack_orchestrator::{payloads, Orchestrator};
    /// use std::time::Duration;
    /// # #[flow(trigger = direct_message)]
    /// # mod slow {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Slow { #[start] Work }
    /// #     #[step(Work)]
    /// #     async fn work(_cx: &mut Cx) -> Next<Slow> {
    /// #         tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    /// #         complete("Done.")
    /// #     }
    /// # }
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<slow::Slow>()).await;
    /// bot.event(&payloads::direct_message(TEAM, "U1", "go", "1.1", "Ev1")).await; // acked at once
    /// let slack = bot.stop().await; // the step still running finishes first
    /// assert_eq!(slack.calls_to("chat.postMessage")[0]["text"], "Done.");
    /// # }
    /// ```
    pub async fn stop(mut self) -> FakeSlack {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.running).await.expect("the bot stopped cleanly");
        self.slack
    }
}
