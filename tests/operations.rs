//! What an operator relies on: `/metrics` (Prometheus text) after a real conversation over
//! signed HTTP, `/healthz`, `/readyz` (and why it is not ready), and the `check` command of
//! a bot binary: one line per item, a non-zero exit and no stack trace when something is
//! missing or wrong; and log lines without terminal colors when they go to a file.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod example;

mod processes;

use example::Onboarding;
use slack_orchestrator::ops;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, LiveBot, SignedSender, Transport, SIGNING_SECRET, TEAM};
use slack_orchestrator::{Orchestrator, RecordingSlack};
use std::time::Duration;

/// Serves the operations routes of `orchestrator` on a loopback port; returns its URL.
async fn serve_ops(orchestrator: Orchestrator) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, ops::router(orchestrator)).await });
    url
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_flows_steps_acks_slack_calls_and_store_operations() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    for (n, text) in ["hi", "Ops", "a dashboard"].into_iter().enumerate() {
        let event = payloads::direct_message(
            TEAM,
            "U_OPS",
            text,
            &format!("1900000000.00000{n}"),
            &format!("EvOps{n}"),
        );
        bot.event(&event).await;
        bot.slack()
            .wait_for("chat.postMessage", n + 1, Duration::from_secs(10))
            .await;
    }
    let url = serve_ops(bot.orchestrator().clone()).await;
    let (status, text) = get(&format!("{url}/metrics")).await;
    assert_eq!(status, 200);
    for expected in [
        "slack_orchestrator_flows_started_total{flow=\"onboarding\"}",
        "slack_orchestrator_flows_ended_total{flow=\"onboarding\",state=\"completed\"}",
        "slack_orchestrator_flows_active{flow=\"onboarding\"}",
        "slack_orchestrator_step_seconds_bucket{flow=\"onboarding\"",
        "slack_orchestrator_ack_seconds_count{transport=\"http\"}",
        "slack_orchestrator_slack_calls_total{method=\"chat.postMessage\"}",
        "slack_orchestrator_store_seconds_count{op=\"commit\"}",
        "slack_orchestrator_store_seconds_count{op=\"receive\"}",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let (status, body) = get(&format!("{url}/healthz")).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    let (status, body) = get(&format!("{url}/readyz")).await;
    assert_eq!((status, body.as_str()), (200, "ready"));
    bot.stop().await;
}

#[tokio::test]
async fn a_failed_slack_call_is_counted_by_method_and_error() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    bot.slack().fail_next("chat.postMessage", "channel_not_found");
    bot.event(&payloads::direct_message(
        TEAM,
        "U_ERR",
        "hi",
        "1900000001.000001",
        "EvOpsErr",
    ))
    .await;
    let url = serve_ops(bot.orchestrator().clone()).await;
    let mut text = String::new();
    for _ in 0..200 {
        text = get(&format!("{url}/metrics")).await.1;
        if text.contains("channel_not_found") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        text.contains("slack_orchestrator_slack_errors_total{method=\"chat.postMessage\",error=\"channel_not_found\"}"),
        "{text}"
    );
    bot.stop().await;
}

#[tokio::test]
async fn slacks_app_rate_limited_is_acked_and_counted() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    // As Slack sends it to the Request URL: no `event`, no `event_id`.
    let limited = serde_json::json!({"token": "x", "type": "app_rate_limited", "team_id": TEAM,
                                     "minute_rate_limited": 1518467820, "api_app_id": "A1"});
    let sent = bot.sender().expect("an HTTP bot").event(&limited).await;
    assert_eq!(
        sent.status, 200,
        "acked, or Slack would count a failure against the app"
    );
    let url = serve_ops(bot.orchestrator().clone()).await;
    let (_, text) = get(&format!("{url}/metrics")).await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("slack_orchestrator_app_rate_limited_total ") && !l.ends_with(" 0")),
        "{text}"
    );
    let flows = bot.orchestrator().store().list(false, 10).await.unwrap();
    assert!(flows.is_empty(), "no flow starts: {flows:?}");
    bot.stop().await;
}

