//! The two-person approval, with `examples/approval.rs`: only the named approver decides,
//! in their DM (a click, or a reaction to the request); the request expires two minutes after it was made, whatever happens
//! meanwhile.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/approval.rs"]
mod example;

use example::approval::{approver_and_request, Approval};
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Incoming, Orchestrator, OrchestratorError, Outcome, SlackOutage, SlackRequest};
use std::time::Duration;

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Approval>())
}

/// The texts of the bot's `chat.update` calls, in order.
fn updates(bot: &TestBot) -> Vec<(String, String)> {
    bot.slack()
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::UpdateMessage { channel, text, .. } => Some((channel, text)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_approver_is_the_mention_as_slack_escapes_it() {
    assert_eq!(
        approver_and_request("<@U42|ana> deploy v2"),
        ("U42".into(), "deploy v2".into())
    );
    assert_eq!(
        approver_and_request(" <@U42>  deploy v2 "),
        ("U42".into(), "deploy v2".into())
    );
    assert_eq!(
        approver_and_request("deploy v2"),
        ("U_APPROVER".into(), "deploy v2".into())
    );
}

#[tokio::test]
async fn only_the_named_approver_decides_in_their_dm() {
    let bot = bot();
    let mut approver = bot.dm("U_BOSS");
    let (mut requester, outcome) = bot
        .command("U_DEV", "C_OPS", "/approve", "<@U_BOSS|boss> deploy v2")
        .await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    requester.expect_reply("I asked <@U_BOSS> to approve deploy v2; they have 2 minutes.");
    approver.expect_reply("Approval requested: deploy v2");

    // The requester clicking their own request, and a stranger, are refused.
    for user in ["U_DEV", "U_STRANGER"] {
        let mut someone = approver.as_user(user);
        let before = bot.flows().await;
        let outcome = someone.click("approve").await;
        assert!(matches!(outcome, Outcome::NotParticipant { .. }), "{user}: {outcome:?}");
        someone.expect_ephemeral("Only the people taking part in this conversation can answer here.");
        assert_eq!(bot.flows().await, before, "{user}'s click changes nothing");
    }

    let outcome = approver.click("approve").await;
    assert!(
        matches!(outcome, Outcome::Advanced { state: FlowState::Completed, ref step, .. } if step == "Approved"),
        "{outcome:?}"
    );
    assert_eq!(
        updates(&bot),
        [("DU_BOSS".to_owned(), "*deploy v2* was approved by <@U_BOSS>".to_owned())]
    );
    requester.expect_reply("<@U_BOSS> approved deploy v2.");
    assert_eq!(bot.flows().await[0].metadata["decided_by"], "U_BOSS");
}

#[tokio::test]
async fn the_approver_can_decide_by_reacting_to_the_request_in_their_dm() {
    let bot = bot();
    let mut approver = bot.dm("U_BOSS");
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "<@U_BOSS> deploy v2").await;
    requester.expect_reply("I asked <@U_BOSS> to approve deploy v2; they have 2 minutes.");
    approver.expect_reply("Approval requested: deploy v2");
    // The request belongs to the requester's flow: Slack's reaction event says only which
    // message, and the message's tag says which flow.
    let outcome = approver.react("eyes", true).await;
    assert_eq!(
        outcome.state(),
        Some(FlowState::WaitingForResponse),
        "no answer: {outcome:?}"
    );
    let outcome = approver.react("white_check_mark", true).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    assert_eq!(
        updates(&bot),
        [("DU_BOSS".to_owned(), "*deploy v2* was approved by <@U_BOSS>".to_owned())]
    );
    requester.expect_reply("<@U_BOSS> approved deploy v2.");
}

#[tokio::test]
async fn over_http_slack_is_asked_once_where_the_request_is_however_often_it_is_reacted_to() {
    use slack_orchestrator::testkit::{LiveBot, Transport, BOT_USER};
    let wait = Duration::from_secs(5);
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Approval>()).await;
    let form = payloads::slash_command(TEAM, "U_DEV", "C_OPS", "/approve", "<@U_BOSS> deploy v2", "1.t");
    bot.command(&form).await;
    bot.slack().wait_for("chat.postMessage", 2, wait).await;
    let calls = bot.slack().calls();
    let request = calls
        .iter()
        .find(|c| c.method == "chat.postMessage" && c.args["channel"] == "DU_BOSS")
        .expect("the request in the approver's DM");
    let ts = request.reply["ts"].as_str().unwrap();
    for (emoji, event) in [("eyes", "EvR1"), ("white_check_mark", "EvR2")] {
        let reaction = payloads::reaction(TEAM, "U_BOSS", "DU_BOSS", ts, BOT_USER, emoji, true, event);
        bot.event(&reaction).await;
    }
    let updated = bot.slack().wait_for("chat.update", 1, wait).await;
    assert_eq!(updated[0]["text"], "*deploy v2* was approved by <@U_BOSS>");
    assert_eq!(
        bot.slack().calls_to("conversations.replies").len(),
        1,
        "where a message is does not change: asked once"
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_rejection_ends_the_flow_in_error_with_the_reason() {
    let bot = bot();
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "drop the database").await;
    requester.expect_reply("I asked <@U_APPROVER> to approve drop the database; they have 2 minutes.");
    bot.dm("U_APPROVER").click("reject").await;
    requester.expect_reply("<@U_APPROVER> rejected drop the database.");
    let record = &bot.flows().await[0];
    assert_eq!(record.state, FlowState::Error);
    assert_eq!(
        record.error.as_deref(),
        Some("<@U_APPROVER> rejected drop the database.")
    );
}

#[tokio::test]
async fn an_empty_or_self_approved_request_fails_with_why() {
    let bot = bot();
    let (mut requester, outcome) = bot.command("U_DEV", "C_OPS", "/approve", "<@U_BOSS>  ").await;
    assert_eq!(outcome.state(), Some(FlowState::Error));
    requester.expect_reply("Usage: /approve @approver <what to approve>");
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "<@U_DEV> my raise").await;
    requester.expect_reply("You cannot approve your own request: name someone else.");
}

