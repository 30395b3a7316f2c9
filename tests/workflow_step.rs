//! `examples/workflow_step.rs`: a Workflow Builder custom step run as a conversation. The
//! step completes once, with the approver's decision, or fails (a timeout, bad inputs, a
//! cancel) so the workflow never waits for ever; in process, over signed HTTP against the
//! fake Slack (which checks each completion and refuses a second), and in the console.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/workflow_step.rs"]
mod example;

use example::approval_step::ApprovalStep;
use serde_json::{json, Value};
use slack_orchestrator::testkit::{Delivered, LiveBot, TestBot, Transport, TEAM, WORKFLOW_TOKEN_PREFIX};
use slack_orchestrator::{payloads, Cancelled, FlowState, Orchestrator, SlackReply, SlackRequest};
use std::time::Duration;

fn builder() -> slack_orchestrator::OrchestratorBuilder {
    Orchestrator::builder().flow::<ApprovalStep>()
}

/// The `functions.complete*` calls the bot made, as (method, arguments).
fn completions(bot: &TestBot) -> Vec<(String, Value)> {
    bot.slack()
        .requests()
        .into_iter()
        .filter_map(|request| match request {
            SlackRequest::Call { method, args } if method.starts_with("functions.") => Some((method, args)),
            _ => None,
        })
        .collect()
}

/// Posts to the step's own conversation, which is no channel.
fn posts_to_the_run(bot: &TestBot) -> usize {
    let requests = bot.slack().requests();
    let to_run =
        |r: &SlackRequest| matches!(r, SlackRequest::PostMessage { channel, .. } if channel.starts_with("function:"));
    requests.iter().filter(|r| to_run(r)).count()
}

#[tokio::test]
async fn the_approver_decides_and_the_step_completes_once_with_the_decision() {
    let bot = TestBot::new(builder());
    let mut approver = bot.dm("U_AP");
    let inputs = json!({"approver": "U_AP", "request": "deploy v2"});
    let (execution, outcome) = bot.run_function("approval_step", inputs).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    approver.expect_reply("Approval requested: deploy v2");

    let mut stranger = approver.as_user("U_OTHER");
    stranger.click("approve").await;
    assert!(completions(&bot).is_empty(), "only the approver decides");

    let outcome = approver.click("decline").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    assert_eq!(
        completions(&bot),
        [(
            "functions.completeSuccess".to_owned(),
            json!({"function_execution_id": execution, "outputs": {"approved": false, "decided_by": "U_AP"}})
        )]
    );
    assert_eq!(posts_to_the_run(&bot), 0);
    assert_eq!(bot.flows().await[0].metadata["function_completed"], true);
}

#[tokio::test(start_paused = true)]
async fn nobody_deciding_within_a_day_fails_the_step_with_the_timeout_message() {
    let bot = TestBot::new(builder());
    let (execution, _) = bot
        .run_function(
            "approval_step",
            json!({"approver": "U_SLOW", "request": "a new laptop"}),
        )
        .await;
    bot.advance(Duration::from_secs(25 * 3600)).await;
    assert_eq!(
        completions(&bot),
        [(
            "functions.completeError".to_owned(),
            json!({"function_execution_id": execution, "error": "Nobody decided within a day."})
        )]
    );
    assert_eq!(posts_to_the_run(&bot), 0, "the timeout message fails the step instead");
}

#[tokio::test]
async fn inputs_missing_or_a_cancel_fail_the_step() {
    let bot = TestBot::new(builder());
    let (bad, outcome) = bot.run_function("approval_step", json!({"approver": "U_AP"})).await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    let (cancelled, _) = bot
        .run_function("approval_step", json!({"approver": "U_AP", "request": "x"}))
        .await;
    let flow = bot.flows().await.into_iter().find(|f| f.is_active()).unwrap();
    let result = bot
        .orchestrator()
        .cancel(flow.id, "the workflow was stopped", Some("Stopped."))
        .await;
    assert!(
        matches!(result, Ok(Cancelled::Now { told: None })),
        "nobody to tell: {result:?}"
    );
    assert_eq!(
        completions(&bot),
        [
            (
                "functions.completeError".to_owned(),
                json!({"function_execution_id": bad, "error": "The step needs an `approver` and a `request`."})
            ),
            (
                "functions.completeError".to_owned(),
                json!({"function_execution_id": cancelled, "error": "cancelled: the workflow was stopped"})
            ),
        ]
    );
    assert_eq!(posts_to_the_run(&bot), 0);
}

