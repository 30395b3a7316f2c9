//! The bot over real sockets against the fake Slack: the onboarding conversation over HTTP
//! and over Socket Mode, buttons updating messages, a modal from a slash command with a
//! validation error answered inline, retries, refusals, the bot's own messages, a 429 and a
//! failing Web API call, graceful shutdown.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod onboarding_example;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/menu.rs"]
mod menu_example;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/new_member.rs"]
mod new_member_example;

mod flaky_store;

use menu_example::{feedback::Feedback, menu::Menu};
use new_member_example::new_member::NewMember;
use onboarding_example::Onboarding;
use serde_json::{json, Value};
use slack_orchestrator::payloads::{self, ElementAt, Said};
use slack_orchestrator::testkit::{Delivered, LiveBot, Transport, BOT_USER, TEAM};
use slack_orchestrator::{FlowState, MemoryStore, Orchestrator, SelectOption, Suggestion};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
static IDS: AtomicU64 = AtomicU64::new(0);

fn dm(user: &str, text: &str) -> Value {
    let n = IDS.fetch_add(1, Ordering::Relaxed);
    payloads::direct_message(TEAM, user, text, &format!("1800000000.{n:06}"), &format!("EvLive{n}"))
}

async fn texts(bot: &LiveBot, count: usize) -> Vec<String> {
    let posted = bot.slack().wait_for("chat.postMessage", count, WAIT).await;
    posted
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The bot's only flow once it reached `state` (the reply goes out just before the save).
async fn settled(bot: &LiveBot, state: FlowState) -> slack_orchestrator::FlowRecord {
    for _ in 0..200 {
        let flows = bot.orchestrator().store().list(false, 10).await.unwrap();
        if let Some(record) = flows.into_iter().find(|r| r.state == state) {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no flow reached {state}")
}

fn ok(delivered: &Delivered) {
    match delivered {
        Delivered::Http(sent) => assert_eq!(sent.status, 200, "{sent:?}"),
        Delivered::Socket(ack) => assert!(ack["envelope_id"].is_string(), "{ack}"),
    }
}

async fn onboarding_over(transport: Transport) {
    let bot = LiveBot::start(transport, Orchestrator::builder().flow::<Onboarding>()).await;
    ok(&bot.event(&dm("U_ALICE", "hi")).await);
    assert_eq!(
        texts(&bot, 1).await,
        ["Let's start the workflow. Step 1: What's your name?"]
    );
    ok(&bot.event(&dm("U_ALICE", "Alice")).await);
    texts(&bot, 2).await;
    ok(&bot.event(&dm("U_ALICE", "deploys")).await);
    let said = texts(&bot, 3).await;
    assert_eq!(said[1], "Nice to meet you, Alice! Step 2: What can I help you with?");
    assert_eq!(said[2], "Thanks, Alice! I'll help you with: deploys");
    let posted = bot.slack().calls_to("chat.postMessage");
    assert!(posted.iter().all(|m| m["channel"] == "DU_ALICE"));
    for call in bot.slack().calls() {
        let token = if call.method == "apps.connections.open" {
            "xapp-test-token"
        } else {
            "xoxb-test-token"
        };
        assert_eq!(call.token.as_deref(), Some(token), "{}", call.method);
    }
    bot.stop().await;
}

#[tokio::test]
async fn the_onboarding_conversation_over_http() {
    onboarding_over(Transport::Http).await;
}

#[tokio::test]
async fn the_onboarding_conversation_over_socket_mode() {
    onboarding_over(Transport::Socket).await;
}

#[tokio::test]
async fn a_mention_is_answered_in_its_thread_and_the_bots_own_messages_are_not() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    let said = Said {
        team: TEAM,
        user: "U_ALICE",
        channel: "C_GENERAL",
        text: "hi",
        ts: "1800000001.000100",
        thread_ts: None,
        event_id: "EvM1",
    };
    ok(&bot.event(&payloads::mention(&said, BOT_USER)).await);
    let posted = bot.slack().wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(posted[0]["thread_ts"], "1800000001.000100");

    // The bot's own message in the thread (user = the id auth.test gave): ignored.
    let own = Said {
        user: BOT_USER,
        text: "Alice",
        ts: "1800000001.000200",
        thread_ts: Some("1800000001.000100"),
        event_id: "EvM2",
        ..said
    };
    ok(&bot.event(&payloads::message(&own)).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(bot.slack().calls_to("chat.postMessage").len(), 1);
    bot.stop().await;
}

/// Asks for a go-ahead in the thread of the mention that started it, by reaction.
#[slack_orchestrator::flow(trigger = mention)]
#[allow(unreachable_pub)]
mod go_ahead {
    use slack_orchestrator::prelude::*;

    pub enum GoAhead {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<GoAhead> {
        cx.say("Ship it? React with :white_check_mark:.").await?;
        goto(GoAhead::Wait)
    }

    #[step(Wait)]
    async fn decided(_cx: &mut Cx, reaction: Reaction) -> Next<GoAhead> {
        complete(format!("Shipping (:{}:).", reaction.name))
    }
}

#[tokio::test]
async fn a_reaction_in_a_mentions_thread_reaches_its_flow_through_the_thread_slack_names() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<go_ahead::GoAhead>()).await;
    let root = "1800000002.000100";
    let said = Said {
        team: TEAM,
        user: "U_ALICE",
        channel: "C_GENERAL",
        text: "ship",
        ts: root,
        thread_ts: None,
        event_id: "EvR1",
    };
    ok(&bot.event(&payloads::mention(&said, BOT_USER)).await);
    let asked = bot.slack().wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(asked[0]["thread_ts"], root);
    let calls = bot.slack().calls();
    let posted = calls.iter().find(|c| c.method == "chat.postMessage").unwrap();
    let question = posted.reply["ts"].as_str().unwrap().to_owned();
    // Slack's reaction_added names the message and its channel, not the thread.
    let reaction = payloads::reaction(
        TEAM,
        "U_ALICE",
        "C_GENERAL",
        &question,
        BOT_USER,
        "white_check_mark",
        true,
        "EvR2",
    );
    ok(&bot.event(&reaction).await);
    let said = bot.slack().wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        (said[1]["text"].as_str(), said[1]["thread_ts"].as_str()),
        (Some("Shipping (:white_check_mark:)."), Some(root))
    );
    // Asked as Slack documents `conversations.replies`: the channel and the message's ts.
    let looked = bot.slack().calls_to("conversations.replies");
    assert_eq!(
        (looked[0]["channel"].as_str(), looked[0]["ts"].as_str()),
        (Some("C_GENERAL"), Some(question.as_str()))
    );
    settled(&bot, FlowState::Completed).await;
    bot.stop().await;
}

#[slack_orchestrator::flow(trigger = direct_message)]
#[allow(unreachable_pub)]
mod buggy {
    use slack_orchestrator::prelude::*;

    pub enum Buggy {
        #[start]
        Listen,
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, said: Text) -> Next<Buggy> {
        let count: usize = said.parse().unwrap(); // a bug: not every message is a number
        complete(format!("{count} noted."))
    }
}

/// A step that panics, over the real HTTP server: the user gets the apology, Slack's
/// retry is a duplicate, and the bot goes on serving others.
#[tokio::test]
async fn a_step_that_panics_is_answered_with_the_apology_and_the_bot_goes_on() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<buggy::Buggy>()).await;
    let sender = bot.sender().unwrap();
    let crash = dm("U_ANA", "three");
    assert_eq!(sender.event(&crash).await.status, 200);
    assert_eq!(
        texts(&bot, 1).await,
        ["Sorry, something went wrong and this conversation had to stop."]
    );
    let failed = settled(&bot, FlowState::Error).await;
    assert!(
        failed.error.as_deref().unwrap_or_default().contains("panicked"),
        "{failed:?}"
    );
    assert_eq!(sender.retry(&crash, 1).await.status, 200);
    assert_eq!(sender.event(&dm("U_BOB", "3")).await.status, 200);
    assert_eq!(texts(&bot, 2).await[1], "3 noted.");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        bot.slack().calls_to("chat.postMessage").len(),
        2,
        "the retry ran nothing"
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_slack_retry_never_runs_the_step_twice() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    let sender = bot.sender().unwrap();
    let event = dm("U_BOB", "hi");
    assert_eq!(sender.event(&event).await.status, 200);
    assert_eq!(sender.retry(&event, 1).await.status, 200);
    assert_eq!(sender.retry(&event, 2).await.status, 200);
    texts(&bot, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(bot.slack().calls_to("chat.postMessage").len(), 1);
    bot.stop().await;
}

