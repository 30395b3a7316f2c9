//! Signals, with `examples/deploy.rs`: a flow waits for inputs from outside Slack (a CI
//! job's stages and verdict), sent to it by its id. A signal sent twice counts once; one
//! the step cannot read is said so and the flow keeps waiting; one for a step that takes
//! none, or for a flow that has ended, changes nothing; and `flows signal`, run beside the
//! bot on its store, is applied by the running bot.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/deploy.rs"]
mod example;

mod processes;

use example::deploy::Deploy;
use serde_json::json;
use slack_orchestrator::testkit::{FakeSlack, SignedSender, TestBot, SIGNING_SECRET, TEAM};
use slack_orchestrator::{
    payloads, Direction, FlowState, Orchestrator, OrchestratorError, Outcome, Signal, StoreError,
};
use uuid::Uuid;

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Deploy>())
}

/// The id of the one flow the bot has.
async fn the_flow(bot: &TestBot) -> Uuid {
    let flows = bot.flows().await;
    assert_eq!(flows.len(), 1, "{flows:?}");
    flows[0].id
}

#[tokio::test]
async fn a_flow_follows_ci_through_signals_and_a_repeated_signal_counts_once() {
    let bot = bot();
    let (mut channel, outcome) = bot.command("U_DEV", "C_OPS", "/deploy", "v2.1").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let id = the_flow(&bot).await;
    channel.expect_reply(&format!(
        "Deploying v2.1. CI reports back to flow {id}: `flows signal {id} deployed --data '{{\"ok\": true}}'`."
    ));

    let stage = Signal::new("progress", json!({"stage": "tests passed"})).with_id("stage-1");
    let outcome = bot.orchestrator().signal(id, stage.clone()).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    channel.expect_reply("v2.1: tests passed");
    // The webhook's sender retries it: nothing runs again.
    assert_eq!(bot.orchestrator().signal(id, stage).await.unwrap(), Outcome::Duplicate);
    channel.expect_no_reply();

    let outcome = bot
        .orchestrator()
        .signal(
            id,
            Signal::new("deployed", json!({"ok": true, "url": "https://example.com"})),
        )
        .await
        .unwrap();
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    channel.expect_reply("v2.1 is live at https://example.com.");

    // The flow's log says what came, from no user.
    let record = bot.orchestrator().store().load(id).await.unwrap().unwrap();
    let signals: Vec<(&str, Option<&str>)> = record
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound && m.text.starts_with("[signal"))
        .map(|m| (m.text.as_str(), m.user.as_deref()))
        .collect();
    assert_eq!(signals, [("[signal progress]", None), ("[signal deployed]", None)]);

    // Once it has ended, a signal finds nothing waiting, and nobody is told anything.
    let late = Signal::new("deployed", json!({"ok": false}));
    assert_eq!(
        bot.orchestrator().signal(id, late).await.unwrap(),
        Outcome::Ended { flow_id: id }
    );
    channel.expect_no_reply();
}

#[tokio::test]
async fn a_signal_the_step_cannot_read_is_said_so_and_the_flow_keeps_waiting() {
    let bot = bot();
    let (mut channel, _) = bot.command("U_DEV", "C_OPS", "/deploy", "v3").await;
    channel.replies();
    let id = the_flow(&bot).await;
    let garbled = Signal::new("deployed", json!({"status": "green"}));
    let outcome = bot.orchestrator().signal(id, garbled).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    channel.expect_reply("CI sent a `deployed` signal I could not read (missing field `ok`); still waiting.");
    // Another job's signal is not this deploy's business: the flow stays as it was.
    let other = Signal::new("backup_done", json!(null));
    let outcome = bot.orchestrator().signal(id, other).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    channel.expect_no_reply();

    // CI fails; the step that asks to retry takes clicks, not signals.
    let failed = Signal::new("deployed", json!({"ok": false, "error": "smoke test"}));
    bot.orchestrator().signal(id, failed).await.unwrap();
    channel.expect_reply("The deploy of v3 failed: smoke test.");
    let stray = Signal::new("progress", json!({"stage": "late"}));
    assert_eq!(
        bot.orchestrator().signal(id, stray).await.unwrap(),
        Outcome::Unhandled { flow_id: id }
    );
    channel.expect_no_reply();
    channel.click("retry").await;
    channel.expect_reply("Retrying v3; waiting for CI again.");
    let passed = Signal::new("deployed", json!({"ok": true}));
    let outcome = bot.orchestrator().signal(id, passed).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    channel.expect_reply("v3 is live.");
}

