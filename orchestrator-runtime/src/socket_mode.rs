//! Socket Mode ingress: the bot opens a WebSocket to Slack (`apps.connections.open` with the
//! app-level token) and receives the same events as over HTTP, wrapped in envelopes that it
//! acknowledges at once. Reconnects when Slack asks (`disconnect`) or the socket drops.
//!
//! Written on tokio-tungstenite rather than slack-morphism's listener: the listener hands
//! out typed events, and re-serializing those loses fields; this loop passes Slack's raw
//! JSON to the same normalization, dedup and dispatch as HTTP.

use crate::ingress;
use crate::orchestrator::Orchestrator;
use crate::web_api::SlackWebApi;
use futures_util::{SinkExt, StreamExt};
use orchestrator_core::Incoming;
use serde_json::{json, Value};
use std::future::Future;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::task::TaskTracker;

/// A Socket Mode connection for an orchestrator.
pub struct SocketMode {
    orchestrator: Orchestrator,
    web: SlackWebApi,
    app_token: String,
    tasks: TaskTracker,
}

/// Why a connection ended.
enum Ended {
    /// Slack asked to reconnect, or the socket dropped.
    Reconnect,
    /// Shutdown was requested.
    Shutdown,
}

impl SocketMode {
    /// Socket Mode with the app-level token (`xapp-…`), opening connections through `web`.
    pub fn new(orchestrator: Orchestrator, web: SlackWebApi, app_token: &str) -> Self {
        SocketMode {
            orchestrator,
            web,
            app_token: app_token.to_owned(),
            tasks: TaskTracker::new(),
        }
    }

    /// Runs until `shutdown` completes, reconnecting as needed; then lets running steps finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(500);
        loop {
            let ended = tokio::select! {
                ended = self.connect_once() => ended,
                () = &mut shutdown => Ended::Shutdown,
            };
            match ended {
                Ended::Shutdown => break,
                Ended::Reconnect => {
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = &mut shutdown => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
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
                return Ended::Reconnect;
            }
        };
        let (socket, _) = match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok(connected) => connected,
            Err(error) => {
                tracing::error!(%error, "Socket Mode connection failed");
                return Ended::Reconnect;
            }
        };
        tracing::info!("Socket Mode connected");
        let (mut write, mut read) = socket.split();
        while let Some(frame) = read.next().await {
            let text = match frame {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) | Err(_) => return Ended::Reconnect,
                Ok(_) => continue,
            };
            let Ok(envelope) = serde_json::from_str::<Value>(&text) else {
                tracing::warn!("Socket Mode frame is not JSON");
                continue;
            };
            match envelope.get("type").and_then(Value::as_str) {
                Some("hello") => continue,
                Some("disconnect") => return Ended::Reconnect,
                _ => {}
            }
            let Some(envelope_id) = envelope.get("envelope_id").and_then(Value::as_str) else {
                continue;
            };
            let mut ack = json!({ "envelope_id": envelope_id });
            match incoming(&envelope) {
                Ok(Some(event)) => match ingress::dispatch(&self.orchestrator, &self.tasks, event).await {
                    Ok(Some(inline)) => ack["payload"] = inline,
                    Ok(None) => {}
                    Err(error) => {
                        // Not stored, so not acked: Slack sends the envelope again.
                        tracing::error!(%error, envelope_id, "could not store an event; not acking it");
                        continue;
                    }
                },
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, envelope_id, "Socket Mode envelope not understood"),
            }
            if write.send(Message::text(ack.to_string())).await.is_err() {
                return Ended::Reconnect;
            }
        }
        Ended::Reconnect
    }
}

/// The event inside an envelope: `events_api` and `interactive` payloads are the same JSON
/// as over HTTP; a `slash_commands` payload holds the form's fields as a JSON object.
fn incoming(envelope: &Value) -> Result<Option<Incoming>, String> {
    let payload = envelope.get("payload").ok_or("envelope without payload")?;
    match envelope.get("type").and_then(Value::as_str) {
        Some("events_api" | "interactive") => Incoming::from_json(payload).map_err(|e| e.to_string()),
        Some("slash_commands") => {
            let fields = payload.as_object().ok_or("slash command payload is not an object")?;
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (key, value) in fields {
                if let Some(text) = value.as_str() {
                    form.append_pair(key, text);
                }
            }
            Incoming::from_slash_command(&form.finish())
                .map(Some)
                .map_err(|e| e.to_string())
        }
        _ => Ok(None),
    }
}