/// An event the bot cannot store is not acked: a 503 that Slack retries (no
/// `X-Slack-No-Retry`), and the retry, once the store is back, is applied once.
#[tokio::test]
async fn an_event_the_store_cannot_take_is_refused_for_slack_to_retry() {
    let store = flaky_store::Flaky::unreachable_for_receives(Arc::new(MemoryStore::new()), 1);
    let bot = LiveBot::start(
        Transport::Http,
        Orchestrator::builder().flow::<Onboarding>().store(store),
    )
    .await;
    let sender = bot.sender().unwrap();
    let event = dm("U_RETRY", "hi");
    let refused = sender.event(&event).await;
    assert_eq!((refused.status, refused.no_retry), (503, false), "{refused:?}");
    assert_eq!(sender.retry(&event, 1).await.status, 200);
    assert_eq!(
        texts(&bot, 1).await,
        ["Let's start the workflow. Step 1: What's your name?"]
    );
    bot.stop().await;
}

/// Slack asks an external select for its options with a `block_suggestion` (over HTTP an
/// interaction form, over Socket Mode an `interactive` envelope) and shows what comes back
/// in the response: the handler's options, none for a select without one, none (in time)
/// for a handler slower than Slack waits.
async fn external_select_options_over(transport: Transport) {
    let builder = Orchestrator::builder()
        .flow::<Onboarding>()
        .options("fruit", |asked: Suggestion| async move {
            ["apple", "apricot", "banana"]
                .into_iter()
                .filter(|fruit| fruit.starts_with(asked.value.as_str()))
                .map(|fruit| SelectOption::new(fruit, fruit.to_uppercase()))
                .collect()
        })
        .options("slow", |_| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            vec![SelectOption::new("late", "Late")]
        })
        .options("broken", |asked: Suggestion| async move {
            assert!(asked.value.is_empty(), "the search index is gone");
            Vec::new()
        });
    let bot = LiveBot::start(transport, builder).await;
    let at = ElementAt {
        channel: "C1",
        message_ts: "1800000000.000001",
        thread_ts: None,
        block_id: "pick",
    };
    let asked = |action: &str, typed: &str| payloads::block_suggestion(TEAM, "U1", &at, action, typed);
    let option = |value: &str, text: &str| json!({"text": {"type": "plain_text", "text": text}, "value": value});

    let answer = bot.interaction(&asked("fruit", "ap")).await.body();
    assert_eq!(
        answer,
        json!({"options": [option("apple", "APPLE"), option("apricot", "APRICOT")]}),
        "over {transport:?}"
    );
    let unknown = bot.interaction(&asked("vegetable", "ca")).await.body();
    assert_eq!(unknown, json!({"options": []}), "over {transport:?}");
    let started = std::time::Instant::now();
    let slow = bot.interaction(&asked("slow", "")).await.body();
    assert_eq!(slow, json!({"options": []}), "over {transport:?}");
    assert!(
        started.elapsed() < Duration::from_millis(4500),
        "answered within Slack's wait, not after the handler's 5 s: {:?}",
        started.elapsed()
    );
    let broken = bot.interaction(&asked("broken", "x")).await.body();
    assert_eq!(
        broken,
        json!({"options": []}),
        "a panicking handler: over {transport:?}"
    );
    assert!(bot.slack().calls_to("chat.postMessage").is_empty(), "no flow ran");
    if let Some(metrics) = slack_orchestrator::telemetry::prometheus() {
        let metrics = metrics.render();
        for outcome in ["answered", "unknown", "late", "failed"] {
            let counted = format!("slack_orchestrator_options_total{{outcome=\"{outcome}\"}} ");
            assert!(metrics.contains(&counted), "{counted} in:\n{metrics}");
        }
    }
    bot.stop().await;
}