/// A review handed over to the reviewer: only they may answer, but the merge signal comes
/// from the bot's side.
#[slack_orchestrator::flow(trigger = command("/review"))]
mod review {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Review {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, _command: Command) -> Next<Review> {
        cx.hand_over(["U_REVIEWER"]);
        goto(Review::Wait)
    }

    #[step(Wait)]
    async fn merged(_cx: &mut Cx, signal: Signal) -> Next<Review> {
        complete(format!("Merged by {}.", signal.data["by"].as_str().unwrap_or("?")))
    }
}

#[tokio::test]
async fn a_signal_passes_the_participants_check_and_an_unknown_flow_is_an_error() {
    let bot = TestBot::new(Orchestrator::builder().flow::<review::Review>());
    let (mut channel, outcome) = bot.command("U_DEV", "C_CODE", "/review", "PR 7").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let id = the_flow(&bot).await;
    // The flow's context is U_DEV's, who may no longer answer; the signal is taken all the same.
    let merged = Signal::new("merged", json!({"by": "U_REVIEWER"}));
    let outcome = bot.orchestrator().signal(id, merged.clone()).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    channel.expect_reply("Merged by U_REVIEWER.");

    let nobody = Uuid::new_v4();
    match bot.orchestrator().signal(nobody, merged).await {
        Err(OrchestratorError::Store(StoreError::NotFound(id))) => assert_eq!(id, nobody),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// `/deploy VERSION` in `channel`, sent to the bot process over signed HTTP: the id of the
/// flow, once it waits for CI.
async fn deploy_in(bot: &processes::Bot, posts: &processes::Posts, channel: &str, version: &str) -> String {
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    let trigger = format!("1.deploy-{version}");
    let form = payloads::slash_command(TEAM, "U_DEV", channel, "/deploy", version, &trigger);
    assert_eq!(sender.command(&form).await.status, 200);
    posts.wait(channel, 1).await;
    the_waiting_flow(bot).await
}

/// The id of the bot's one flow, once it waits (as `flows list` shows it).
async fn the_waiting_flow(bot: &processes::Bot) -> String {
    bot.wait_in_state("WAITING_FOR_RESPONSE", 1).await;
    let listed = bot.list_flows();
    let id = listed.lines().nth(1).and_then(|l| l.split_whitespace().next());
    id.expect("the flow in `flows list`").to_owned()
}

/// CI runs the bot's binary beside the running bot, on its store: `flows signal` stores the
/// signal and the bot applies it, once however often CI sends it; bad JSON and an unknown
/// flow are refused with a line that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_signal_beside_the_running_bot_is_applied_by_it_once() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let bot = processes::Bot::start("deploy", &slack).await;
    let id = deploy_in(&bot, &posts, "C_OPS", "v5").await;

    let data = r#"{"ok": true, "url": "https://example.com/v5"}"#;
    let signal = [
        "flows",
        "signal",
        &id,
        "deployed",
        "--data",
        data,
        "--signal-id",
        "run-5",
    ];
    let (ok, text) = processes::run_command(bot.command(&signal)).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("signal deployed (id run-5) stored for flow {id}")),
        "{text}"
    );
    posts.wait("C_OPS", 2).await;
    assert_eq!(posts.in_channel("C_OPS")[1], "v5 is live at https://example.com/v5.");
    bot.wait_completed(1).await;

    // CI sends it again: it was applied once, and the flow has ended since.
    let (ok, text) = processes::run_command(bot.command(&signal)).await;
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("error: flow {id} had already ended")), "{text}");

    let (ok, text) = processes::run_command(bot.command(&["flows", "signal", &id, "deployed", "--data", "{ok"])).await;
    assert!(!ok && text.contains("not JSON"), "{text}");
    let unknown = Uuid::new_v4().to_string();
    let (ok, text) = processes::run_command(bot.command(&["flows", "signal", &unknown, "deployed"])).await;
    assert!(!ok && text.contains(&format!("error: no flow {unknown}")), "{text}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(posts.in_channel("C_OPS").len(), 2, "{:?}", posts.in_channel("C_OPS"));
}

