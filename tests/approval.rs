//! Participants and timeouts, with `examples/approval.rs`.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/approval.rs"]
mod example;

use example::approval::Approval;
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator, Outcome, SlackRequest};
use std::time::Duration;

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Approval>())
}

#[tokio::test]
async fn only_participants_can_decide() {
    let bot = bot();
    let (mut requester, outcome) = bot.command("U_DEV", "C_OPS", "/approve", "deploy v2").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    requester.expect_reply("Approval requested: deploy v2");

    let mut stranger = requester.as_user("U_STRANGER");
    let before = bot.flows().await;
    let outcome = stranger.click("approve").await;
    assert!(matches!(outcome, Outcome::NotParticipant { .. }), "{outcome:?}");
    stranger.expect_ephemeral("Only the people taking part in this conversation can answer here.");
    assert_eq!(bot.flows().await, before, "a stranger's click changes nothing");

    let mut approver = requester.as_user("U_APPROVER");
    let outcome = approver.click("approve").await;
    assert!(
        matches!(outcome, Outcome::Advanced { state: FlowState::Completed, ref step, .. } if step == "Approved"),
        "{outcome:?}"
    );
    let update = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::UpdateMessage { text, .. } => Some(text),
        _ => None,
    });
    assert_eq!(update.as_deref(), Some("*deploy v2* was approved by <@U_APPROVER>"));
    assert_eq!(bot.flows().await[0].metadata["decided_by"], "U_APPROVER");
}

#[tokio::test]
async fn a_rejection_ends_the_flow_in_error_with_the_reason() {
    let bot = bot();
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "drop the database").await;
    requester.as_user("U_APPROVER").click("reject").await;
    requester.expect_reply("Approval requested: drop the database");
    requester.expect_reply("drop the database was rejected.");
    let record = &bot.flows().await[0];
    assert_eq!(record.state, FlowState::Error);
    assert_eq!(record.error.as_deref(), Some("drop the database was rejected."));
}

#[tokio::test]
async fn an_empty_request_fails_with_usage() {
    let bot = bot();
    let (mut requester, outcome) = bot.command("U_DEV", "C_OPS", "/approve", "  ").await;
    assert_eq!(outcome.state(), Some(FlowState::Error));
    requester.expect_reply("Usage: /approve <what to approve>");
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_request_times_out_once_and_runs_the_hook() {
    let bot = bot();
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "deploy v3").await;
    requester.expect_reply("Approval requested: deploy v3");

    assert_eq!(bot.advance(Duration::from_secs(59 * 60)).await, 0, "not yet due");
    requester.expect_no_reply();
    assert_eq!(bot.advance(Duration::from_secs(61)).await, 1);
    requester.expect_reply("Nobody decided within the hour; the request expired.");
    assert_eq!(bot.advance(Duration::from_secs(3600)).await, 0, "a timeout fires once");
    requester.expect_no_reply();

    let record = &bot.flows().await[0];
    assert_eq!(record.state, FlowState::TimedOut);
    assert_eq!(record.metadata["expired"], "deploy v3", "the on_timeout hook ran");

    let outcome = requester.as_user("U_APPROVER").click("approve").await;
    assert!(matches!(outcome, Outcome::Ended { .. }));
}