#[tokio::test(start_paused = true)]
async fn the_request_expires_two_minutes_after_it_was_made_whatever_happens_meanwhile() {
    let bot = bot();
    let (mut requester, _) = bot.command("U_DEV", "C_OPS", "/approve", "<@U_BOSS> deploy v3").await;
    requester.expect_reply("I asked <@U_BOSS> to approve deploy v3; they have 2 minutes.");

    // Refused clicks a minute in do not move the deadline.
    assert_eq!(bot.advance(Duration::from_secs(60)).await, 0);
    bot.dm("U_BOSS").as_user("U_DEV").click("approve").await;
    assert_eq!(bot.advance(Duration::from_secs(59)).await, 0, "1:59: not yet");
    requester.expect_no_reply();
    assert_eq!(bot.advance(Duration::from_secs(2)).await, 1, "2:01: expired");
    requester.expect_reply("Nobody decided within 2 minutes; the request expired.");
    assert_eq!(
        updates(&bot),
        [(
            "DU_BOSS".to_owned(),
            "*deploy v3* expired: nobody decided within 2 minutes.".to_owned()
        )]
    );
    assert_eq!(bot.advance(Duration::from_secs(3600)).await, 0, "a timeout fires once");

    let record = &bot.flows().await[0];
    assert_eq!(record.state, FlowState::TimedOut);
    assert_eq!(record.metadata["expired"], "deploy v3", "the on_timeout hook ran");
    let outcome = bot.dm("U_BOSS").click("approve").await;
    assert!(matches!(outcome, Outcome::Ended { .. }), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn a_request_whose_dm_slack_rate_limits_is_put_off_and_asked_when_slack_lets_it() {
    let bot = bot();
    let form = payloads::slash_command(TEAM, "U_DEV", "C_OPS", "/approve", "<@U_BOSS> deploy v2", "T_DOWN");
    let command = Incoming::from_slash_command(&form).unwrap();
    let (mut requester, mut approver) = (bot.channel("U_DEV", "C_OPS"), bot.dm("U_BOSS"));
    // Slack's limits are per method: posts go through, `conversations.open` is throttled
    // past the client's retries.
    bot.slack()
        .go_down(SlackOutage::RateLimited("conversations.open".into()));
    let error = bot.orchestrator().handle(command).await.unwrap_err();
    assert!(
        matches!(error, OrchestratorError::ReplayUnsure(_)),
        "the DM could not be opened now: the step is put off, not failed: {error}"
    );
    assert_eq!(bot.flows().await[0].state, FlowState::Initiated);
    requester.expect_no_reply(); // no apology

    bot.slack().come_back();
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(
        bot.orchestrator().recover().await.unwrap(),
        1,
        "applied once its lease ended"
    );
    approver.expect_reply("Approval requested: deploy v2");
    requester.expect_reply("I asked <@U_BOSS> to approve deploy v2; they have 2 minutes.");
    assert_eq!(bot.flows().await[0].state, FlowState::WaitingForResponse);
}
