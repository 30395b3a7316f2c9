//! `POST /signals/{flow_id}/{name}`: a signal ([`Orchestrator::signal`]) sent over HTTP by a
//! system outside Slack (a CI job, a ticket tracker), authenticated with a bearer token.
//! The body is the signal's data (JSON; empty is `null`); an `Idempotency-Key` header is
//! its id, so a webhook its sender retries is applied once. Answers JSON:
//!
//! | status | `error` / `outcome` | when |
//! | --- | --- | --- |
//! | 200 | `outcome: advanced` (with the flow's `state`) or `duplicate` | applied, or had been |
//! | 400 | `invalid_json` | the body is not JSON |
//! | 401 | `invalid_token` | no `Authorization: Bearer TOKEN`, or another token |
//! | 404 | `flow_not_found` | no such flow |
//! | 409 | `flow_ended` | the flow has ended: nothing waits for the signal |
//! | 422 | `not_waiting_for_signals` | the flow's current step takes no signal now |
//! | 503 | `try_again` | the store or Slack failed: retry with the same key (a signal stored before the failure is applied once, by the bot's recovery) |

use crate::engine::outcome::{OrchestratorError, Outcome};
use crate::Orchestrator;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use orchestrator_core::{Signal, StoreError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// The largest body a signal may carry.
const BODY_LIMIT: usize = 64 * 1024;

struct Webhooks {
    orchestrator: Orchestrator,
    /// The token's SHA-256: a request's token is compared by digest, so the time a
    /// comparison takes says nothing about the token (no crate for one comparison).
    token: [u8; 32],
}

/// The signals endpoint, answering requests that bear `token`: merge it into the bot's HTTP
/// server (the bot binary does, when `ORCHESTRATOR_SIGNAL_TOKEN` is set).
///
/// ```
/// use orchestrator_runtime::{webhooks, Orchestrator, RecordingSlack};
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// // CI then sends: curl -X POST -H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: run-42" \
/// //   -d '{"ok": true}' https://bot.example.com/signals/FLOW_ID/deployed
/// let app = axum::Router::new().merge(webhooks::router(orchestrator, "a-long-random-token"));
/// # drop(app);
/// ```
pub fn router(orchestrator: Orchestrator, token: &str) -> Router {
    let webhooks = Webhooks {
        orchestrator,
        token: Sha256::digest(token.as_bytes()).into(),
    };
    Router::new()
        .route("/signals/{flow_id}/{name}", post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Arc::new(webhooks))
}

fn refuse(status: StatusCode, error: &str, detail: impl Into<String>) -> Response {
    let body = json!({"ok": false, "error": error, "detail": detail.into()});
    (status, Json(body)).into_response()
}

async fn receive(
    State(webhooks): State<Arc<Webhooks>>,
    Path((flow_id, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorized = bearer.is_some_and(|token| Sha256::digest(token.trim().as_bytes())[..] == webhooks.token[..]);
    if !authorized {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "send Authorization: Bearer with ORCHESTRATOR_SIGNAL_TOKEN",
        );
    }
    let Ok(flow_id) = flow_id.parse::<Uuid>() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "flow_not_found",
            format!("{flow_id} is not a flow id"),
        );
    };
    let data = match body.iter().all(u8::is_ascii_whitespace) {
        true => Ok(Value::Null),
        false => serde_json::from_slice(&body),
    };
    let data = match data {
        Ok(data) => data,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, "invalid_json", error.to_string()),
    };
    let mut signal = Signal::new(name, data);
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        signal = signal.with_id(key.trim());
    }
    let id = signal.id.clone();
    match webhooks.orchestrator.signal(flow_id, signal).await {
        Ok(Outcome::Duplicate) => Json(json!({"ok": true, "outcome": "duplicate", "id": id})).into_response(),
        Ok(Outcome::Ended { .. }) => refuse(StatusCode::CONFLICT, "flow_ended", format!("flow {flow_id} has ended")),
        Ok(Outcome::Unhandled { .. }) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_waiting_for_signals",
            format!("the current step of flow {flow_id} takes no signal"),
        ),
        Ok(outcome) => {
            let state = outcome.state().map(|s| s.as_str());
            Json(json!({"ok": true, "outcome": "advanced", "state": state, "id": id})).into_response()
        }
        Err(OrchestratorError::Store(StoreError::NotFound(_))) => {
            refuse(StatusCode::NOT_FOUND, "flow_not_found", format!("no flow {flow_id}"))
        }
        Err(error) => {
            tracing::warn!(%flow_id, %error, "a signal could not be applied now; its sender is told to try again");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "try_again", error.to_string())
        }
    }
}