/// Sent twice while the bot is down (before CI learns it was applied), a signal is applied
/// once when the bot comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_sent_twice_while_the_bot_is_down_is_applied_once_when_it_is_back() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let mut bot = processes::Bot::start("deploy", &slack).await;
    let id = deploy_in(&bot, &posts, "C_REL", "v6").await;

    bot.kill();
    let signal = [
        "flows",
        "signal",
        &id,
        "progress",
        "--data",
        r#"{"stage": "canary"}"#,
        "--signal-id",
        "s1",
    ];
    let (ok, text) = processes::run_command(bot.command(&signal)).await;
    assert!(ok && text.contains("stored for flow"), "{text}");
    let (ok, text) = processes::run_command(bot.command(&signal)).await;
    assert!(
        ok && text.contains("was sent to flow") && text.contains("before"),
        "{text}"
    );
    bot.restart().await;
    posts.wait("C_REL", 2).await;
    assert_eq!(posts.in_channel("C_REL")[1], "v6: canary");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(posts.in_channel("C_REL").len(), 2, "{:?}", posts.in_channel("C_REL"));
}

/// In the console chat, `/signal NAME JSON` is what CI would send, to the flow waiting here.
#[tokio::test]
async fn in_the_console_a_signal_goes_to_the_flow_waiting_here() {
    let typed = [
        "/signal deployed {\"ok\": true}",
        "/deploy v7",
        "/signal progress {\"stage\": \"built\"}",
        "/signal deployed {\"ok\": tru",
        "/signal deployed {\"ok\": true}",
    ]
    .join("\n");
    let shown = processes::console(Orchestrator::builder().flow::<Deploy>(), &typed).await;
    processes::assert_in_order(
        &shown,
        &[
            "(no flow is waiting here for a signal)",
            "Deploying v7.",
            "bot> v7: built",
            "(usage: /signal NAME [JSON]",
            "bot> v7 is live.",
        ],
    );
}

