//! A step reaches the whole Web API: it opens a DM with someone else (an approver), posts
//! there, and calls any method with JSON (`users.info`), over real HTTP against the fake
//! Slack, with the same 429 handling as the typed calls and Slack's error codes as errors.

use serde_json::json;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
use slack_orchestrator::{FlowState, Orchestrator};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

#[slack_orchestrator::flow(trigger = direct_message)]
mod ask_boss {
    use slack_orchestrator::prelude::*;

    pub(crate) enum AskBoss {
        #[start]
        Ask,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, said: Text) -> Next<AskBoss> {
        let boss = "U_BOSS";
        let dm = cx.open_dm(boss).await?;
        let asked = cx
            .post_to(&dm, format!("{} asks: {}", cx.user_id(), said.as_str()), None)
            .await?;
        let info = cx.api_call("users.info", serde_json::json!({"user": boss})).await?;
        let tz = info["user"]["tz"].as_str().unwrap_or("UTC").to_owned();
        if said.as_str() == "who is ghost" {
            cx.api_call("users.info", serde_json::json!({"user": "U_GHOST"}))
                .await?;
        }
        complete(format!("Asked {boss} ({tz}) in {dm} at {}.", asked.ts().unwrap_or("?")))
    }
}

fn dm(user: &str, text: &str, id: &str) -> serde_json::Value {
    payloads::direct_message(TEAM, user, text, "1800000000.000001", id)
}

#[tokio::test]
async fn a_step_opens_a_dm_posts_there_and_calls_any_method() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<ask_boss::AskBoss>()).await;
    bot.slack().rate_limit_next("users.info", 1, 1);
    let started = tokio::time::Instant::now();
    bot.event(&dm("U_ALICE", "a new laptop", "EvBoss1")).await;
    let posted = bot.slack().wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted[0]["channel"], "DU_BOSS",
        "the approver's DM, from conversations.open"
    );
    assert_eq!(posted[0]["text"], "U_ALICE asks: a new laptop");
    let done = posted[1]["text"].as_str().unwrap();
    let ts = done
        .strip_prefix("Asked U_BOSS (Europe/Paris) in DU_BOSS at ")
        .and_then(|rest| rest.strip_suffix('.'));
    assert!(
        ts.and_then(|ts| ts.split_once('.'))
            .is_some_and(|(secs, micros)| secs.parse::<u64>().is_ok() && micros.len() == 6),
        "users.info answered after its 429 was waited out, and the post's ts came back: {done}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the 429's Retry-After of 1 s was waited out"
    );
    assert_eq!(
        bot.slack().calls_to("users.info"),
        [json!({"user": "U_BOSS"})],
        "then the call went through, with Slack's arguments as given"
    );
    bot.stop().await;
}

#[tokio::test]
async fn slacks_error_code_from_a_raw_call_fails_the_step_with_it() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<ask_boss::AskBoss>()).await;
    bot.slack().fail_next("users.info", "user_not_found");
    bot.event(&dm("U_ALICE", "hello", "EvBoss2")).await;
    let mut flows = Vec::new();
    for _ in 0..200 {
        flows = bot.orchestrator().store().list(false, 10).await.unwrap();
        if flows.iter().any(|f| !f.is_active()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(flows[0].state, FlowState::Error);
    assert_eq!(
        flows[0].error.as_deref(),
        Some("users.info failed: user_not_found"),
        "Slack's own error code, with the method"
    );
    bot.stop().await;
}

/// A step calling the Web API typed, with slack-morphism's models.
#[slack_orchestrator::flow(trigger = direct_message)]
mod whois {
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::slack_morphism::prelude::*;

    pub(crate) enum Whois {
        #[start]
        Ask,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, said: Text) -> Next<Whois> {
        let request = SlackApiUsersInfoRequest::new(SlackUserId::new(said.as_str().trim().to_owned()));
        let answer: SlackApiUsersInfoResponse = cx.web_api("users.info", &request).await?;
        let user = answer.user;
        let name = user.profile.and_then(|p| p.real_name).unwrap_or_default();
        complete(format!("{name} works in {}.", user.tz.unwrap_or_default()))
    }
}

#[tokio::test]
async fn a_step_calls_the_web_api_typed_with_slack_morphisms_models() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<whois::Whois>()).await;
    bot.slack().rate_limit_next("users.info", 1, 1);
    bot.event(&dm("U_ALICE", "U_CARLA", "EvWho1")).await;
    let posted = bot.slack().wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(
        posted[0]["text"], "User U_CARLA works in Europe/Paris.",
        "after its 429"
    );
    assert_eq!(
        bot.slack().calls_to("users.info"),
        [json!({"user": "U_CARLA"})],
        "the typed request as Slack documents it, the unset `include_locale` left out"
    );

    bot.slack().fail_next("users.info", "user_not_found");
    bot.event(&dm("U_BOB", "U_NOBODY", "EvWho2")).await;
    let failed = bot.slack().wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(failed[1]["channel"], "DU_BOB");
    bot.stop().await;
}

/// Answers each method with the JSON of `answers`, counting the calls: a Slack whose answers
/// are `ok` but shaped otherwise than slack-morphism's models expect.
async fn slack_answering(answers: serde_json::Value) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::extract::Path;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().route(
        "/api/{method}",
        axum::routing::any(move |Path(method): Path<String>| {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = answers[method.as_str()].clone();
            async move { axum::Json(answer) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test]
async fn an_ok_answer_is_read_for_what_the_bot_needs_whatever_else_it_holds() {
    use slack_orchestrator::{SlackApi, SlackReply, SlackRequest, SlackWebApi};
    let (url, calls) = slack_answering(json!({
        // Without the workspace's `team` name and `url`.
        "auth.test": {"ok": true, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"},
        // Without the echoed `message` slack-morphism's model requires.
        "chat.update": {"ok": true, "channel": "C1", "ts": "1800000000.000100", "text": "done"},
        // Without the `message_ts` it requires.
        "chat.postEphemeral": {"ok": true},
        // A view with a block type slack-morphism does not know, and few of a view's fields.
        "views.open": {"ok": true, "view": {"id": "V1", "type": "modal",
            "blocks": [{"type": "a_block_from_next_year", "block_id": "b1"}]}},
    }))
    .await;
    let slack = SlackWebApi::new("xoxb-test", Some(&url)).unwrap();

    let me = slack.auth_test().await.expect("auth.test answered");
    assert_eq!((me.user_id.as_str(), me.team_id.as_str()), ("UBOT", "T1"));
    assert_eq!(me.bot_id.as_deref(), Some("B1"));
    let update = SlackRequest::UpdateMessage {
        channel: "C1".into(),
        ts: "1800000000.000100".into(),
        text: "done".into(),
        blocks: None,
    };
    let updated = slack.call(update).await.expect("chat.update was carried out");
    assert_eq!(
        updated,
        SlackReply::Message {
            channel: "C1".into(),
            ts: "1800000000.000100".into()
        }
    );
    let ephemeral = SlackRequest::PostEphemeral {
        channel: "C1".into(),
        user: "U1".into(),
        thread_ts: None,
        text: "only you".into(),
        blocks: None,
    };
    assert_eq!(slack.call(ephemeral).await, Ok(SlackReply::Ok));
    let open = SlackRequest::OpenView {
        trigger_id: "1.2.3".into(),
        view: json!({"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}),
    };
    assert_eq!(slack.call(open).await, Ok(SlackReply::View { id: "V1".into() }));
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "each call made once: an answer Slack gave is not taken for no answer and tried again"
    );
}
