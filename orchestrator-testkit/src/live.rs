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
    pub async fn start(transport: Transport, builder: OrchestratorBuilder) -> LiveBot {
        LiveBot::launch(transport, builder, SocketLiveness::default()).await
    }

    /// Starts a fake Slack and the bot built from `builder` over Socket Mode, pinging and
    /// replacing silent connections as `liveness` says (short limits for tests).
    ///
    /// # Panics
    /// As [`LiveBot::start`].
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
    pub fn slack(&self) -> &FakeSlack {
        &self.slack
    }

    /// The orchestrator (for its store).
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orchestrator
    }

    /// The signed-request sender, for HTTP bots (to send malformed or badly signed requests).
    pub fn sender(&self) -> Option<&SignedSender> {
        self.sender.as_ref()
    }

    /// Delivers an Events API callback.
    pub async fn event(&self, body: &Value) -> Delivered {
        match &self.sender {
            Some(sender) => Delivered::Http(sender.event(body).await),
            None => self.envelope("events_api", body.clone()).await,
        }
    }

    /// Delivers an interactivity payload.
    pub async fn interaction(&self, payload: &Value) -> Delivered {
        match &self.sender {
            Some(sender) => Delivered::Http(sender.interaction(payload).await),
            None => self.envelope("interactive", payload.clone()).await,
        }
    }

    /// `user` clicks the element `action_id` of the newest message the bot posted with one
    /// (in `channel`, at its top), as Slack sends the click.
    ///
    /// # Panics
    /// If the bot posted no message with that element.
    pub async fn click(&self, user: &str, channel: &str, action_id: &str) -> Delivered {
        let posts = self.slack.calls().into_iter().rev();
        let found = posts.filter(|call| call.method == "chat.postMessage").find_map(|call| {
            let (block_id, element) = payloads::find_element(&call.args["blocks"], action_id)?;
            Some((block_id, element, call.reply["ts"].as_str()?.to_owned()))
        });
        let (block_id, element, ts) = found.unwrap_or_else(|| panic!("no message with the element {action_id}"));
        let at = payloads::ElementAt {
            channel,
            message_ts: &ts,
            thread_ts: None,
            block_id: &block_id,
        };
        let trigger = format!(
            "{}.click",
            super::IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.interaction(&payloads::block_action(super::TEAM, user, &at, element, &trigger))
            .await
    }

    /// Delivers a slash command form body.
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
    pub async fn stop(mut self) -> FakeSlack {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.running).await.expect("the bot stopped cleanly");
        self.slack
    }
}