/// A webhook's request to the signals endpoint: its status and JSON answer.
async fn post_signal(url: &str, token: Option<&str>, key: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().post(url).body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// `POST /signals/{flow_id}/{name}` over real HTTP: the bearer token, the body as the
/// signal's data, `Idempotency-Key` as its id, and an answer for each way it can go.
#[tokio::test]
async fn the_signals_endpoint_takes_a_webhook_once_and_says_why_it_refuses_one() {
    let bot = bot();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes = slack_orchestrator::webhooks::router(bot.orchestrator().clone(), "s3cret-token");
    tokio::spawn(async move { axum::serve(listener, routes).await });
    let (mut channel, _) = bot.command("U_DEV", "C_OPS", "/deploy", "v8").await;
    channel.replies();
    let id = the_flow(&bot).await;
    let at = |name: &str| format!("{base}/signals/{id}/{name}");
    let stage = r#"{"stage": "canary"}"#;

    let (status, answer) = post_signal(&at("progress"), None, None, stage).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_token")));
    let (status, _) = post_signal(&at("progress"), Some("guess"), None, stage).await;
    assert_eq!(status, 401);
    let (status, answer) = post_signal(&at("progress"), Some("s3cret-token"), None, "{stage").await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_json")));
    let unknown = format!("{base}/signals/{}/progress", Uuid::new_v4());
    let (status, answer) = post_signal(&unknown, Some("s3cret-token"), None, stage).await;
    assert_eq!((status, answer["error"].as_str()), (404, Some("flow_not_found")));
    channel.expect_no_reply();

    // Sent twice under one key (the sender did not hear the first answer): applied once.
    for expected in ["advanced", "duplicate"] {
        let (status, answer) = post_signal(&at("progress"), Some("s3cret-token"), Some("ci-1"), stage).await;
        assert_eq!((status, answer["outcome"].as_str()), (200, Some(expected)), "{answer}");
    }
    channel.expect_reply("v8: canary");
    channel.expect_no_reply();

    let failed = r#"{"ok": false, "error": "canary errors"}"#;
    let (status, answer) = post_signal(&at("deployed"), Some("s3cret-token"), Some("ci-2"), failed).await;
    assert_eq!(
        (status, answer["state"].as_str()),
        (200, Some("WAITING_FOR_RESPONSE")),
        "{answer}"
    );
    channel.expect_reply("The deploy of v8 failed: canary errors.");
    // Now the flow waits for a click: a signal is not what it takes.
    let (status, answer) = post_signal(&at("progress"), Some("s3cret-token"), None, stage).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("not_waiting_for_signals"))
    );
    channel.click("give_up").await;
    channel.expect_reply("The deploy of v8 was given up.");
    let (status, answer) = post_signal(&at("deployed"), Some("s3cret-token"), None, "").await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("flow_ended")));
}

/// The bot binary serves the endpoint when `ORCHESTRATOR_SIGNAL_TOKEN` is set, beside
/// `/slack/events`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_binary_serves_signals_with_a_token_set() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let mut bot = processes::Bot::start("deploy", &slack).await;
    let (status, _) = post_signal(
        &format!("{}/signals/{}/x", bot.url(), Uuid::new_v4()),
        Some("t"),
        None,
        "",
    )
    .await;
    assert_eq!(status, 404, "no token set: no endpoint");
    // A token one could guess is refused in one line.
    let mut weak = std::process::Command::new(processes::example("deploy"));
    weak.env("SLACK_BOT_TOKEN", "xoxb-test-token")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_API_URL", slack.api_url())
        .env("ORCHESTRATOR_STORE", "memory:")
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("ORCHESTRATOR_SIGNAL_TOKEN", "ci-token");
    let (ok, text) = processes::run_command(weak).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("error: ORCHESTRATOR_SIGNAL_TOKEN has 8 characters: use at least 16"),
        "{text}"
    );
    bot.kill();
    bot.set_env("ORCHESTRATOR_SIGNAL_TOKEN", "ci-token-of-the-pipeline");
    bot.restart().await;
    let id = deploy_in(&bot, &posts, "C_WEB", "v9").await;
    let url = format!("{}/signals/{id}/deployed", bot.url());
    let (status, answer) = post_signal(&url, Some("ci-token-of-the-pipeline"), Some("run-9"), r#"{"ok": true}"#).await;
    assert_eq!((status, answer["state"].as_str()), (200, Some("COMPLETED")), "{answer}");
    posts.wait("C_WEB", 2).await;
    assert_eq!(posts.in_channel("C_WEB")[1], "v9 is live.");
}

/// A time-off request waits in the requester's DM for the decision of the approval it
/// started in the manager's DM (`start_flow` gives its id), which sends it back with
/// `cx.signal_flow`.
#[slack_orchestrator::flow(trigger = regex("^time off"))]
mod request {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Request {
        #[start]
        File,
        Wait,
    }

