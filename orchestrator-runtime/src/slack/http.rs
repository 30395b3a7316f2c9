//! HTTP ingress, as Slack's Bolt does it: Events API callbacks, interactivity payloads and
//! slash commands all arrive at `POST /slack/events`; `GET /healthz` answers `ok`.
//!
//! Every request is verified first ([`crate::slack::signature`]): a bad signature or a
//! stale timestamp is a 401 and nothing else happens. A malformed body is a 400 with a short
//! reason, a body over the limit a 413 (both with `X-Slack-No-Retry: 1`: a retry would be
//! refused again), an event no flow uses a 200. The request is acked
//! at once and the event handled in a tracked background task (Slack allows 3 s); the one
//! exception is a `view_submission`, which waits (up to 2.5 s) for its step so that a
//! [`reject`](orchestrator_core::reject) can answer inline with `response_action: errors`.
//! Slack's retries (`X-Slack-Retry-Num`) carry the same `event_id` and are dropped by dedup.

use crate::engine::options::options_body;
use crate::engine::orchestrator::Orchestrator;
use crate::slack::signature;
use crate::telemetry::Transport;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use orchestrator_core::{Incoming, NormalizeError, SlackJson, Suggestion};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

/// The largest body accepted; Slack's payloads are far smaller.
///
/// ```
/// use slack_orchestrator::testkit::{LiveBot, Transport};
/// use orchestrator_runtime::http::BODY_LIMIT;
/// use slack_orchestrator::Orchestrator;
/// # #[tokio::main] async fn main() {
/// let bot = LiveBot::start(Transport::Http, Orchestrator::builder()).await;
/// let huge = serde_json::json!({"type": "event_callback", "padding": "x".repeat(BODY_LIMIT)});
/// let refused = bot.sender().unwrap().event(&huge).await;
/// assert_eq!(refused.status, 413);
/// assert!(refused.no_retry, "X-Slack-No-Retry: 1, as Slack would send it again otherwise");
/// bot.stop().await;
/// # }
/// ```
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The HTTP endpoint of a bot.
///
/// ```
/// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// assert!(HttpIngress::new(orchestrator.clone(), "").is_err(), "no verification, no server");
/// let ingress = HttpIngress::new(orchestrator, "signing-secret").unwrap();
/// let _app: axum::Router = ingress.router();
/// ```
#[derive(Clone)]
pub struct HttpIngress {
    shared: Arc<Shared>,
    /// The signals endpoint's bearer token, if it is served.
    signal_token: Option<String>,
}

struct Shared {
    orchestrator: Orchestrator,
    secret: String,
    tasks: TaskTracker,
}

/// The ingress cannot start.
///
/// ```
/// use orchestrator_runtime::{http::NoSigningSecret, HttpIngress, Orchestrator, RecordingSlack};
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// assert_eq!(HttpIngress::new(orchestrator, "  ").err(), Some(NoSigningSecret));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SLACK_SIGNING_SECRET is empty: the HTTP endpoint refuses to run without request verification")]
pub struct NoSigningSecret;

impl HttpIngress {
    /// An ingress verifying requests with `signing_secret`; an empty secret is refused.
    ///
    /// ```
    /// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// assert!(HttpIngress::new(orchestrator.clone(), "").is_err(), "no verification, no server");
    /// assert!(HttpIngress::new(orchestrator, "8f742231b10e8888abcd99yyyzzz85a5").is_ok());
    /// ```
    pub fn new(orchestrator: Orchestrator, signing_secret: &str) -> Result<Self, NoSigningSecret> {
        if signing_secret.trim().is_empty() {
            return Err(NoSigningSecret);
        }
        let shared = Shared {
            orchestrator,
            secret: signing_secret.to_owned(),
            tasks: TaskTracker::new(),
        };
        Ok(HttpIngress {
            shared: Arc::new(shared),
            signal_token: None,
        })
    }

