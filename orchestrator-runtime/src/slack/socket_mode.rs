//! Socket Mode ingress: the bot opens a WebSocket to Slack (`apps.connections.open` with the
//! app-level token) and receives the same events as over HTTP, wrapped in envelopes that it
//! acknowledges at once. Reconnects when Slack asks (`disconnect`) or the socket drops.
//!
//! Written on tokio-tungstenite rather than slack-morphism's listener: the listener hands
//! out typed events, and re-serializing those loses fields; this loop passes Slack's raw
//! JSON to the same normalization, dedup and dispatch as HTTP.
//!
//! - **Acks never wait on a step, nor on another envelope.** Each envelope is handled in
//!   its own task and acked as soon as it is stored (a modal submission waits for its step
//!   at most 2.5 s, alone); a writer task sends the acks. Envelopes of one conversation are
//!   stored in the order they arrived, so they are applied in that order.
//! - **Reconnects**: at once when Slack asks (`disconnect`, every few hours); after a lost
//!   connection with a back-off that starts again after every good connection; never
//!   sooner than a rate-limited `apps.connections.open` (Tier 1) says (`Retry-After`).
//! - **Notices a dead connection** ([`SocketLiveness`]): a network that drops a connection without
//!   closing it (a NAT or proxy forgetting it, a host gone) leaves a socket that never reads
//!   another frame, and a bot that waits on it forever while Slack holds its events. The bot
//!   pings Slack every few seconds; a connection that has sent nothing at all (no pong, no
//!   envelope) for longer than the silence limit is given up and replaced. A handshake that
//!   gets no answer within the limit fails the same way.
//! - Nagle's algorithm is off: an ack is one small frame that must leave at once.

use crate::engine::locks::KeyLocks;
use crate::engine::options::options_body;
use crate::engine::orchestrator::Orchestrator;
use crate::slack::ingress;
use crate::slack::web_api::SlackWebApi;
use crate::telemetry::Transport;
use futures_util::{SinkExt, StreamExt};
use orchestrator_core::{Incoming, SlackJson};
use serde_json::{json, Value};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::task::TaskTracker;

/// A Socket Mode connection for an orchestrator: what `run` uses when `SLACK_APP_TOKEN` is
/// set.
///
/// ```no_run
/// use orchestrator_runtime::{http::shutdown_signal, Orchestrator, SlackWebApi, SocketMode};
/// use std::sync::Arc;
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let web = SlackWebApi::from_env()?;
/// let orchestrator = Orchestrator::builder().slack(Arc::new(web.clone())).build()?;
/// let app_token = std::env::var("SLACK_APP_TOKEN")?; // xapp-…, with connections:write
/// SocketMode::new(orchestrator, web, &app_token).run(shutdown_signal()).await;
/// # Ok(())
/// # }
/// ```
pub struct SocketMode {
    orchestrator: Orchestrator,
    web: SlackWebApi,
    app_token: String,
    tasks: TaskTracker,
    liveness: SocketLiveness,
}

/// How a [`SocketMode`] connection is kept honest: a WebSocket ping every `ping_every`, and a
/// new connection once the current one has sent nothing (no pong, no frame) for `silence`.
/// Slack answers pings at once, so only a dead connection stays silent that long.
///
/// ```
/// use orchestrator_runtime::SocketLiveness;
/// use std::time::Duration;
/// let liveness = SocketLiveness::default();
/// assert_eq!(liveness.ping_every, Duration::from_secs(5));
/// assert!(liveness.silence > 2 * liveness.ping_every, "a pong lost in transit is not a death");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketLiveness {
    /// How often the bot pings Slack.
    pub ping_every: Duration,
    /// How long a connection may send nothing before the bot replaces it.
    pub silence: Duration,
}

impl Default for SocketLiveness {
    /// A ping every 5 s; a connection silent for 15 s is replaced (Slack's own SDKs ping
    /// every 5 to 10 s).
    fn default() -> Self {
        SocketLiveness {
            ping_every: Duration::from_secs(5),
            silence: Duration::from_secs(15),
        }
    }
}

/// Why a connection ended.
enum Ended {
    /// Slack asked for a new connection (`disconnect`): open one at once.
    Refresh,
    /// The connection dropped after it had worked (`hello` came).
    Dropped,
    /// No connection could be made.
    Failed,
    /// Shutdown was requested.
    Shutdown,
}