/// The approver's click is applied again after Slack could not take the completion (as a
/// crash between the completion and the save would have it applied again), and this time
/// Slack refuses the completion with `code`; returns the bot once the replay has run.
async fn replay_a_completion_that_slack_refuses(code: &str) -> TestBot {
    use slack_orchestrator::SlackOutage;
    let bot = TestBot::new(builder());
    let mut approver = bot.dm("U_RE");
    bot.run_function("approval_step", json!({"approver": "U_RE", "request": "deploy v4"}))
        .await;
    approver.expect_reply("Approval requested: deploy v4");
    bot.slack()
        .go_down(SlackOutage::RateLimited("functions.completeSuccess".into()));
    let (blocks, ts) = bot
        .slack()
        .calls()
        .into_iter()
        .find_map(|call| match call {
            (SlackRequest::PostMessage { blocks, .. }, SlackReply::Message { ts, .. }) => Some((blocks?, ts)),
            _ => None,
        })
        .expect("the question");
    let (block_id, button) = payloads::find_element(&blocks, "approve").expect("the button");
    let at = payloads::ElementAt {
        channel: "DU_RE",
        message_ts: &ts,
        thread_ts: None,
        block_id: &block_id,
    };
    let click = payloads::block_action(TEAM, "U_RE", &at, button, "7.1.t");
    let put_off = bot.orchestrator().handle_json(&click).await;
    assert!(put_off.is_err(), "{put_off:?}");
    assert!(bot.flows().await[0].is_active(), "put off, nothing saved");

    bot.slack().come_back();
    bot.slack()
        .answer("functions.completeSuccess", json!({"ok": false, "error": code}));
    tokio::time::advance(Duration::from_secs(120)).await;
    assert_eq!(
        bot.orchestrator().recover().await.unwrap(),
        1,
        "the click applied again"
    );
    bot
}

/// Slack's answer to a second completion ("the function has been completed and cannot be
/// found") in a replay means the earlier run completed the step: the flow ends.
#[tokio::test(start_paused = true)]
async fn a_replayed_completion_that_slack_says_ended_already_ends_the_flow() {
    for code in ["function_execution_not_found", "execution_not_in_running_state"] {
        let bot = replay_a_completion_that_slack_refuses(code).await;
        let flow = &bot.flows().await[0];
        assert_eq!(flow.state, FlowState::Completed, "{code}: {flow:?}");
        assert_eq!(flow.metadata["function_completed"], true);
        let failed = completions(&bot)
            .iter()
            .filter(|(m, _)| m == "functions.completeError")
            .count();
        assert_eq!(failed, 0, "{code}: a completed step is not failed after");
    }
}

/// Any other refusal in a replay (outputs that do not fit the manifest) is no sign of an
/// earlier completion: it is the step's error, the flow fails, and so does the step.
#[tokio::test(start_paused = true)]
async fn a_replayed_completion_that_slack_refuses_otherwise_fails_the_step() {
    let bot = replay_a_completion_that_slack_refuses("parameter_validation_failed").await;
    let flow = &bot.flows().await[0];
    assert_eq!(flow.state, FlowState::Error, "{flow:?}");
    assert!(
        flow.error
            .as_deref()
            .is_some_and(|e| e.contains("parameter_validation_failed")),
        "{flow:?}"
    );
    let failed: Vec<_> = completions(&bot)
        .into_iter()
        .filter(|(m, _)| m == "functions.completeError")
        .collect();
    assert_eq!(failed.len(), 1, "the step failed once: {failed:?}");
}

/// A step's flow that talks to its own conversation (which is no channel) is told why, and
/// the step fails with the apology rather than the workflow waiting.
#[tokio::test]
async fn saying_something_with_no_channel_fails_the_step_and_tells_why() {
    #[slack_orchestrator::flow(trigger = function("chatty"))]
    #[allow(unreachable_pub)]
    mod chatty {
        use slack_orchestrator::prelude::*;
        pub enum Chatty {
            #[start]
            Talk,
        }
        #[step(Talk)]
        async fn talk(cx: &mut Cx, _run: FunctionRun) -> Next<Chatty> {
            let refused = cx.say("hello?").await.unwrap_err().to_string();
            cx.set("refused", refused);
            fail("no channel")
        }
    }
    let bot = TestBot::new(Orchestrator::builder().flow::<chatty::Chatty>());
    let (execution, _) = bot.run_function("chatty", json!({})).await;
    let record = &bot.flows().await[0];
    let refused = record.metadata["refused"].as_str().unwrap();
    assert!(
        refused.contains("has no channel of its own: post with `post_to`"),
        "{refused}"
    );
    assert_eq!(
        completions(&bot),
        [(
            "functions.completeError".to_owned(),
            json!({"function_execution_id": execution, "error": "no channel"})
        )]
    );
    assert_eq!(posts_to_the_run(&bot), 0);
}