    #[step(File)]
    async fn file(cx: &mut Cx, said: Text) -> Next<Request> {
        let manager = MessageContext::new(cx.context().team_id.clone(), "U_BOSS", "DU_BOSS");
        let ask = super::approve::Approve::Ask {
            request: cx.flow_id(),
            what: said.to_string(),
        };
        let approval = cx.start_flow(manager, ask)?;
        cx.set("approval", approval);
        cx.say("Sent to your manager.").await?;
        goto(Request::Wait)
    }

    #[step(Wait)]
    async fn decided(_cx: &mut Cx, signal: Signal) -> Next<Request> {
        let approved = signal.data["approved"].as_bool().unwrap_or(false);
        let said = if approved { "Approved." } else { "Declined." };
        complete_flow(approved, Some(said.to_owned()))
    }
}

/// The manager's side: started from the request, answers it with a signal.
#[slack_orchestrator::flow]
mod approve {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Approve {
        #[start]
        Idle,
        Ask {
            request: uuid::Uuid,
            what: String,
        },
        Decide {
            request: uuid::Uuid,
        },
    }

    #[step(Idle)]
    async fn idle(_cx: &mut Cx) -> Next<Approve> {
        complete_silently()
    }

    #[step(Ask { request, what })]
    async fn ask(cx: &mut Cx, request: uuid::Uuid, what: String) -> Next<Approve> {
        cx.say(format!("Approve \"{what}\"? yes or no")).await?;
        goto(Approve::Decide { request })
    }

    #[step(Decide { request })]
    async fn decide(cx: &mut Cx, request: uuid::Uuid, said: Text) -> Next<Approve> {
        let approved = said.as_str() == "yes";
        cx.signal_flow(request, "decided", serde_json::json!({ "approved": approved }))?;
        complete("Thanks, I told them.")
    }
}

/// Polls until `check` holds (a flow a step starts, or signals, runs in a task of its own).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("never: {what}");
}

#[tokio::test]
async fn a_flow_a_step_started_answers_it_with_a_signal_once_its_own_result_is_saved() {
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<request::Request>()
            .flow::<approve::Approve>(),
    );
    let (mut requester, mut boss) = (bot.dm("U_DEV"), bot.dm("U_BOSS"));
    requester.send("time off next Friday").await;
    requester.expect_reply("Sent to your manager.");
    let asked = |slack: &slack_orchestrator::RecordingSlack| {
        slack
            .requests()
            .iter()
            .any(|r| format!("{r:?}").contains("Approve \\\"time off next Friday\\\"?"))
    };
    eventually("the manager is asked", || asked(bot.slack())).await;
    boss.expect_reply("Approve \"time off next Friday\"? yes or no");
    boss.send("yes").await;
    boss.expect_reply("Thanks, I told them.");
    let said = |slack: &slack_orchestrator::RecordingSlack| {
        slack
            .requests()
            .iter()
            .any(|r| format!("{r:?}").contains("\"Approved.\""))
    };
    eventually("the requester is told", || said(bot.slack())).await;
    requester.expect_reply("Approved.");
    let flows = bot.flows().await;
    let states: Vec<(&str, FlowState)> = flows.iter().map(|f| (f.flow.as_str(), f.state)).collect();
    assert!(states.contains(&("request", FlowState::Completed)), "{states:?}");
    assert!(states.contains(&("approve", FlowState::Completed)), "{states:?}");
    // The signal was stored under an id of the approval's run, not a random one.
    let request = flows.iter().find(|f| f.flow == "request").unwrap();
    let approval = flows.iter().find(|f| f.flow == "approve").unwrap();
    // `start_flow` said which flow it would start.
    assert_eq!(request.metadata["approval"], json!(approval.id));
    let key = format!("signal:{}:{}:", request.id, approval.id);
    assert!(
        request.applied.iter().any(|k| k.starts_with(&key)),
        "{:?}",
        request.applied
    );
}