#[tokio::test]
async fn an_external_selects_options_are_answered_over_http() {
    external_select_options_over(Transport::Http).await;
}

#[tokio::test]
async fn an_external_selects_options_are_answered_over_socket_mode() {
    external_select_options_over(Transport::Socket).await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_the_server_keeps_serving() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    let sender = bot.sender().unwrap();
    let body = dm("U_EVE", "hi").to_string().into_bytes();
    let now = chrono::Utc::now().timestamp();

    let forged = sender
        .send_signed("application/json", body.clone(), now, "v0=deadbeef", &[], false)
        .await;
    assert_eq!(forged.status, 401, "{forged:?}");
    assert!(!forged.no_retry, "a secret being rotated: Slack's retry may pass");
    assert!(forged.body.contains("signature mismatch"));
    let other_secret = slack_orchestrator::signature::sign("not-the-secret", now, &body);
    assert_eq!(
        sender
            .send_signed("application/json", body.clone(), now, &other_secret, &[], false)
            .await
            .status,
        401
    );
    let stale = sender
        .send_signed("application/json", body.clone(), now - 6 * 60, "", &[], true)
        .await;
    assert_eq!(stale.status, 401);
    assert!(stale.body.contains("stale"), "{stale:?}");

    let broken = sender
        .send("application/json", b"{\"type\": \"event_callback\",".to_vec(), &[])
        .await;
    assert_eq!(broken.status, 400);
    assert!(broken.body.contains("not JSON"), "{broken:?}");
    assert!(broken.no_retry, "Slack is asked not to send it again: {broken:?}");
    let no_channel =
        json!({"type": "event_callback", "team_id": TEAM, "event": {"type": "message", "user": "U1", "ts": "1.0"}});
    let missing = sender.event(&no_channel).await;
    assert_eq!(
        (missing.status, missing.json()["error"].as_str()),
        (
            400,
            Some("malformed Slack payload: `channel` is missing or not a string")
        )
    );
    assert_eq!(
        sender
            .send("application/x-www-form-urlencoded", b"foo=bar".to_vec(), &[])
            .await
            .status,
        400
    );
    assert_eq!(sender.send("text/plain", b"hi".to_vec(), &[]).await.status, 400);
    let huge = vec![b' '; 2 * 1024 * 1024];
    let too_big = sender.send("application/json", huge, &[]).await;
    assert_eq!((too_big.status, too_big.no_retry), (413, true), "{too_big:?}");

    let unknown = payloads::envelope(TEAM, json!({"type": "pin_added", "user": "U1"}), "EvR");
    assert_eq!(sender.event(&unknown).await.status, 200);
    let challenge = sender.event(&json!({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})).await;
    assert_eq!(
        challenge.json()["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
    assert_eq!(
        sender
            .send(
                "application/x-www-form-urlencoded",
                b"ssl_check=1&token=x".to_vec(),
                &[]
            )
            .await
            .status,
        200
    );

    assert!(
        bot.slack().calls_to("chat.postMessage").is_empty(),
        "nothing refused reached a flow"
    );
    ok(&bot.event(&dm("U_EVE", "hi")).await);
    texts(&bot, 1).await;
    bot.stop().await;
}

async fn buttons_over(transport: Transport) {
    let bot = LiveBot::start(transport, Orchestrator::builder().flow::<Menu>()).await;
    ok(&bot.event(&dm("U_ALICE", "menu")).await);
    texts(&bot, 1).await;
    ok(&bot.click("U_ALICE", "DU_ALICE", "option_1").await);
    let updated = bot.slack().wait_for("chat.update", 1, WAIT).await;
    assert_eq!(
        (updated[0]["text"].as_str(), updated[0]["channel"].as_str()),
        (Some("You chose Option 1"), Some("DU_ALICE"))
    );
    assert_eq!(texts(&bot, 2).await[1], "Which size?");
    bot.stop().await;
}

#[tokio::test]
async fn a_button_click_updates_the_message_over_http() {
    buttons_over(Transport::Http).await;
}

#[tokio::test]
async fn a_button_click_updates_the_message_over_socket_mode() {
    buttons_over(Transport::Socket).await;
}

async fn modal_over(transport: Transport) {
    let bot = LiveBot::start(transport, Orchestrator::builder().flow::<Feedback>()).await;
    let form = payloads::slash_command(TEAM, "U_ALICE", "C_GENERAL", "/feedback", "", "1.2.trigger");
    ok(&bot.command(&form).await);
    let (view, view_id) = bot.slack().opened_view(WAIT).await;
    assert_eq!(bot.slack().calls_to("views.open")[0]["trigger_id"], "1.2.trigger");
    let score_block = view["blocks"][0]["block_id"].as_str().unwrap().to_owned();

    let wrong = payloads::view_submission(
        TEAM,
        "U_ALICE",
        &view,
        &view_id,
        &[(&score_block, "score", "eleven")],
        "1.3.t",
    );
    let answer = bot.interaction(&wrong).await;
    assert_eq!(
        answer.body(),
        json!({"response_action": "errors", "errors": {score_block.as_str(): "The score must be a number from 1 to 5."}}),
        "keyed by the block id of the view Slack received, so Slack shows it under the field"
    );
    assert!(
        view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["block_id"] == score_block.as_str()),
        "that id is the input block's in the view that was opened"
    );

    let right = payloads::view_submission(
        TEAM,
        "U_ALICE",
        &view,
        &view_id,
        &[(&score_block, "score", "4"), ("comment", "comment", "ok")],
        "1.4.t",
    );
    let answer = bot.interaction(&right).await;
    assert_eq!(answer.body(), Value::Null, "accepted: an empty ack closes the modal");
    assert_eq!(texts(&bot, 1).await, ["Thanks for the 4/5! You said: ok"]);
    bot.stop().await;
}

#[tokio::test]
async fn a_modal_from_a_slash_command_is_validated_inline_over_http() {
    modal_over(Transport::Http).await;
}

#[tokio::test]
async fn a_modal_from_a_slash_command_is_validated_inline_over_socket_mode() {
    modal_over(Transport::Socket).await;
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    bot.slack().rate_limit_next("chat.postMessage", 2, 1);
    let started = tokio::time::Instant::now();
    ok(&bot.event(&dm("U_RATE", "hi")).await);
    assert_eq!(
        texts(&bot, 1).await,
        ["Let's start the workflow. Step 1: What's your name?"]
    );
    assert!(started.elapsed() >= Duration::from_secs(2), "waited Retry-After twice");
    let record = settled(&bot, FlowState::WaitingForResponse).await;
    assert_eq!(record.step_name, "AskName");
    bot.stop().await;
}

#[tokio::test]
async fn a_failing_web_api_call_ends_the_flow_in_error_and_says_so() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    bot.slack().fail_next("chat.postMessage", "channel_not_found");
    ok(&bot.event(&dm("U_GONE", "hi")).await);
    assert_eq!(
        texts(&bot, 1).await,
        ["Sorry, something went wrong and this conversation had to stop."]
    );
    let record = settled(&bot, FlowState::Error).await;
    assert_eq!(
        record.error.as_deref(),
        Some("chat.postMessage failed: channel_not_found")
    );
    bot.stop().await;
}