#[tokio::test]
async fn readyz_says_why_the_bot_is_not_ready() {
    let unknown = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    let url = serve_ops(unknown).await;
    let (status, body) = get(&format!("{url}/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body, "the bot's Slack identity is unknown (auth.test has not answered)");
    assert_eq!(get(&format!("{url}/healthz")).await.0, 200, "alive all the same");
}

/// Runs `onboarding check` with `env` (and nothing else of the Slack kind).
async fn check(env: &[(&str, &str)]) -> (bool, String) {
    let mut command = std::process::Command::new(processes::example("onboarding"));
    command.arg("check");
    for name in [
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_API_URL",
        "ORCHESTRATOR_STORE",
        "ORCHESTRATOR_SIGNAL_TOKEN",
        "METRICS_ADDR",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).env("RUST_BACKTRACE", "1");
    processes::run_command(command).await
}

/// A deployed bot's log goes to a file, a pipe or journald: plain lines, no terminal colors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_whose_stderr_is_not_a_terminal_logs_without_color_codes() {
    let slack = FakeSlack::start().await;
    slack.rate_limit_next("chat.postMessage", 1, 1);
    let posts = processes::Posts::follow(&slack);
    let bot = processes::Bot::start("onboarding", &slack).await;
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    let hello = payloads::direct_message(TEAM, "U1", "hi", "1800000000.000100", "EvLog1");
    processes::deliver_until_acked(&sender, &hello).await;
    posts.wait("DU1", 1).await;

    let log = bot.log();
    assert!(
        log.contains("rate limited by Slack"),
        "the 429 is logged as a warning:\n{log}"
    );
    assert!(!log.contains('\x1b'), "no ANSI escape codes in a log file:\n{log:?}");
}

#[tokio::test]
async fn check_says_each_item_and_fails_without_a_trace_when_one_is_wrong() {
    let slack = FakeSlack::start().await;
    let api = slack.api_url();
    let (ok, text) = check(&[
        ("SLACK_BOT_TOKEN", "xoxb-test-token"),
        ("SLACK_SIGNING_SECRET", "s3cret"),
        ("SLACK_API_URL", &api),
        ("ORCHESTRATOR_STORE", "memory:"),
        ("ORCHESTRATOR_SIGNAL_TOKEN", "a-long-random-ci-token"),
    ])
    .await;
    assert!(ok, "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("ok    ")).count(), 5, "{text}");
    assert!(text.contains("ok    auth.test: the bot is <@"), "{text}");
    assert!(
        text.contains("ok    ORCHESTRATOR_SIGNAL_TOKEN: set: POST /signals/FLOW_ID/NAME is served"),
        "{text}"
    );
    // Socket Mode has no server of its own: the endpoint needs METRICS_ADDR.
    let socket = [
        ("SLACK_BOT_TOKEN", "xoxb-test-token"),
        ("SLACK_APP_TOKEN", "xapp-test-token"),
        ("SLACK_API_URL", &api),
        ("ORCHESTRATOR_STORE", "memory:"),
        ("ORCHESTRATOR_SIGNAL_TOKEN", "a-long-random-ci-token"),
    ];
    let (ok, text) = check(&socket).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  ORCHESTRATOR_SIGNAL_TOKEN: set, but Socket Mode serves POST /signals on METRICS_ADDR"),
        "{text}"
    );
    let (ok, text) = check(&[socket.as_slice(), &[("METRICS_ADDR", "127.0.0.1:0")]].concat()).await;
    assert!(ok, "{text}");

    let (ok, text) = check(&[
        ("SLACK_BOT_TOKEN", "xapp-wrong-kind"),
        ("SLACK_API_URL", "http://127.0.0.1:9/api"),
        ("ORCHESTRATOR_STORE", "mysql://nope"),
        ("ORCHESTRATOR_SIGNAL_TOKEN", "guessable"),
    ])
    .await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  ORCHESTRATOR_SIGNAL_TOKEN: ORCHESTRATOR_SIGNAL_TOKEN has 9 characters: use at least 16"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  SLACK_BOT_TOKEN: does not look like a bot token (it starts with `xoxb-`)"),
        "{text}"
    );
    assert!(text.contains("FAIL  SLACK_SIGNING_SECRET: not set"), "{text}");
    assert!(text.contains("FAIL  auth.test:"), "{text}");
    assert!(text.contains("FAIL  store:"), "{text}");
    assert!(text.contains("error: 5 check(s) failed"), "{text}");
    assert!(
        !text.contains("panicked") && !text.contains("stack backtrace"),
        "{text}"
    );
}

/// Socket Mode's liveness check is tuned from the environment; a value that cannot work is
/// named by `check`, and `run` refuses it in one line before it connects.
#[tokio::test]
async fn socket_mode_liveness_from_the_environment_is_checked_before_the_bot_connects() {
    let slack = FakeSlack::start().await;
    let api = slack.api_url();
    let socket = [
        ("SLACK_BOT_TOKEN", "xoxb-test-token"),
        ("SLACK_APP_TOKEN", "xapp-test-token"),
        ("SLACK_API_URL", api.as_str()),
        ("ORCHESTRATOR_STORE", "memory:"),
    ];
    let (ok, text) = check(
        &[
            &socket[..],
            &[("SOCKET_PING_SECS", "2"), ("SOCKET_SILENCE_SECS", "7.5")],
        ]
        .concat(),
    )
    .await;
    assert!(ok, "{text}");
    assert!(
        text.contains("ok    Socket Mode liveness: a ping every 2s; a connection silent for 7.5s is replaced"),
        "{text}"
    );

    let (ok, text) = check(&[&socket[..], &[("SOCKET_SILENCE_SECS", "15 seconds")]].concat()).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("FAIL  Socket Mode liveness: SOCKET_SILENCE_SECS=\"15 seconds\" is not a number of seconds"),
        "{text}"
    );

    let called = slack.calls().len();
    let mut command = std::process::Command::new(processes::example("onboarding"));
    command
        .env_remove("SLACK_SIGNING_SECRET")
        .env_remove("SOCKET_SILENCE_SECS");
    command
        .envs(socket)
        .env("SOCKET_PING_SECS", "30")
        .env("RUST_BACKTRACE", "1");
    let (ok, text) = processes::run_command(command).await;
    assert!(!ok, "{text}");
    assert!(text.contains("must be longer than SOCKET_PING_SECS"), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "one line, no trace:\n{text}");
    assert_eq!(slack.calls().len(), called, "refused before it called Slack");
}