/// On a shared store, a signal `flows signal` stored (twice: CI retried) is applied by one
/// of two replicas, once, whichever recovery loop gets to it first.
async fn a_queued_signal_is_applied_once_by_one_of_two_replicas(url: String) {
    use slack_orchestrator::{MessageContext, Queued, RecordingSlack, SlackRequest};
    let slack = RecordingSlack::new();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = slack_orchestrator::store::open(&url).await.expect("the shared store");
        let bot = Orchestrator::builder()
            .flow::<Deploy>()
            .store(store)
            .slack(slack.clone());
        replicas.push(bot.build().unwrap());
    }
    let running = Deploy::Running { version: "v10".into() };
    let id = replicas[0]
        .start(MessageContext::new(TEAM, "U_DEV", "C_REPL"), running)
        .await
        .unwrap();
    let operator = {
        let store = slack_orchestrator::store::open(&url).await.expect("the shared store");
        Orchestrator::builder()
            .flow::<Deploy>()
            .store(store)
            .slack(slack.clone())
            .build()
            .unwrap()
    };
    let live = Signal::new("deployed", json!({"ok": true})).with_id("ci-10");
    assert_eq!(operator.queue_signal(id, live.clone()).await.unwrap(), Queued::Now);
    assert_eq!(operator.queue_signal(id, live).await.unwrap(), Queued::Before);
    let (a, b) = tokio::join!(replicas[0].recover(), replicas[1].recover());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "applied by one replica");
    let posted: Vec<String> = slack
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::PostMessage { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(posted, ["v10 is live."]);
    let record = replicas[1].store().load(id).await.unwrap().unwrap();
    assert_eq!(record.state, FlowState::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_signal_is_applied_once_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("signals-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    a_queued_signal_is_applied_once_by_one_of_two_replicas(format!("sqlite://{}", dir.join("bot.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_signal_is_applied_once_on_postgres() {
    a_queued_signal_is_applied_once_by_one_of_two_replicas(slack_orchestrator::testkit::postgres_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_signal_is_applied_once_on_redis() {
    a_queued_signal_is_applied_once_by_one_of_two_replicas(slack_orchestrator::testkit::redis_url()).await;
}

/// In Socket Mode the bot has no HTTP server of its own: the signals endpoint is served on
/// `METRICS_ADDR`, beside `/healthz`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_socket_mode_signals_are_served_on_the_metrics_address() {
    let slack = FakeSlack::start().await;
    let posts = processes::Posts::follow(&slack);
    let mut bot = processes::Bot::start("deploy", &slack).await;
    bot.kill();
    let addr = bot.url().trim_start_matches("http://").to_owned();
    bot.set_env("SLACK_APP_TOKEN", "xapp-signals-test");
    bot.set_env("METRICS_ADDR", &addr);
    bot.set_env("ORCHESTRATOR_SIGNAL_TOKEN", "a-long-random-ci-token");
    bot.restart().await; // up once /healthz answers on METRICS_ADDR
    let command = json!({"team_id": TEAM, "user_id": "U_DEV", "channel_id": "C_SOCK", "command": "/deploy",
                         "text": "v11", "trigger_id": "1.socket"});
    let envelope = json!({"envelope_id": "env-1", "type": "slash_commands", "payload": command});
    let deadline = tokio::time::Instant::now() + processes::PATIENCE;
    while slack.socket_send(&envelope) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the bot never connected");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    posts.wait("C_SOCK", 1).await;
    let id = the_waiting_flow(&bot).await;
    let url = format!("{}/signals/{id}/deployed", bot.url());
    let (status, answer) = post_signal(&url, Some("a-long-random-ci-token"), None, r#"{"ok": true}"#).await;
    assert_eq!((status, answer["state"].as_str()), (200, Some("COMPLETED")), "{answer}");
    posts.wait("C_SOCK", 2).await;
    assert_eq!(posts.in_channel("C_SOCK")[1], "v11 is live.");
}