    /// Serves the signals endpoint too (`POST /signals/{flow_id}/{name}`, see
    /// [`webhooks`](crate::webhooks)), for requests bearing `token`.
    ///
    /// ```
    /// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let ingress = HttpIngress::new(orchestrator, "signing-secret").unwrap().with_signals("a-long-random-token");
    /// # drop(ingress);
    /// ```
    pub fn with_signals(self, token: &str) -> Self {
        HttpIngress {
            signal_token: Some(token.to_owned()),
            ..self
        }
    }

    /// The routes, to serve or to nest in a larger axum app.
    ///
    /// ```
    /// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let ingress = HttpIngress::new(orchestrator, "signing-secret").unwrap();
    /// // Inside a larger app, beside its own routes: POST /slack/events, /metrics, /healthz, /readyz.
    /// let app = axum::Router::new()
    ///     .route("/", axum::routing::get(|| async { "my service" }))
    ///     .merge(ingress.router());
    /// # drop(app);
    /// ```
    pub fn router(&self) -> Router {
        let routes = Router::new()
            .route("/slack/events", post(slack_events))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(self.shared.clone())
            .merge(crate::ops::router(self.shared.orchestrator.clone()));
        match &self.signal_token {
            Some(token) => routes.merge(crate::webhooks::router(self.shared.orchestrator.clone(), token)),
            None => routes,
        }
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, lets the
    /// running steps finish, and returns.
    ///
    /// ```
    /// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let server = tokio::spawn(HttpIngress::new(orchestrator, "s").unwrap().serve(listener, async { stopped.await.ok(); }));
    /// let sender = slack_orchestrator::testkit::SignedSender::new(&format!("http://{addr}"), "s");
    /// let check = serde_json::json!({"type": "url_verification", "challenge": "c1"});
    /// assert_eq!(sender.event(&check).await.json()["challenge"], "c1");
    /// stop.send(()).unwrap(); // stops accepting, lets running steps finish
    /// server.await.unwrap().unwrap();
    /// # }
    /// ```
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await?;
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
        Ok(())
    }
}

/// Completes on ctrl-c or SIGTERM: the signal for a graceful stop (the ingress stops
/// accepting, running steps finish).
///
/// ```no_run
/// use orchestrator_runtime::http::shutdown_signal;
/// use orchestrator_runtime::{HttpIngress, Orchestrator, RecordingSlack};
/// # #[tokio::main]
/// # async fn main() -> std::io::Result<()> {
/// # let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let ingress = HttpIngress::new(orchestrator, "signing-secret").unwrap();
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
/// ingress.serve(listener, shutdown_signal()).await
/// # }
/// ```
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

fn refuse(status: StatusCode, reason: impl Into<String>) -> Response {
    (status, Json(json!({"ok": false, "error": reason.into()}))).into_response()
}