/// The first wait before reconnecting after a failure; it doubles up to [`MAX_BACKOFF`]
/// while connecting keeps failing.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl SocketMode {
    /// Socket Mode with the app-level token (`xapp-…`), opening connections through `web`.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, SlackWebApi, SocketMode};
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use std::sync::Arc;
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await; // Slack, for this example
    /// let web = SlackWebApi::new("xoxb-token", Some(&slack.api_url())).unwrap();
    /// let orchestrator = Orchestrator::builder().slack(Arc::new(web.clone())).bot_user("U0BOT").build().unwrap();
    /// let socket = SocketMode::new(orchestrator, web, "xapp-token");
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let running = tokio::spawn(socket.run(async { stopped.await.ok(); }));
    /// for _ in 0..500 {
    ///     if slack.socket_clients() > 0 { break }
    ///     tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    /// }
    /// assert_eq!(slack.socket_clients(), 1, "connected");
    /// assert_eq!(slack.methods(), ["apps.connections.open"], "asked for a WebSocket URL with the app token");
    /// stop.send(()).unwrap();
    /// running.await.unwrap();
    /// # }
    /// ```
    pub fn new(orchestrator: Orchestrator, web: SlackWebApi, app_token: &str) -> Self {
        SocketMode {
            orchestrator,
            web,
            app_token: app_token.to_owned(),
            tasks: TaskTracker::new(),
            liveness: SocketLiveness::default(),
        }
    }

    /// The same connection with other ping and silence limits than [`SocketLiveness::default`].
    ///
    /// ```
    /// # use orchestrator_runtime::{Orchestrator, RecordingSlack, SlackWebApi, SocketMode};
    /// use orchestrator_runtime::SocketLiveness;
    /// use std::time::Duration;
    /// # let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// # let web = SlackWebApi::new("xoxb-token", Some("http://127.0.0.1:9")).unwrap();
    /// let liveness = SocketLiveness { ping_every: Duration::from_secs(10), silence: Duration::from_secs(30) };
    /// let socket = SocketMode::new(orchestrator, web, "xapp-token").with_liveness(liveness);
    /// ```
    pub fn with_liveness(mut self, liveness: SocketLiveness) -> Self {
        self.liveness = liveness;
        self
    }

    /// Runs until `shutdown` completes, reconnecting as needed; then lets running steps finish.
    ///
    /// ```
    /// use orchestrator_runtime::{payloads, Orchestrator, SlackWebApi, SocketMode};
    /// use slack_orchestrator::testkit::FakeSlack;
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-token", Some(&slack.api_url())).unwrap();
    /// let orchestrator = Orchestrator::builder().slack(Arc::new(web.clone())).bot_user("U0BOT").build().unwrap();
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let running = tokio::spawn(SocketMode::new(orchestrator, web, "xapp-token").run(async { stopped.await.ok(); }));
    /// for _ in 0..500 {
    ///     if slack.socket_clients() > 0 { break }
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// let dm = payloads::direct_message("T1", "U1", "hi", "1.1", "Ev1");
    /// slack.socket_send(&serde_json::json!({"envelope_id": "e1", "type": "events_api", "payload": dm}));
    /// for _ in 0..500 {
    ///     if !slack.socket_acks().is_empty() { break }
    ///     tokio::time::sleep(Duration::from_millis(10)).await;
    /// }
    /// stop.send(()).unwrap();
    /// running.await.unwrap(); // returns once shut down
    /// assert_eq!(slack.socket_acks()[0]["envelope_id"], "e1");
    /// # }
    /// ```
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut backoff = FIRST_BACKOFF;
        loop {
            let ended = tokio::select! {
                ended = self.connect_once() => ended,
                () = &mut shutdown => Ended::Shutdown,
            };
            let wait = match ended {
                Ended::Shutdown => break,
                Ended::Refresh => {
                    backoff = FIRST_BACKOFF;
                    continue;
                }
                Ended::Dropped => {
                    backoff = FIRST_BACKOFF;
                    FIRST_BACKOFF
                }
                Ended::Failed => {
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => break,
            }
        }
        self.tasks.close();
        self.tasks.wait().await;
    }

    async fn connect_once(&self) -> Ended {
        let url = match self.web.open_socket(&self.app_token).await {
            Ok(url) => url,
            Err(error) => {
                tracing::error!(%error, "apps.connections.open failed");
                return Ended::Failed;
            }
        };
        let SocketLiveness { ping_every, silence } = self.liveness;
        let connecting = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true);
        let (socket, _) = match tokio::time::timeout(silence, connecting).await {
            Ok(Ok(connected)) => connected,
            Ok(Err(error)) => {
                tracing::error!(%error, "Socket Mode connection failed");
                return Ended::Failed;
            }
            Err(_) => {
                tracing::error!(?silence, "Socket Mode handshake got no answer");
                return Ended::Failed;
            }
        };
        tracing::info!("Socket Mode connected");
        let (mut write, mut read) = socket.split();
        // Acks go out through one writer, in the order they are ready, and so do the pings.
        let (acks, mut outbox) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
            pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let frame = tokio::select! {
                    ack = outbox.recv() => match ack {
                        Some(ack) => Message::text(ack),
                        None => break,
                    },
                    _ = pings.tick() => Message::Ping(Default::default()),
                };
                if write.send(frame).await.is_err() {
                    break;
                }
            }
        });
        // Envelopes of one conversation are stored one after the other, in arrival order.
        let arrival = Arc::new(KeyLocks::default());
        let mut greeted = false;
        let ended = loop {
            let Ok(frame) = tokio::time::timeout(silence, read.next()).await else {
                tracing::warn!(
                    ?silence,
                    "Socket Mode connection silent (no pong, no frame); replacing it"
                );
                break if greeted { Ended::Dropped } else { Ended::Failed };
            };
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_)) | Err(_)) | None if greeted => break Ended::Dropped,
                Some(Ok(Message::Close(_)) | Err(_)) | None => break Ended::Failed,
                Some(Ok(_)) => continue,
            };
            let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(&text) else {
                tracing::warn!("Socket Mode frame is not JSON");
                continue;
            };
            match envelope.kind.as_deref() {
                Some("hello") => {
                    greeted = true;
                    continue;
                }
                Some("disconnect") => break Ended::Refresh,
                _ => {}
            }
            let Some(envelope_id) = envelope.envelope_id.as_deref() else {
                continue;
            };
            let envelope_id = envelope_id.to_owned();
            let event = match contents(&envelope) {
                Ok(SlackJson::Input(event)) => *event,
                Ok(SlackJson::Suggest(asked)) => {
                    // Options go back in the ack, while the user types.
                    let (orchestrator, acks) = (self.orchestrator.clone(), acks.clone());
                    self.tasks.spawn(async move {
                        let options = options_body(&orchestrator.options(*asked).await);
                        let _ = acks.send(json!({ "envelope_id": envelope_id, "payload": options }).to_string());
                    });
                    continue;
                }
                Ok(_) => {
                    let _ = acks.send(json!({ "envelope_id": envelope_id }).to_string());
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, envelope_id, "Socket Mode envelope not understood");
                    let _ = acks.send(json!({ "envelope_id": envelope_id }).to_string());
                    continue;
                }
            };
            let arrived = std::time::Instant::now();
            let turn = arrival.lock(event.context.conversation_key().as_str()).await;
            let (orchestrator, tasks, acks) = (self.orchestrator.clone(), self.tasks.clone(), acks.clone());
            self.tasks.spawn(async move {
                let started = ingress::start(&orchestrator, &tasks, event.into()).await;
                drop(turn);
                let mut ack = json!({ "envelope_id": envelope_id });
                match started {
                    Ok(started) => {
                        if let Some(body) = started.ack_body().await {
                            ack["payload"] = body;
                        }
                        let _ = acks.send(ack.to_string());
                        orchestrator.meters().acked(Transport::Socket, arrived);
                    }
                    // Not stored, so not acked: Slack sends the envelope again.
                    Err(error) => tracing::error!(%error, envelope_id, "could not store an event; not acking it"),
                }
            });
        };
        // On a refresh the old connection stays open a while: its writer ends once the
        // envelopes still being handled have sent their acks, or the socket refuses them. A
        // lost connection takes no more acks (Slack sends their envelopes again), and its
        // writer might wait forever on a peer that no longer reads.
        if !matches!(ended, Ended::Refresh) {
            writer.abort();
        }
        drop(acks);
        ended
    }
}

