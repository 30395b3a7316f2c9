//! Socket Mode against Slack's faults: a slow step never delays the acks of other
//! envelopes on the same connection, envelopes of one conversation sent back to back are
//! applied in order, Slack's routine `disconnect` refreshes reconnect at once, however
//! many come, and a connection that died without closing is found by its silence and
//! replaced, while a quiet one that answers pings is kept.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod onboarding_example;

use onboarding_example::Onboarding;
use serde_json::{json, Value};
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, LiveBot, Transport, TEAM};
use slack_orchestrator::{Orchestrator, SocketLiveness};
use std::time::Duration;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(10);

/// A modal whose submission takes 2 s to handle (a slow API behind it).
#[slack_orchestrator::flow(trigger = command("/slow"))]
mod slow {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Slow {
        #[start]
        Open,
        Form,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Slow> {
        let field = blocks::text_input("what", "what", "What");
        cx.open_modal(blocks::modal("slow", "Slow", "Send", vec![field]))
            .await?;
        goto(Slow::Form)
    }

    #[step(Form)]
    async fn submitted(_cx: &mut Cx, _form: Submission) -> Next<Slow> {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        complete("Done, slowly.")
    }
}

/// Sends an envelope without waiting for its ack; returns its id.
fn send(slack: &FakeSlack, kind: &str, payload: Value) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let envelope = json!({"envelope_id": id, "type": kind, "payload": payload, "retry_attempt": 0,
                          "accepts_response_payload": kind != "events_api"});
    assert_eq!(slack.socket_send(&envelope), 1, "the bot is connected");
    id
}