/// A refusal that Slack must not retry: the same body would be refused again. Slack retries
/// any non-2xx answer three times (at once, after a minute, after five) unless it carries
/// `X-Slack-No-Retry: 1`, and counts each failure against the app's event subscription.
fn refuse_for_good(status: StatusCode, reason: impl std::fmt::Display) -> Response {
    tracing::warn!(%status, %reason, "refused a request Slack will not send again");
    let mut response = refuse(status, reason.to_string());
    response
        .headers_mut()
        .insert("x-slack-no-retry", axum::http::HeaderValue::from_static("1"));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn slack_events(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let arrived = std::time::Instant::now();
    let body = match body {
        Ok(body) => body,
        // Over BODY_LIMIT (413), or cut short.
        Err(rejection) => return refuse_for_good(rejection.status(), rejection.body_text()),
    };
    let response = slack_event(&shared, &headers, &body).await;
    shared.orchestrator.meters().acked(Transport::Http, arrived);
    response
}

async fn slack_event(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Response {
    let now = chrono::Utc::now().timestamp();
    let timestamp = header_str(headers, "x-slack-request-timestamp");
    let signature = header_str(headers, "x-slack-signature");
    if let Err(error) = signature::verify(&shared.secret, timestamp, signature, body, now) {
        tracing::warn!(%error, "refused a request");
        return refuse(StatusCode::UNAUTHORIZED, error.to_string());
    }
    if let Some(retry) = header_str(headers, "x-slack-retry-num") {
        let reason = header_str(headers, "x-slack-retry-reason").unwrap_or("-");
        tracing::debug!(retry, reason, "Slack retry");
    }
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    match parse(content_type, body) {
        Err(reason) => refuse_for_good(StatusCode::BAD_REQUEST, reason),
        Ok(Parsed::Answer(response)) => response,
        Ok(Parsed::Event(incoming)) => dispatch(shared, Arc::from(incoming)).await,
        Ok(Parsed::Suggest(asked)) => Json(options_body(&shared.orchestrator.options(*asked).await)).into_response(),
    }
}

/// Why a request's body is refused with a 400.
#[derive(Debug, thiserror::Error)]
enum BadRequest {
    #[error("body is not UTF-8")]
    NotUtf8,
    #[error("unsupported content type `{0}`")]
    ContentType(String),
    #[error(transparent)]
    Payload(#[from] NormalizeError),
    #[error("form body is neither an interaction (`payload=`) nor a slash command (`command=`)")]
    UnknownForm,
}

fn parse(content_type: &str, body: &[u8]) -> Result<Parsed, BadRequest> {
    if content_type.starts_with("application/json") {
        Ok(from_json(body)?)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        from_form(std::str::from_utf8(body).map_err(|_| BadRequest::NotUtf8)?)
    } else {
        Err(BadRequest::ContentType(content_type.to_owned()))
    }
}

enum Parsed {
    /// Answered without the orchestrator (url_verification, ssl_check, app_rate_limited,
    /// unknown events).
    Answer(Response),
    Event(Box<Incoming>),
    /// An external select's options, answered at once.
    Suggest(Box<Suggestion>),
}

fn from_json(body: &[u8]) -> Result<Parsed, NormalizeError> {
    Ok(parsed(SlackJson::from_slice(body)?))
}

fn parsed(json: SlackJson) -> Parsed {
    match json {
        SlackJson::Challenge(challenge) => Parsed::Answer(Json(json!({ "challenge": challenge })).into_response()),
        SlackJson::Input(incoming) => Parsed::Event(incoming),
        SlackJson::Suggest(asked) => Parsed::Suggest(asked),
        SlackJson::Nothing => Parsed::Answer(StatusCode::OK.into_response()),
        SlackJson::RateLimited { team, minute } => {
            crate::telemetry::app_rate_limited(&team, minute);
            Parsed::Answer(StatusCode::OK.into_response())
        }
    }
}

fn from_form(text: &str) -> Result<Parsed, BadRequest> {
    let has = |key: &str| form_urlencoded::parse(text.as_bytes()).any(|(k, _)| k == key);
    if has("ssl_check") {
        return Ok(Parsed::Answer(StatusCode::OK.into_response()));
    }
    if has("payload") {
        return Ok(parsed(SlackJson::from_interaction_form(text)?));
    }
    if has("command") {
        return Ok(Parsed::Event(Box::new(Incoming::from_slash_command(text)?)));
    }
    Err(BadRequest::UnknownForm)
}

async fn dispatch(shared: &Arc<Shared>, incoming: Arc<Incoming>) -> Response {
    match crate::slack::ingress::dispatch(&shared.orchestrator, &shared.tasks, incoming).await {
        Ok(Some(inline)) => Json(inline).into_response(),
        Ok(None) => StatusCode::OK.into_response(),
        Err(error) => {
            // Not stored, so not acked: Slack delivers it again.
            tracing::error!(%error, "could not store an event; asking Slack to retry");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the bot could not store the event; retry",
            )
        }
    }
}
