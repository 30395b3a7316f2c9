//! The quiz example in virtual time: a deadline that continues the flow (a hint), a late
//! answer after it, and the final timeout; wrong answers do not move the deadline.

#[path = "../examples/quiz.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Orchestrator, RecordingSlack, SlackOutage, SlackRequest};
use std::time::Duration;

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<example::quiz::Quiz>())
}

#[tokio::test(start_paused = true)]
async fn a_timeout_handler_gives_a_hint_and_a_late_answer_still_counts() {
    let bot = bot();
    let mut alice = bot.dm("U_ALICE");
    alice.send("hi").await;
    alice.expect_reply("Quick quiz: what is the capital of France? You have 20 seconds.");
    assert_eq!(bot.advance(Duration::from_secs(21)).await, 1, "the deadline fired");
    alice.expect_reply("Hint: it is called the City of Light. 20 more seconds.");
    assert_eq!(
        bot.flows().await[0].state,
        FlowState::WaitingForResponse,
        "the flow goes on"
    );
    alice.send("paris").await;
    alice.expect_reply("Correct: Paris!");
    assert_eq!(bot.flows().await[0].state, FlowState::Completed);
    assert_eq!(bot.advance(Duration::from_secs(60)).await, 0, "no deadline is left");
}

/// An answer that arrives after the deadline, before the timer engine got to it (a busy
/// engine, or another replica's): the deadline came first, so the hint goes first, then
/// the answer counts; the deadline fires once.
#[tokio::test(start_paused = true)]
async fn an_answer_after_the_deadline_comes_after_the_hint_even_before_the_timer_fires() {
    let bot = bot();
    let mut carol = bot.dm("U_CAROL");
    carol.send("hi").await;
    carol.expect_reply(QUESTION);
    tokio::time::advance(Duration::from_secs(21)).await; // no timer pass yet
    carol.send("paris").await;
    carol.expect_reply(HINT);
    carol.expect_reply("Correct: Paris!");
    assert_eq!(bot.flows().await[0].state, FlowState::Completed);
    assert_eq!(bot.advance(Duration::from_secs(60)).await, 0, "nothing left to fire");
}

#[tokio::test(start_paused = true)]
async fn wrong_answers_do_not_buy_time_and_the_second_deadline_ends_the_quiz() {
    let bot = bot();
    let mut bob = bot.dm("U_BOB");
    bob.send("hi").await;
    bob.expect_reply("Quick quiz: what is the capital of France? You have 20 seconds.");
    tokio::time::advance(Duration::from_secs(15)).await;
    bob.send("Lyon").await;
    bob.expect_reply("Not quite; try again.");
    assert_eq!(
        bot.advance(Duration::from_secs(6)).await,
        1,
        "20 s after the question, not after the wrong answer"
    );
    bob.expect_reply("Hint: it is called the City of Light. 20 more seconds.");
    assert_eq!(bot.advance(Duration::from_secs(21)).await, 1);
    bob.expect_reply("Time's up! The answer was Paris.");
    bob.expect_no_reply();
    assert_eq!(bot.flows().await[0].state, FlowState::TimedOut);
    let graph = bot.orchestrator().flows().next().unwrap().graph().to_mermaid();
    assert!(graph.contains("Answer --> Hinted: Timeout"), "{graph}");
    // What the handlers return through the module's `judge`, and the hinted step's deadline.
    for edge in [
        "Answer --> [*]: Text / complete",
        "Hinted --> Hinted: Text / stay",
        "Hinted --> [*]: timed out",
    ] {
        assert!(graph.contains(edge), "{edge} missing from {graph}");
    }
    assert!(
        !graph.contains("Answer --> [*]: timed out"),
        "Answer's deadline brings the hint: {graph}"
    );
}

/// The texts the bot posted so far, in order.
fn posted(slack: &RecordingSlack) -> Vec<String> {
    let posts = slack.requests().into_iter();
    posts
        .filter_map(|request| match request {
            SlackRequest::PostMessage { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

const QUESTION: &str = "Quick quiz: what is the capital of France? You have 20 seconds.";
const HINT: &str = "Hint: it is called the City of Light. 20 more seconds.";

/// A quiz whose hint falls due while Slack is down as `outage` says: put off, not failed;
/// once Slack is back and the timeout's claim has lapsed, it fires again and the quiz goes
/// on. Returns the recorder and the bot.
async fn hint_due_in_an_outage(outage: SlackOutage) -> (std::sync::Arc<RecordingSlack>, Orchestrator) {
    let slack = RecordingSlack::new();
    let bot = Orchestrator::builder()
        .flow::<example::quiz::Quiz>()
        .slack(slack.clone())
        .bot_user(slack_orchestrator::testkit::BOT_USER)
        .build()
        .unwrap();
    let hi = payloads::direct_message(TEAM, "U_DOWN", "hi", "1.1", "EvQuizDown");
    bot.handle_json(&hi).await.unwrap();
    assert_eq!(posted(&slack), [QUESTION]);

    slack.go_down(outage);
    tokio::time::advance(Duration::from_secs(21)).await;
    assert_eq!(bot.fire_due_timeouts().await.unwrap(), 0, "put off, not fired");
    let flow = bot.store().list(false, 1).await.unwrap().remove(0);
    assert_eq!(
        (flow.state, flow.step_name.as_str()),
        (FlowState::WaitingForResponse, "Answer"),
        "nothing of the timeout was saved, and the flow did not end"
    );

    slack.come_back();
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(bot.fire_due_timeouts().await.unwrap(), 0, "still claimed");
    tokio::time::advance(Duration::from_secs(31)).await;
    assert_eq!(bot.fire_due_timeouts().await.unwrap(), 1, "fired once the claim lapsed");
    let flow = bot.store().list(false, 1).await.unwrap().remove(0);
    assert_eq!(
        (flow.state, flow.step_name.as_str()),
        (FlowState::WaitingForResponse, "Hinted")
    );
    (slack, bot)
}

#[tokio::test(start_paused = true)]
async fn a_hint_due_while_slack_is_down_is_put_off_and_sent_when_slack_is_back() {
    let (slack, bot) = hint_due_in_an_outage(SlackOutage::Unavailable).await;
    assert_eq!(posted(&slack), [QUESTION, HINT], "no apology, the hint once");
    tokio::time::advance(Duration::from_secs(21)).await;
    assert_eq!(bot.fire_due_timeouts().await.unwrap(), 1);
    assert_eq!(
        posted(&slack).last().map(String::as_str),
        Some("Time's up! The answer was Paris.")
    );
}

#[tokio::test(start_paused = true)]
async fn a_hint_slack_made_during_an_outage_is_found_when_its_timeout_fires_again() {
    let (slack, _bot) = hint_due_in_an_outage(SlackOutage::MadeButFailed).await;
    assert_eq!(
        posted(&slack),
        [QUESTION, HINT],
        "the second firing found the hint by its tag: not sent again"
    );
}
