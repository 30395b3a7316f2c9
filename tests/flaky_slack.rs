//! Many conversations at once through a Slack that fails one post in two while it lasts:
//! 503s that made nothing, `internal_error`s that made the post anyway, 429s. Every
//! conversation must still complete, each of its messages posted exactly once, in order.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod onboarding_example;

use onboarding_example::Onboarding;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{Delivered, FakeSlack, LiveBot, Transport, TEAM};
use slack_orchestrator::{FlowState, Orchestrator};
use std::time::Duration;

const USERS: usize = 24;

/// The messages posted so far in each user's DM, by channel.
fn posted_in(slack: &FakeSlack, channel: &str) -> Vec<String> {
    let posts = slack.calls_to("chat.postMessage");
    let here = posts.iter().filter(|post| post["channel"] == channel);
    here.map(|post| post["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// One user through the conversation, each answer sent once the bot's question is there.
async fn converse(bot: &LiveBot, user: usize) -> Vec<String> {
    let (id, channel) = (format!("UFLAKY{user}"), format!("DUFLAKY{user}"));
    let said = ["hi", "Ana", "deploys"];
    for (n, text) in said.iter().enumerate() {
        let event = payloads::direct_message(
            TEAM,
            &id,
            text,
            &format!("1800000000.{user:03}{n:03}"),
            &format!("EvFlaky{user}x{n}"),
        );
        match bot.event(&event).await {
            Delivered::Http(sent) => assert_eq!(sent.status, 200, "{sent:?}"),
            Delivered::Socket(ack) => panic!("over HTTP only: {ack}"),
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        while posted_in(bot.slack(), &channel).len() <= n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    posted_in(bot.slack(), &channel)
}

#[tokio::test]
async fn conversations_through_a_flaky_slack_complete_with_each_message_posted_once() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Onboarding>()).await;
    let slack = bot.slack();
    // One post in two meets a fault, in turn: nothing made (503), made but answered
    // `internal_error`, rate limited (429); few enough rounds that all are met and that no
    // post meets four in a row (after three retries a post gives up, by design).
    let rounds = USERS / 6;
    for _ in 0..rounds {
        slack.pass_next("chat.postMessage", 1);
        slack.unavailable_next("chat.postMessage", 1, 503);
        slack.pass_next("chat.postMessage", 1);
        slack.fail_after_making_next("chat.postMessage", "internal_error");
        slack.pass_next("chat.postMessage", 1);
        slack.rate_limit_next("chat.postMessage", 1, 1);
    }
    let conversations = (0..USERS).map(|user| converse(&bot, user));
    let posted = futures_util::future::join_all(conversations).await;
    for (user, texts) in posted.iter().enumerate() {
        assert_eq!(
            texts,
            &[
                "Let's start the workflow. Step 1: What's your name?",
                "Nice to meet you, Ana! Step 2: What can I help you with?",
                "Thanks, Ana! I'll help you with: deploys",
            ],
            "user {user}: each message once, in order, and no apology"
        );
    }
    // The last message goes out just before its flow's end is saved.
    let store = bot.orchestrator().store();
    let mut flows = store.list(false, 1000).await.unwrap();
    for _ in 0..500 {
        if flows.iter().all(|flow| !flow.is_active()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        flows = store.list(false, 1000).await.unwrap();
    }
    assert_eq!(flows.len(), USERS);
    assert!(
        flows.iter().all(|flow| flow.state == FlowState::Completed),
        "{:?}",
        flows.iter().map(|f| (f.state, f.error.clone())).collect::<Vec<_>>()
    );
    let methods = slack.methods();
    let calls = |method: &str| methods.iter().filter(|m| *m == method).count();
    assert_eq!(
        calls("conversations.history"),
        2 * rounds,
        "each 503 and each internal_error was followed by one look-up"
    );
    assert_eq!(
        calls("chat.postMessage"),
        3 * USERS,
        "every post made once: the 503s made none, the internal_errors' were found"
    );
    bot.stop().await;
}