/// An operator cancels a stuck conversation with `flows cancel`, in a process of its own
/// beside the running bot, on the same store: the flow ends, its user is told through
/// Slack, and the bot goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_cancel_beside_the_running_bot_ends_the_flow_and_tells_its_user() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let bot = processes::Bot::start("onboarding", &slack).await;
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    let hello = payloads::direct_message(TEAM, "U1", "hi", "1800000000.000100", "EvCancel1");
    processes::deliver_until_acked(&sender, &hello).await;
    posts.wait("DU1", 1).await;
    bot.wait_in_state("WAITING_FOR_RESPONSE", 1).await;
    let later = payloads::direct_message(TEAM, "U3", "hi", "1800000000.000150", "EvCancelOther");
    processes::deliver_until_acked(&sender, &later).await;
    posts.wait("DU3", 1).await;
    bot.wait_in_state("WAITING_FOR_RESPONSE", 2).await;
    // The operator finds the flow of the user who asked for help, under newer flows.
    let (ok, listed) = processes::run_command(bot.command(&["flows", "list", "--user", "U1", "--limit", "1"])).await;
    assert!(ok, "{listed}");
    let lines: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(lines.len(), 1, "{listed}");
    assert!(
        lines[0].contains("WAITING_FOR_RESPONSE") && lines[0].contains("U1"),
        "{listed}"
    );
    let id = lines[0].split_whitespace().next().expect("the flow's id").to_owned();
    let (ok, nobody) = processes::run_command(bot.command(&["flows", "list", "--user", "U2"])).await;
    assert!(ok && nobody.lines().count() == 1, "only the header: {nobody}");

    let mut cancel = bot.command(&["flows", "cancel", &id, "--reason", "stuck"]);
    cancel
        .env("SLACK_BOT_TOKEN", "xoxb-operator")
        .env("SLACK_API_URL", slack.api_url());
    let (ok, text) = processes::run_command(cancel).await;
    assert!(ok, "{text}");
    assert!(text.contains(&format!("cancelled {id}; the user was told")), "{text}");
    posts.wait("DU1", 2).await;
    assert_eq!(posts.in_channel("DU1")[1], "Cancelled.", "the bot's cancelled notice");
    bot.wait_in_state("ERROR", 1).await;

    let (ok, text) = processes::run_command(bot.command(&["flows", "cancel", &id])).await;
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("error: flow {id} had already ended")), "{text}");

    // The bot goes on: the user's next message starts a new conversation.
    let again = payloads::direct_message(TEAM, "U1", "hi again", "1800000000.000200", "EvCancel2");
    processes::deliver_until_acked(&sender, &again).await;
    posts.wait("DU1", 3).await;
    assert_eq!(
        posts.in_channel("DU1")[2],
        "Let's start the workflow. Step 1: What's your name?"
    );
}

/// Without SLACK_BOT_TOKEN (or with `--silent`), `flows cancel` still cancels, and says
/// that the user was not told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_cancel_without_a_token_cancels_and_says_the_user_was_not_told() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let bot = processes::Bot::start("onboarding", &slack).await;
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    for (user, event) in [("U1", "EvQuiet1"), ("U2", "EvQuiet2")] {
        let hello = payloads::direct_message(TEAM, user, "hi", "1800000000.000100", event);
        processes::deliver_until_acked(&sender, &hello).await;
    }
    bot.wait_in_state("WAITING_FOR_RESPONSE", 2).await;
    let ids: Vec<String> = bot
        .list_flows()
        .lines()
        .filter(|l| l.contains("WAITING_FOR_RESPONSE"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();

    let (ok, text) = processes::run_command(bot.command(&["flows", "cancel", &ids[0]])).await;
    assert!(ok, "{text}");
    assert!(
        text.contains("the user was not told (SLACK_BOT_TOKEN is not set)"),
        "{text}"
    );
    let mut silent = bot.command(&["flows", "cancel", &ids[1], "--silent"]);
    silent
        .env("SLACK_BOT_TOKEN", "xoxb-operator")
        .env("SLACK_API_URL", slack.api_url());
    let (ok, text) = processes::run_command(silent).await;
    assert!(ok, "{text}");
    assert!(text.contains("the user was not told (--silent)"), "{text}");
    bot.wait_in_state("ERROR", 2).await;
    assert_eq!(posts.total(), 2, "only the two first questions: {:?}", slack.methods());
}
