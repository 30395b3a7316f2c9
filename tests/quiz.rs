//! The quiz example in virtual time: a deadline that continues the flow (a hint), a late
//! answer after it, and the final timeout; wrong answers do not move the deadline.

#[path = "../examples/quiz.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator};
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
