//! The baseline: the onboarding conversation written by hand with axum and slack-morphism
//! only, as a team would write it without the framework (signature check, dedup by
//! `event_id`, per-conversation state in a map, ack first, reply with `chat.postMessage`).
//! It keeps its state in memory and survives nothing: the framework on its memory store is
//! compared with it on the same load, in the same run.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;
use slack_morphism::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

type Client = SlackClient<SlackClientHyperConnector<HttpsConnector<HttpConnector>>>;

enum Step {
    AskName,
    AskHelp(String),
}

struct Bot {
    secret: String,
    client: Client,
    token: SlackApiToken,
    seen: Mutex<HashSet<String>>,
    steps: Mutex<HashMap<String, Step>>,
}

/// Serves the hand-written bot on `listener`, answering through the Web API at `api_url`.
pub(crate) async fn serve(listener: tokio::net::TcpListener, api_url: &str, secret: &str) {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native roots")
        .https_or_http()
        .enable_http1()
        .build();
    let connector =
        SlackClientHyperConnector::with_connector(connector).with_slack_api_url(api_url.trim_end_matches('/'));
    let bot = Arc::new(Bot {
        secret: secret.to_owned(),
        client: SlackClient::new(connector),
        token: SlackApiToken::new(SlackApiTokenValue("xoxb-baseline".into())),
        seen: Mutex::default(),
        steps: Mutex::default(),
    });
    let app = Router::new().route("/slack/events", post(events)).with_state(bot);
    axum::serve(listener, app).await.expect("serve the baseline");
}

async fn events(State(bot): State<Arc<Bot>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    let signed = slack_orchestrator::signature::verify(
        &bot.secret,
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        now,
    );
    if signed.is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let event = &body["event"];
    if event.get("bot_id").is_some() || event["type"] != "message" {
        return StatusCode::OK;
    }
    let id = body["event_id"].as_str().unwrap_or_default().to_owned();
    if !bot.seen.lock().unwrap().insert(id) {
        return StatusCode::OK;
    }
    let channel = event["channel"].as_str().unwrap_or_default().to_owned();
    let text = event["text"].as_str().unwrap_or_default().to_owned();
    tokio::spawn(reply(bot, channel, text));
    StatusCode::OK
}

async fn reply(bot: Arc<Bot>, channel: String, text: String) {
    let answer = {
        let mut steps = bot.steps.lock().unwrap();
        match steps.remove(&channel) {
            None => {
                steps.insert(channel.clone(), Step::AskName);
                "Let's start the workflow. Step 1: What's your name?".to_owned()
            }
            Some(Step::AskName) => {
                let answer = format!("Nice to meet you, {text}! Step 2: What can I help you with?");
                steps.insert(channel.clone(), Step::AskHelp(text));
                answer
            }
            Some(Step::AskHelp(name)) => format!("Thanks, {name}! I'll help you with: {text}"),
        }
    };
    let request = SlackApiChatPostMessageRequest::new(channel.into(), SlackMessageContent::new().with_text(answer));
    if let Err(error) = bot.client.open_session(&bot.token).chat_post_message(&request).await {
        eprintln!("baseline: post failed: {error}");
    }
}