/// Waits for the ack of envelope `id`; returns how long after `since` it came.
async fn acked(slack: &FakeSlack, id: &str, since: Instant) -> Duration {
    while Instant::now() - since < WAIT {
        if slack.socket_acks().iter().any(|a| a["envelope_id"] == id) {
            return since.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("envelope {id} was never acked")
}

/// Waits until an envelope sent now is acked (on the new connection, once it is up).
async fn served(slack: &FakeSlack, n: usize) {
    let since = Instant::now();
    for attempt in 0.. {
        assert!(since.elapsed() < WAIT, "no connection served an envelope");
        let id = uuid::Uuid::new_v4().to_string();
        let envelope = json!({"envelope_id": id, "type": "events_api", "retry_attempt": attempt,
                              "payload": dm("U_AFTER", "hi", n)});
        if slack.socket_send(&envelope) > 0 {
            let sent = Instant::now();
            while sent.elapsed() < Duration::from_millis(200) {
                if slack.socket_acks().iter().any(|a| a["envelope_id"] == id) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn dm(user: &str, text: &str, n: usize) -> Value {
    payloads::direct_message(
        TEAM,
        user,
        text,
        &format!("1800000000.{n:06}"),
        &format!("EvSock{user}{n}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_step_never_delays_the_acks_of_other_envelopes() {
    let bot = LiveBot::start(
        Transport::Socket,
        Orchestrator::builder().flow::<slow::Slow>().flow::<Onboarding>(),
    )
    .await;
    let slack = bot.slack();
    let form = payloads::slash_command(TEAM, "U_SLOW", "C_GENERAL", "/slow", "", "1.1.trigger");
    bot.command(&form).await;
    let opened = slack.wait_for("views.open", 1, WAIT).await;
    let view = opened[0]["view"].clone();
    let view_id = slack.calls().iter().find(|c| c.method == "views.open").unwrap().reply["view"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let block = view["blocks"][0]["block_id"].as_str().unwrap().to_owned();
    let submission = payloads::view_submission(TEAM, "U_SLOW", &view, &view_id, &[(&block, "what", "x")], "1.2.t");

    // The slow submission first, then other users' messages on the same connection.
    let started = Instant::now();
    let slow = send(slack, "interactive", submission);
    let others: Vec<String> = (0..5)
        .map(|n| send(slack, "events_api", dm(&format!("U_OTHER{n}"), "hi", n)))
        .collect();
    for other in &others {
        let after = acked(slack, other, started).await;
        assert!(
            after < Duration::from_millis(1000),
            "another user's envelope was acked {after:?} after being sent, behind a slow step"
        );
    }
    let slow_ack = acked(slack, &slow, started).await;
    assert!(
        slow_ack < Duration::from_secs(3),
        "the slow submission itself is acked within Slack's 3 s ({slow_ack:?})"
    );
    let posted = slack.wait_for("chat.postMessage", 6, WAIT).await;
    let answered = posted
        .iter()
        .filter(|m| m["channel"].as_str().is_some_and(|c| c.starts_with("DU_OTHER")))
        .count();
    assert_eq!(answered, 5, "the other users were answered too: {posted:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelopes_of_one_conversation_sent_back_to_back_are_applied_in_order() {
    let bot = LiveBot::start(Transport::Socket, Orchestrator::builder().flow::<Onboarding>()).await;
    let slack = bot.slack();
    let started = Instant::now();
    let ids: Vec<String> = ["hi", "Alice", "a bot"]
        .iter()
        .enumerate()
        .map(|(n, text)| send(slack, "events_api", dm("U_FAST", text, n)))
        .collect();
    for id in &ids {
        acked(slack, id, started).await;
    }
    let posted = slack.wait_for("chat.postMessage", 3, WAIT).await;
    let texts: Vec<&str> = posted.iter().map(|m| m["text"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        texts,
        [
            "Let's start the workflow. Step 1: What's your name?",
            "Nice to meet you, Alice! Step 2: What can I help you with?",
            "Thanks, Alice! I'll help you with: a bot",
        ]
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routine_disconnects_reconnect_at_once_every_time() {
    let bot = LiveBot::start(Transport::Socket, Orchestrator::builder().flow::<Onboarding>()).await;
    let slack = bot.slack();
    let started = Instant::now();
    for refresh in 1..=5 {
        slack.socket_send(&json!({"type": "disconnect", "reason": "refresh_requested"}));
        slack.wait_for("apps.connections.open", refresh + 1, WAIT).await;
        served(slack, refresh).await;
    }
    // With a back-off that kept growing, the fifth would wait 8 s (0.5 + 1 + 2 + 4 + 8 in all).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "five refreshes took {:?}: each must reconnect at once",
        started.elapsed()
    );
    bot.stop().await;
}

/// Short limits, so that a dead connection is found within a test's patience (with room
/// for a loaded CI machine: ten pings per silence limit).
const QUICK: SocketLiveness = SocketLiveness {
    ping_every: Duration::from_millis(100),
    silence: Duration::from_secs(1),
};

fn connections_opened(slack: &FakeSlack) -> usize {
    slack.methods().iter().filter(|m| *m == "apps.connections.open").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_died_without_closing_is_replaced_and_events_flow_again() {
    let bot = LiveBot::start_socket_mode(Orchestrator::builder().flow::<Onboarding>(), QUICK).await;
    let slack = bot.slack();
    served(slack, 0).await;
    // The network drops the connection without a close: no envelope, no pong, no error.
    slack.socket_go_silent();
    slack.wait_for("apps.connections.open", 2, WAIT).await;
    served(slack, 1).await;
    let posted = slack.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted[1]["text"], "Nice to meet you, hi! Step 2: What can I help you with?",
        "the user's message sent after the reconnection continues their conversation"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_connection_that_answers_pings_is_kept() {
    let bot = LiveBot::start_socket_mode(Orchestrator::builder().flow::<Onboarding>(), QUICK).await;
    let slack = bot.slack();
    // Two and a half silence limits without an envelope: only the pongs speak.
    tokio::time::sleep(QUICK.silence * 5 / 2).await;
    assert_eq!(connections_opened(slack), 1, "a healthy quiet connection was replaced");
    served(slack, 0).await;
    assert_eq!(connections_opened(slack), 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_reconnection_waits_as_long_as_slack_asks() {
    let bot = LiveBot::start(Transport::Socket, Orchestrator::builder().flow::<Onboarding>()).await;
    let slack = bot.slack();
    // `apps.connections.open` is a Tier 1 method: Slack may ask for a pause before the next.
    slack.rate_limit_next("apps.connections.open", 1, 2);
    let asked = Instant::now();
    slack.socket_send(&json!({"type": "disconnect", "reason": "refresh_requested"}));
    slack.wait_for("apps.connections.open", 2, WAIT).await;
    served(slack, 0).await;
    let mut opened = slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "apps.connections.open");
    let reopened = opened.next_back().expect("the connection was opened again").at;
    assert!(
        reopened - asked >= Duration::from_secs(2),
        "asked again {:?} after a refresh whose first try got a 429 saying Retry-After: 2",
        reopened - asked
    );
    bot.stop().await;
}