#[tokio::test]
async fn shutdown_lets_running_steps_finish() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    bot.slack().rate_limit_next("chat.postMessage", 1, 1);
    ok(&bot.event(&dm("U_LATE", "hi")).await);
    // The step is now waiting out the 429; shutting down waits for it to finish.
    let slack = bot.stop().await;
    assert_eq!(
        slack.calls_to("chat.postMessage").len(),
        1,
        "the running step completed before shutdown returned"
    );
}

#[tokio::test]
async fn a_post_look_up_follows_slacks_cursor_through_a_long_thread() {
    use slack_orchestrator::testkit::FakeSlack;
    use slack_orchestrator::{PostTag, SlackApi, SlackReply, SlackRequest, SlackWebApi};
    let slack = FakeSlack::start().await;
    let api = SlackWebApi::new("xoxb-t", Some(&slack.api_url())).unwrap();
    let post = |text: String, tag: Option<PostTag>| SlackRequest::PostMessage {
        channel: "C1".into(),
        thread_ts: Some("9.0".into()),
        text,
        blocks: None,
        tag,
    };
    // A thread's replies come oldest first, 200 a page: the newest post is on the second.
    let mut last_reply = None;
    for n in 0..250 {
        last_reply = api
            .call(post(format!("reply {n}"), None))
            .await
            .unwrap()
            .ts()
            .map(str::to_owned);
    }
    let tag = PostTag {
        flow_id: uuid::Uuid::new_v4(),
        version: 3,
        seq: 0,
    };
    let SlackReply::Message { ts, .. } = api.call(post("the step's post".into(), Some(tag))).await.unwrap() else {
        panic!("a post answers its ts")
    };
    let find = |tag: PostTag| SlackRequest::FindPost {
        channel: "C1".into(),
        thread_ts: Some("9.0".into()),
        tag,
        since: None,
    };
    assert_eq!(
        api.call(find(tag)).await.unwrap(),
        SlackReply::Message {
            channel: "C1".into(),
            ts: ts.clone()
        }
    );
    let pages = slack.calls_to("conversations.replies");
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[0].get("cursor").is_none());
    assert_eq!(
        pages[1]["cursor"], "next:200",
        "the second page is asked with Slack's cursor"
    );

    let absent = PostTag { seq: 1, ..tag };
    assert_eq!(
        api.call(find(absent)).await.unwrap(),
        SlackReply::Ok,
        "read to the last page"
    );
    assert_eq!(slack.calls_to("conversations.replies").len(), 4);

    // From a time on (Slack's `oldest`), only the messages after it are read: one page.
    let since = |tag: PostTag| SlackRequest::FindPost {
        channel: "C1".into(),
        thread_ts: Some("9.0".into()),
        tag,
        since: last_reply.clone(),
    };
    assert_eq!(
        api.call(since(tag)).await.unwrap(),
        SlackReply::Message {
            channel: "C1".into(),
            ts: ts.clone()
        }
    );
    assert_eq!(api.call(since(absent)).await.unwrap(), SlackReply::Ok);
    let pages = slack.calls_to("conversations.replies");
    assert_eq!(pages.len(), 6, "one page each");
    assert_eq!(pages[5]["oldest"].as_str(), last_reply.as_deref());

    // The fake refuses a cursor it did not give, as Slack does.
    let bad = SlackRequest::Call {
        method: "conversations.replies".into(),
        args: json!({"channel": "C1", "ts": "9.0", "cursor": "bogus"}),
    };
    let refused = api.call(bad).await.unwrap_err();
    assert!(refused.to_string().contains("invalid_cursor"), "{refused}");
}