/// A Socket Mode frame: `hello`, `disconnect`, or an envelope whose payload is read later
/// (as bytes, by the same wire structs as over HTTP).
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    envelope_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    payload: Option<&'a serde_json::value::RawValue>,
}

/// What an envelope holds: `events_api` and `interactive` payloads are the same JSON as
/// over HTTP; a `slash_commands` payload holds the form's fields as a JSON object.
fn contents(envelope: &Envelope<'_>) -> Result<SlackJson, BadEnvelope> {
    let payload = envelope.payload.ok_or(BadEnvelope::NoPayload)?;
    match envelope.kind.as_deref() {
        Some("events_api" | "interactive") => Ok(match SlackJson::from_slice(payload.get().as_bytes())? {
            SlackJson::RateLimited { team, minute } => {
                crate::telemetry::app_rate_limited(&team, minute);
                SlackJson::Nothing
            }
            json => json,
        }),
        Some("slash_commands") => {
            let fields: serde_json::Map<String, Value> =
                serde_json::from_str(payload.get()).map_err(|_| BadEnvelope::CommandNotObject)?;
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (key, value) in &fields {
                if let Some(text) = value.as_str() {
                    form.append_pair(key, text);
                }
            }
            Ok(SlackJson::Input(Box::new(Incoming::from_slash_command(
                &form.finish(),
            )?)))
        }
        _ => Ok(SlackJson::Nothing),
    }
}

/// An envelope whose event cannot be read (logged, and acked: a retry would not be better).
#[derive(Debug, thiserror::Error)]
enum BadEnvelope {
    #[error("envelope without payload")]
    NoPayload,
    #[error("slash command payload is not an object")]
    CommandNotObject,
    #[error(transparent)]
    Payload(#[from] orchestrator_core::NormalizeError),
}
