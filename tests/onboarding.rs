//! The onboarding conversation of `examples/onboarding.rs`, through the test kit (DM and
//! mention-in-thread), the console chat, and its graph.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod example;

use example::Onboarding;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Orchestrator, Outcome};

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Onboarding>())
}

/// A DM's threads: a reply in the thread under the bot's question answers it (the flow
/// goes on at the top of the DM, where it talks); a thread under another message is a
/// conversation of its own (as each chat of an assistant app is).
#[tokio::test]
async fn in_a_dm_a_reply_under_the_question_answers_it_and_another_thread_is_its_own_chat() {
    let bot = bot();
    let mut dm = bot.dm("U_TH");
    dm.send("hello").await;
    dm.expect_reply("Let's start the workflow. Step 1: What's your name?");
    let question = match bot.slack().calls().last() {
        Some((_, slack_orchestrator::SlackReply::Message { ts, .. })) => ts.clone(),
        other => panic!("the question's post: {other:?}"),
    };
    let mut under_question = bot.thread("U_TH", "DU_TH", &question);
    under_question.send("Alice").await;
    dm.expect_reply("Nice to meet you, Alice! Step 2: What can I help you with?");
    under_question.expect_no_reply();

    let mut elsewhere = bot.thread("U_TH", "DU_TH", "1600000000.000001");
    elsewhere.send("hi there").await;
    elsewhere.expect_reply("Let's start the workflow. Step 1: What's your name?");
    dm.expect_no_reply();
    dm.send("setting up CI").await;
    dm.expect_reply("Thanks, Alice! I'll help you with: setting up CI");
    let active: Vec<String> = bot
        .flows()
        .await
        .iter()
        .filter(|f| f.is_active())
        .map(|f| f.key.to_string())
        .collect();
    assert_eq!(
        active,
        [format!("{TEAM}/DU_TH/1600000000.000001")],
        "the thread's own flow waits"
    );
}

#[tokio::test]
async fn a_direct_message_runs_the_whole_conversation() {
    let bot = bot();
    let mut alice = bot.dm("U_ALICE");
    alice.send("hello").await;
    alice.expect_reply("Let's start the workflow. Step 1: What's your name?");
    alice.send("Alice").await;
    alice.expect_reply("Nice to meet you, Alice! Step 2: What can I help you with?");
    let outcome = alice.send("setting up CI").await;
    alice.expect_reply("Thanks, Alice! I'll help you with: setting up CI");
    alice.expect_no_reply();

    let Outcome::Advanced { state, step, .. } = outcome else {
        panic!("unexpected {outcome:?}")
    };
    assert_eq!((state, step.as_str()), (FlowState::Completed, "AskHelp"));
    let flows = bot.flows().await;
    assert_eq!(flows.len(), 1);
    let record = &flows[0];
    assert_eq!(record.metadata["request"], "setting up CI");
    assert_eq!(
        record.version, 4,
        "created before its first step ran, then one write per event"
    );
    let log: Vec<&str> = record.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(log.len(), 6, "three messages each way: {log:?}");
}

#[tokio::test]
async fn a_mention_starts_the_flow_in_a_thread_under_it() {
    let bot = bot();
    let mut thread = bot.mention("U_ALICE", "C_GENERAL", "help me").await;
    thread.expect_reply("Let's start the workflow. Step 1: What's your name?");
    thread.send("Alice").await;
    thread.expect_reply("Nice to meet you, Alice! Step 2: What can I help you with?");
    thread.send("a dashboard").await;
    thread.expect_reply("Thanks, Alice! I'll help you with: a dashboard");
}

#[tokio::test]
async fn two_conversations_do_not_mix() {
    let bot = bot();
    let mut alice = bot.dm("U_ALICE");
    let mut bob = bot.mention("U_BOB", "C_GENERAL", "hi").await;
    alice.send("hi").await;
    alice.send("Alice").await;
    bob.send("Bob").await;
    alice.expect_reply("Let's start the workflow. Step 1: What's your name?");
    alice.expect_reply("Nice to meet you, Alice! Step 2: What can I help you with?");
    bob.expect_reply("Let's start the workflow. Step 1: What's your name?");
    bob.expect_reply("Nice to meet you, Bob! Step 2: What can I help you with?");
}

#[tokio::test]
async fn a_plain_channel_message_starts_nothing() {
    let bot = bot();
    let mut channel = bot.channel("U_ALICE", "C_RANDOM");
    // A top-level message in a channel, not a mention: no trigger matches.
    let body = slack_orchestrator::payloads::message(&slack_orchestrator::payloads::Said {
        team: "T0TEST",
        user: "U_ALICE",
        channel: "C_RANDOM",
        text: "hi all",
        ts: "1.000009",
        thread_ts: None,
        event_id: "EvX",
    });
    assert_eq!(channel.deliver(&body).await, Outcome::NoFlow);
    assert!(bot.slack().is_empty());
}

#[tokio::test]
async fn the_console_chat_plays_the_conversation() {
    let printed = slack_orchestrator::testkit::console_transcript(
        Orchestrator::builder().flow::<Onboarding>(),
        "hi\nAlice\nbuild a bot\n",
    )
    .await;
    assert_eq!(
        printed,
        "bot> Let's start the workflow. Step 1: What's your name?\n\
         bot> Nice to meet you, Alice! Step 2: What can I help you with?\n\
         bot> Thanks, Alice! I'll help you with: build a bot\n"
    );
}

#[test]
fn the_graph_renders_as_mermaid() {
    let graph = <Onboarding as slack_orchestrator::Flow>::graph();
    assert_eq!(
        graph.to_mermaid(),
        "stateDiagram-v2\n    [*] --> Welcome\n    Welcome --> AskName\n    AskName --> AskHelp: Text\n    \
         AskName --> [*]: timed out\n    AskHelp --> [*]: Text / complete\n    AskHelp --> [*]: timed out\n",
        "the waiting steps time out after the flow's 30 minutes"
    );
}

#[tokio::test]
async fn the_console_can_play_a_second_user_with_as() {
    // Someone else answering Alice's flow is not taken; switching back, she goes on.
    let printed = slack_orchestrator::testkit::console_transcript(
        Orchestrator::builder().flow::<Onboarding>(),
        "hi\n/as U_OTHER\nMallory\n/as U_YOU\nAlice\nbuild a bot\n",
    )
    .await;
    assert!(printed.contains("(you are now U_OTHER)"), "{printed}");
    assert!(!printed.contains("Mallory!"), "{printed}");
    assert!(
        printed.ends_with("bot> Thanks, Alice! I'll help you with: build a bot\n"),
        "{printed}"
    );
}