#[tokio::test]
async fn every_web_api_method_reaches_the_fake_as_slack_documents_it() {
    use slack_orchestrator::testkit::FakeSlack;
    use slack_orchestrator::{PostTag, SlackApi, SlackReply, SlackRequest, SlackWebApi};
    let slack = FakeSlack::start().await;
    // With and without a trailing slash.
    for url in [slack.api_url(), slack.api_url().trim_end_matches('/').to_owned()] {
        let api = SlackWebApi::new("xoxb-t", Some(&url)).unwrap();
        let me = api.auth_test().await.unwrap();
        assert_eq!((me.user_id.as_str(), me.team_id.as_str()), (BOT_USER, TEAM));
    }
    let api = SlackWebApi::new("xoxb-t", Some(&slack.api_url())).unwrap();
    let blocks = json!([slack_orchestrator::blocks::section("hi")]);
    let tag = PostTag {
        flow_id: uuid::Uuid::new_v4(),
        version: 2,
        seq: 0,
    };
    let posted = api
        .call(SlackRequest::PostMessage {
            channel: "C1".into(),
            thread_ts: Some("1.0".into()),
            text: "hi".into(),
            blocks: Some(blocks),
            tag: Some(tag),
        })
        .await
        .unwrap();
    let SlackReply::Message { ts, .. } = posted else {
        panic!("{posted:?}")
    };
    // A replayed step finds its earlier post by the tag in the message metadata.
    let find = |tag: PostTag, thread: Option<&str>| SlackRequest::FindPost {
        channel: "C1".into(),
        thread_ts: thread.map(str::to_owned),
        tag,
        since: None,
    };
    assert_eq!(
        api.call(find(tag, Some("1.0"))).await.unwrap(),
        SlackReply::Message {
            channel: "C1".into(),
            ts: ts.clone()
        },
        "conversations.replies with include_all_metadata finds the tagged post"
    );
    let other = PostTag { seq: 1, ..tag };
    assert_eq!(api.call(find(other, Some("1.0"))).await.unwrap(), SlackReply::Ok);
    assert_eq!(
        api.call(find(tag, None)).await.unwrap(),
        SlackReply::Ok,
        "a thread reply is not in the channel's history"
    );
    let replies = slack.calls_to("conversations.replies");
    assert_eq!(replies[0]["include_all_metadata"], "true");
    // Without the flag, Slack (and the fake) keep the metadata's type and drop its payload,
    // so no tag could be read back.
    let thread = |all: Option<bool>| {
        let mut args = json!({"channel": "C1", "ts": "1.0"});
        if let Some(all) = all {
            args["include_all_metadata"] = json!(all);
        }
        SlackRequest::Call {
            method: "conversations.replies".into(),
            args,
        }
    };
    for (all, payload) in [(None, false), (Some(false), false), (Some(true), true)] {
        let SlackReply::Json(answer) = api.call(thread(all)).await.unwrap() else {
            panic!("a raw call answers JSON")
        };
        let metadata = &answer["messages"][0]["metadata"];
        assert_eq!(metadata["event_type"], PostTag::EVENT_TYPE, "{all:?}: {answer}");
        assert_eq!(metadata.get("event_payload").is_some(), payload, "{all:?}: {answer}");
        assert_eq!(PostTag::from_metadata(metadata).is_some(), payload, "{all:?}");
    }
    api.call(SlackRequest::UpdateMessage {
        channel: "C1".into(),
        ts: ts.clone(),
        text: "bye".into(),
        blocks: None,
    })
    .await
    .unwrap();
    api.call(SlackRequest::PostEphemeral {
        channel: "C1".into(),
        user: "U1".into(),
        thread_ts: None,
        text: "psst".into(),
        blocks: None,
    })
    .await
    .unwrap();
    let view = slack_orchestrator::blocks::modal("cb", "Title", "OK", vec![]);
    let opened = api
        .call(SlackRequest::OpenView {
            trigger_id: "t1".into(),
            view: view.clone(),
        })
        .await
        .unwrap();
    let SlackReply::View { id } = opened else {
        panic!("{opened:?}")
    };
    api.call(SlackRequest::UpdateView {
        view_id: id.clone(),
        view: view.clone(),
    })
    .await
    .unwrap();
    api.call(SlackRequest::PushView {
        trigger_id: "t2".into(),
        view,
    })
    .await
    .unwrap();
    let url = slack.response_url("r1");
    api.call(SlackRequest::Respond {
        response_url: url,
        text: "done".into(),
        replace_original: true,
        in_channel: false,
    })
    .await
    .unwrap();

    let methods = slack.methods();
    assert_eq!(
        methods,
        [
            "auth.test",
            "auth.test",
            "chat.postMessage",
            "conversations.replies",
            "conversations.replies",
            "conversations.history",
            "conversations.replies",
            "conversations.replies",
            "conversations.replies",
            "chat.update",
            "chat.postEphemeral",
            "views.open",
            "views.update",
            "views.push",
            "response_url"
        ]
    );
    let post = &slack.calls_to("chat.postMessage")[0];
    assert_eq!(
        (post["thread_ts"].as_str(), post["blocks"][0]["type"].as_str()),
        (Some("1.0"), Some("section"))
    );
    assert_eq!(slack.calls_to("chat.update")[0]["ts"], ts.as_str());
    assert_eq!(slack.calls_to("views.update")[0]["view_id"], id.as_str());
    let respond = &slack.calls_to("response_url")[0];
    assert_eq!(
        (respond["text"].as_str(), respond["replace_original"].as_bool()),
        (Some("done"), Some(true))
    );

    let refused = api
        .call(SlackRequest::PostMessage {
            channel: "C1".into(),
            thread_ts: None,
            text: "x".into(),
            blocks: Some(json!({"not": "a list of blocks"})),
            tag: None,
        })
        .await;
    assert!(
        matches!(
            &refused,
            Err(slack_orchestrator::SlackError::InvalidRequest { method, .. }) if method == "chat.postMessage"
        ),
        "{refused:?}"
    );
    slack.rate_limit_next("chat.postEphemeral", 4, 0);
    let limited = api
        .call(SlackRequest::PostEphemeral {
            channel: "C1".into(),
            user: "U1".into(),
            thread_ts: None,
            text: "x".into(),
            blocks: None,
        })
        .await;
    assert_eq!(
        limited,
        Err(slack_orchestrator::SlackError::RateLimited {
            method: "chat.postEphemeral".into()
        }),
        "three retries, then the error"
    );
}