/// Over signed HTTP with Slack's event and click shapes; the fake Slack checks each
/// completion (an execution id, outputs) and refuses a second one for the same run.
#[tokio::test]
async fn over_http_the_step_completes_where_slack_expects_it() {
    let bot = LiveBot::start(Transport::Http, builder()).await;
    let slack = bot.slack();
    let inputs = json!({"approver": "U_WIRE", "request": "deploy v3"});
    let ran = payloads::function_executed(TEAM, "approval_step", "Fx9", inputs, "EvFn1");
    assert!(matches!(bot.event(&ran).await, Delivered::Http(sent) if sent.status == 200));
    slack.wait_for("chat.postMessage", 1, Duration::from_secs(10)).await;
    bot.click("U_WIRE", "DU_WIRE", "approve").await;
    let completed = slack
        .wait_for("functions.completeSuccess", 1, Duration::from_secs(10))
        .await;
    assert_eq!(completed[0]["function_execution_id"], "Fx9");
    assert_eq!(
        completed[0]["outputs"],
        json!({"approved": true, "decided_by": "U_WIRE"})
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answers: Vec<Value> = slack
        .calls()
        .into_iter()
        .filter(|c| c.method.starts_with("functions."))
        .map(|c| c.reply)
        .collect();
    assert_eq!(answers, [json!({"ok": true})], "completed once, and Slack took it");
    bot.stop().await;
}

/// A run's steps call Slack with the run's just-in-time token, as Bolt does: the first with
/// the one `function_executed` brought, the approver's click's with the fresh one the click
/// brought (the first may have expired by then); anything else with the app's bot token.
#[tokio::test]
async fn over_http_a_runs_steps_call_slack_with_the_token_its_event_brought() {
    let bot = LiveBot::start(Transport::Http, builder()).await;
    let slack = bot.slack();
    let inputs = json!({"approver": "U_TOKEN", "request": "rotate keys"});
    let ran = payloads::function_executed(TEAM, "approval_step", "Fx7", inputs, "EvFn7");
    let first = ran["event"]["bot_access_token"].as_str().unwrap().to_owned();
    bot.event(&ran).await;
    slack.wait_for("chat.postMessage", 1, Duration::from_secs(10)).await;
    bot.click("U_TOKEN", "DU_TOKEN", "approve").await;
    slack
        .wait_for("functions.completeSuccess", 1, Duration::from_secs(10))
        .await;
    let token_of = |method: &str| {
        let calls = slack.calls();
        let call = calls.iter().find(|c| c.method == method);
        call.and_then(|c| c.token.clone())
            .unwrap_or_else(|| panic!("no {method}"))
    };
    assert_eq!(token_of("conversations.open"), first);
    assert_eq!(token_of("chat.postMessage"), first);
    let clicked = token_of("chat.update");
    assert!(
        clicked.starts_with(WORKFLOW_TOKEN_PREFIX) && clicked != first,
        "{clicked}"
    );
    assert_eq!(token_of("functions.completeSuccess"), clicked);
    assert_eq!(
        token_of("auth.test"),
        "xoxb-test-token",
        "the app's own calls keep its bot token"
    );
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_workflow_runs_the_step_and_the_approver_decides() {
    let printed = slack_orchestrator::testkit::console_transcript(
        builder(),
        "/workflow approval_step approver=U_APPROVER; request=deploy v2\n/as U_APPROVER\n1\n",
    )
    .await;
    for expected in [
        "(a workflow runs the step approval_step)",
        "bot> Approval requested: deploy v2",
        "(workflow step completed: {\"approved\":true,\"decided_by\":\"U_APPROVER\"})",
    ] {
        assert!(printed.contains(expected), "{expected:?} in {printed}");
    }
}