#[tokio::test]
async fn an_answer_through_a_response_url_says_whether_the_whole_channel_sees_it() {
    use slack_orchestrator::testkit::FakeSlack;
    use slack_orchestrator::{SlackApi, SlackRequest, SlackWebApi};
    let slack = FakeSlack::start().await;
    let api = SlackWebApi::new("xoxb-t", Some(&slack.api_url())).unwrap();
    for (n, in_channel) in [false, true].into_iter().enumerate() {
        let answer = SlackRequest::Respond {
            response_url: slack.response_url(&format!("r{n}")),
            text: format!("answer {n}"),
            replace_original: false,
            in_channel,
        };
        api.call(answer).await.unwrap();
    }
    // Slack shows an answer without `response_type` to the user alone (`ephemeral`).
    let answers = slack.calls_to("response_url");
    let types: Vec<_> = answers.iter().map(|a| a["response_type"].as_str()).collect();
    assert_eq!(types, [Some("ephemeral"), Some("in_channel")]);
    assert_eq!(answers[1]["text"], "answer 1");
    let calls = slack.calls();
    let tokens: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "response_url")
        .map(|c| c.token.clone())
        .collect();
    assert_eq!(tokens, [None, None], "a response_url takes no token");
}

#[tokio::test]
async fn socket_mode_reconnects_when_slack_asks() {
    let bot = LiveBot::start(Transport::Socket, Orchestrator::builder().flow::<Onboarding>()).await;
    assert_eq!(bot.slack().calls_to("apps.connections.open").len(), 1);
    bot.slack()
        .socket_send(&json!({"type": "disconnect", "reason": "refresh_requested"}));
    let reopened = bot.slack().wait_for("apps.connections.open", 2, WAIT).await;
    assert_eq!(reopened.len(), 2, "the bot asked for a new connection");
    for _ in 0..500 {
        if bot.slack().socket_clients() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ok(&bot.event(&dm("U_AGAIN", "hi")).await);
    assert_eq!(
        texts(&bot, 1).await,
        ["Let's start the workflow. Step 1: What's your name?"]
    );
    bot.stop().await;
}

/// The onboarding bot's builder on `slack`, its Web API client giving up after a second.
fn impatient(
    slack: &slack_orchestrator::testkit::FakeSlack,
) -> (slack_orchestrator::OrchestratorBuilder, slack_orchestrator::SlackWebApi) {
    let api = slack_orchestrator::SlackWebApi::new("xoxb-t", Some(&slack.api_url()))
        .unwrap()
        .with_timeout(Duration::from_secs(1));
    let builder = Orchestrator::builder()
        .flow::<Onboarding>()
        .slack(std::sync::Arc::new(api.clone()));
    (builder, api)
}

/// [`impatient`], built.
fn impatient_bot(slack: &slack_orchestrator::testkit::FakeSlack) -> (Orchestrator, slack_orchestrator::SlackWebApi) {
    let (builder, api) = impatient(slack);
    (builder.build().unwrap(), api)
}

#[tokio::test]
async fn a_post_slack_never_answers_is_given_up_on_and_the_flow_says_so() {
    use slack_orchestrator::SlackApi;
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    // Without patience for Slack outages: the step's error takes its course at once.
    let (builder, api) = impatient(&slack);
    let bot = builder.slack_patience(Duration::ZERO).build().unwrap();
    // The request is lost: no post, no answer. The step hears of it after a second.
    slack.lose_next("chat.postMessage");
    let outcome = bot.handle_json(&dm("U_LOST", "hi")).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    let flow = bot.store().list(false, 1).await.unwrap().remove(0);
    assert_eq!(
        flow.error.as_deref(),
        Some("chat.postMessage failed to reach Slack: no answer within 1s")
    );
    assert_eq!(
        texts_of(&slack),
        ["Sorry, something went wrong and this conversation had to stop."],
        "the post was looked for, not sent again; the apology went out"
    );
    assert_eq!(
        slack.methods().iter().filter(|m| *m == "conversations.history").count(),
        1
    );
    // The client is not stuck: the next calls are answered.
    assert!(api.auth_test().await.is_ok());
    let again = slack_orchestrator::SlackRequest::PostMessage {
        channel: "DU_LOST".into(),
        thread_ts: None,
        text: "again".into(),
        blocks: None,
        tag: None,
    };
    assert!(api.call(again).await.is_ok());
}

/// The bot's first question, which Slack made but did not confirm as `plan` says, is found
/// by its tag: not sent again, no apology, and the conversation goes on.
async fn made_but_not_confirmed(user: &str, plan: impl FnOnce(&slack_orchestrator::testkit::FakeSlack)) {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let (bot, _) = impatient_bot(&slack);
    plan(&slack);
    let outcome = bot.handle_json(&dm(user, "hi")).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    assert_eq!(
        texts_of(&slack),
        ["Let's start the workflow. Step 1: What's your name?"],
        "the post was found by its tag: not sent again, no apology"
    );
    let answer = bot.handle_json(&dm(user, "Ana")).await.unwrap();
    assert_eq!(answer.state(), Some(FlowState::WaitingForResponse), "{answer:?}");
}

#[tokio::test]
async fn a_post_slack_made_but_answered_late_is_found_and_the_flow_goes_on() {
    // Slack makes the post at once but answers a minute later.
    made_but_not_confirmed("U_LATE", |slack| {
        slack.answer_late_next("chat.postMessage", Duration::from_secs(60))
    })
    .await;
}

#[tokio::test]
async fn a_post_slack_could_not_make_is_tried_again_and_the_flow_goes_on() {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let (bot, _) = impatient_bot(&slack);
    // Slack's edge answers 503 twice without making the post; the third try is made.
    slack.unavailable_next("chat.postMessage", 2, 503);
    let started = tokio::time::Instant::now();
    let outcome = bot.handle_json(&dm("U_DOWN", "hi")).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    assert_eq!(
        texts_of(&slack),
        ["Let's start the workflow. Step 1: What's your name?"],
        "posted once, on the third try"
    );
    let look_ups = slack.methods().iter().filter(|m| *m == "conversations.history").count();
    assert_eq!(look_ups, 2, "each 503 was followed by a look-up that found nothing");
    assert!(
        started.elapsed() >= Duration::from_millis(2250),
        "waited about 1 s, then 2 s (give or take a quarter)"
    );
}

/// An impatient onboarding bot with one-second event leases, and a fake Slack that
/// answers 503 to its next `posts` tries of `chat.postMessage`.
async fn during_an_outage(posts: usize) -> (slack_orchestrator::testkit::FakeSlack, Orchestrator) {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let (builder, _) = impatient(&slack);
    let bot = builder.event_lease(Duration::from_secs(1)).build().unwrap();
    slack.unavailable_next("chat.postMessage", posts, 503);
    (slack, bot)
}

#[tokio::test]
async fn a_slack_outage_puts_the_step_off_and_the_conversation_goes_on_when_slack_is_back() {
    // Slack answers 503 to the first try of the bot's first post and to the client's three
    // retries (after about 1, 2 and 4 s): longer than the client waits.
    let (slack, bot) = during_an_outage(4).await;
    let error = bot.handle_json(&dm("U_OUTAGE", "hi")).await.unwrap_err();
    assert!(
        matches!(error, slack_orchestrator::OrchestratorError::ReplayUnsure(_)),
        "put off, not failed: {error}"
    );
    assert!(texts_of(&slack).is_empty(), "no apology: the flow did not end");
    let flow = bot.store().list(false, 1).await.unwrap().remove(0);
    assert_eq!(
        flow.state,
        FlowState::Initiated,
        "saved before its first step, and no further"
    );
    // Slack is back; once the event's lease has ended, it is applied again, as a replay.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(bot.recover().await.unwrap(), 1, "the pending event is applied");
    assert_eq!(
        texts_of(&slack),
        ["Let's start the workflow. Step 1: What's your name?"],
        "posted once"
    );
    let answer = bot.handle_json(&dm("U_OUTAGE", "Ana")).await.unwrap();
    assert_eq!(answer.state(), Some(FlowState::WaitingForResponse), "{answer:?}");
    assert_eq!(
        texts_of(&slack)[1],
        "Nice to meet you, Ana! Step 2: What can I help you with?"
    );
}

#[tokio::test]
async fn during_a_slack_outage_a_users_next_answer_waits_for_the_question_before_it() {
    // Down for the first event's run and for its retry, which the second event starts.
    let (slack, bot) = during_an_outage(8).await;
    assert!(bot.handle_json(&dm("U_WAIT", "hi")).await.is_err());
    let error = bot.handle_json(&dm("U_WAIT", "Ana")).await.unwrap_err();
    assert!(
        matches!(error, slack_orchestrator::OrchestratorError::EarlierPending(_)),
        "the answer is not applied before the event whose step asks the question: {error}"
    );
    let flow = bot.store().list(false, 1).await.unwrap().remove(0);
    assert_eq!(flow.state, FlowState::Initiated, "neither was saved");
    // Slack is back: both are taken over, side by side, and applied in their order.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(bot.recover().await.unwrap(), 2);
    assert_eq!(
        texts_of(&slack),
        [
            "Let's start the workflow. Step 1: What's your name?",
            "Nice to meet you, Ana! Step 2: What can I help you with?"
        ]
    );
}

#[tokio::test]
async fn a_post_slack_made_but_called_an_internal_error_is_found_not_sent_again() {
    // Slack makes the post, then answers `internal_error` ("it's possible some aspect of
    // the operation succeeded").
    made_but_not_confirmed("U_HALF", |slack| {
        slack.fail_after_making_next("chat.postMessage", "internal_error")
    })
    .await;
}

/// A post to a user id that Slack made (in their DM) but called an `internal_error`: the
/// client cannot look for it under the user id, so the step is put off, and its replay
/// looks in the DM (`conversations.open`) and finds it.
#[tokio::test]
async fn a_post_to_a_user_id_slack_made_but_called_an_internal_error_is_found_in_their_dm() {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let (builder, _) = impatient(&slack);
    let bot = builder
        .flow::<NewMember>()
        .event_lease(Duration::from_secs(1))
        .build()
        .unwrap();
    slack.fail_after_making_next("chat.postMessage", "internal_error");
    let joined = payloads::team_join(TEAM, "U_JOINED", false, "EvJoinedLive");
    let error = bot.handle_json(&joined).await.unwrap_err();
    assert!(
        matches!(error, slack_orchestrator::OrchestratorError::ReplayUnsure(_)),
        "put off, not posted again: {error}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(bot.recover().await.unwrap(), 1, "the pending event is applied");
    let welcome = "Welcome to the workspace, <@U_JOINED>! I'll get you set up. What's your role?";
    assert_eq!(texts_of(&slack), [welcome], "posted once");
    let answer = payloads::direct_message(TEAM, "U_JOINED", "designer", "1800000000.900001", "EvJoinedRole");
    bot.handle_json(&answer).await.unwrap();
    let posted = slack.calls_to("chat.postMessage");
    assert_eq!(
        (&posted[1]["channel"], &posted[1]["text"]),
        (
            &json!("DU_JOINED"),
            &json!("Got it: designer. Which team are you joining?")
        )
    );
}

#[tokio::test]
async fn an_untagged_post_slack_could_not_make_is_not_sent_again_but_an_update_is() {
    use slack_orchestrator::{SlackApi, SlackError, SlackRequest};
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let (_, api) = impatient_bot(&slack);
    let post = SlackRequest::PostMessage {
        channel: "C1".into(),
        thread_ts: None,
        text: "once".into(),
        blocks: None,
        tag: None,
    };
    // Without a tag, nothing tells whether a failed post was made in part: it is not sent
    // again (the next call would be answered).
    slack.unavailable_next("chat.postMessage", 1, 503);
    assert_eq!(
        api.call(post.clone()).await,
        Err(SlackError::Transport {
            method: "chat.postMessage".into(),
            detail: "Slack answered 503 Service Unavailable".into()
        })
    );
    slack.fail_next("chat.postMessage", "fatal_error");
    assert_eq!(
        api.call(post).await,
        Err(SlackError::Api {
            method: "chat.postMessage".into(),
            code: "fatal_error".into()
        })
    );
    assert!(texts_of(&slack).is_empty(), "neither was sent again");
    // An update shows the same message however often it is made: it is tried again.
    slack.unavailable_next("chat.update", 1, 502);
    let update = SlackRequest::UpdateMessage {
        channel: "C1".into(),
        ts: "1.0".into(),
        text: "edited".into(),
        blocks: None,
    };
    assert!(api.call(update).await.is_ok());
    assert_eq!(slack.calls_to("chat.update").len(), 1);
}

fn texts_of(slack: &slack_orchestrator::testkit::FakeSlack) -> Vec<String> {
    let posts = slack.calls_to("chat.postMessage");
    posts
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_view_and_an_update_reach_slack_as_built_not_as_slack_morphism_models_them() {
    use slack_orchestrator::testkit::FakeSlack;
    use slack_orchestrator::{SlackApi, SlackRequest, SlackWebApi};
    let slack = FakeSlack::start().await;
    let api = SlackWebApi::new("xoxb-t", Some(&slack.api_url())).unwrap();
    let plain = |text: &str| json!({"type": "plain_text", "text": text});
    // Block Kit as Slack documents it, with what slack-morphism's models rewrite: a radio
    // button's markdown description (made plain text) and an overflow option's URL (given
    // a trailing slash).
    let choices = json!({"type": "actions", "block_id": "pick", "elements": [
        {"type": "radio_buttons", "action_id": "plan", "options": [
            {"text": plain("Pro"), "value": "pro", "description": {"type": "mrkdwn", "text": "*best* value"}}]},
        {"type": "overflow", "action_id": "more", "options": [
            {"text": plain("Docs"), "value": "docs", "url": "https://example.com"}]}]});
    let view = json!({"type": "modal", "callback_id": "plan", "title": plain("Plan"), "blocks": [choices.clone()]});
    let opened = SlackRequest::OpenView {
        trigger_id: "t1".into(),
        view: view.clone(),
    };
    api.call(opened).await.unwrap();
    let update = SlackRequest::UpdateMessage {
        channel: "C1".into(),
        ts: "1.1".into(),
        text: "Pick a plan".into(),
        blocks: Some(json!([choices])),
    };
    api.call(update).await.unwrap();
    let ephemeral = SlackRequest::PostEphemeral {
        channel: "C1".into(),
        user: "U1".into(),
        thread_ts: Some("1.0".into()),
        text: "Pick a plan".into(),
        blocks: Some(json!([choices])),
    };
    let posted = api.call(ephemeral).await.unwrap();
    let answered = slack
        .calls()
        .into_iter()
        .find(|c| c.method == "chat.postEphemeral")
        .unwrap();
    let message_ts = answered.reply["message_ts"].as_str().unwrap().to_owned();
    assert_eq!(
        posted,
        slack_orchestrator::SlackReply::Ephemeral { ts: message_ts },
        "Slack's `message_ts`, which the clicks on it carry"
    );
    assert_eq!(slack.calls_to("views.open")[0]["view"], view);
    assert_eq!(slack.calls_to("chat.update")[0]["blocks"], json!([choices]));
    let sent = &slack.calls_to("chat.postEphemeral")[0];
    assert_eq!(
        (&sent["blocks"], &sent["thread_ts"]),
        (&json!([choices]), &json!("1.0"))
    );
    // What the models refuse is still refused here, before Slack is asked.
    let broken = json!({"type": "modal", "blocks": [choices]}); // no title
    let refused = api
        .call(SlackRequest::OpenView {
            trigger_id: "t2".into(),
            view: broken,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, slack_orchestrator::SlackError::InvalidRequest { detail, .. } if detail.contains("title")),
        "{refused}"
    );
    assert_eq!(slack.calls_to("views.open").len(), 1);
}
