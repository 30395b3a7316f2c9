//! `examples/assistant.rs`: Slack's assistant container, where each thread of the user's DM
//! with the app is a chat of its own; in process, over signed HTTP against the fake Slack
//! (which checks the `assistant.threads.*` calls as Slack documents them), and in the console.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/assistant.rs"]
mod example;

use example::helper::Helper;
use serde_json::Value;
use slack_orchestrator::testkit::{Delivered, LiveBot, TestBot, Transport, TEAM};
use slack_orchestrator::{payloads, FlowState, Orchestrator, SlackRequest};
use std::time::Duration;

fn builder() -> slack_orchestrator::OrchestratorBuilder {
    Orchestrator::builder().flow::<Helper>()
}

/// The `assistant.threads.*` calls the bot made, as (method, arguments).
fn assistant_calls(bot: &TestBot) -> Vec<(String, Value)> {
    bot.slack()
        .requests()
        .into_iter()
        .filter_map(|request| match request {
            SlackRequest::Call { method, args } if method.starts_with("assistant.threads.") => Some((method, args)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_thread_opened_is_greeted_with_prompts_and_each_question_is_answered_in_it() {
    let bot = TestBot::new(builder());
    let mut chat = bot.assistant("U_AS", Some("C_OPS")).await;
    chat.expect_reply("Hi! I answer IT questions. What do you need?");
    let root = chat.thread_ts().unwrap().to_owned();
    let calls = assistant_calls(&bot);
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (method, args) = &calls[0];
    assert_eq!(method, "assistant.threads.setSuggestedPrompts");
    assert_eq!(
        (args["channel_id"].as_str(), args["thread_ts"].as_str()),
        (Some("DU_AS"), Some(root.as_str()))
    );
    assert_eq!(
        args["prompts"][0],
        serde_json::json!({"title": "VPN trouble", "message": "How do I reset the VPN?"})
    );

    let outcome = chat.send("How do I reset the VPN?").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    chat.expect_reply("To reset the VPN, quit the client, run `vpn reset` and sign in again.");
    let methods: Vec<String> = assistant_calls(&bot).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        methods[1..],
        ["assistant.threads.setStatus", "assistant.threads.setTitle"],
        "the status while it works, the title after the first question"
    );

    chat.send("What is this channel about?").await;
    chat.expect_reply("You are viewing <#C_OPS>; its pinned messages say what it is for.");
    chat.view_channel("C_SALES").await;
    chat.send("and this channel?").await;
    chat.expect_reply("You are viewing <#C_SALES>; its pinned messages say what it is for.");
    let titles = assistant_calls(&bot)
        .iter()
        .filter(|(m, _)| m.ends_with("setTitle"))
        .count();
    assert_eq!(titles, 1, "the thread is named once");

    let flows = bot.flows().await;
    assert_eq!(flows.len(), 1);
    assert_eq!(
        flows[0].key.as_str(),
        format!("{TEAM}/DU_AS/{root}"),
        "the thread is the conversation"
    );
    assert_eq!(flows[0].context.thread_ts.as_deref(), Some(root.as_str()));
}

#[tokio::test]
async fn two_threads_of_one_user_are_two_chats() {
    let bot = TestBot::new(builder());
    let mut first = bot.assistant("U_TWO", None).await;
    let mut second = bot.assistant("U_TWO", None).await;
    first.send("I forgot my password").await;
    first.expect_reply("Hi! I answer IT questions. What do you need?");
    first.expect_reply("Reset your password at https://id.example.com/reset; it unlocks the account too.");
    second.expect_reply("Hi! I answer IT questions. What do you need?");
    second.expect_no_reply();
    second.send("The printer is jammed").await;
    second.expect_reply("Printers are added from Settings → Printers; the office one is `floor-2`.");
    first.expect_no_reply();

    let titles: Vec<(String, String)> = assistant_calls(&bot)
        .into_iter()
        .filter(|(m, _)| m.ends_with("setTitle"))
        .map(|(_, args)| {
            (
                args["thread_ts"].as_str().unwrap().to_owned(),
                args["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let (first_root, second_root) = (first.thread_ts().unwrap(), second.thread_ts().unwrap());
    assert_eq!(
        titles,
        [
            (first_root.to_owned(), "I forgot my password".to_owned()),
            (second_root.to_owned(), "The printer is jammed".to_owned())
        ],
        "each thread named after its own first question"
    );
    let active = bot.flows().await.into_iter().filter(|f| f.is_active()).count();
    assert_eq!(active, 2);
}

/// A question in a thread whose chat ended starts a new chat that answers it.
#[tokio::test(start_paused = true)]
async fn a_question_after_the_chat_ended_is_answered_by_a_new_one() {
    let bot = TestBot::new(builder());
    let mut chat = bot.assistant("U_LATE", None).await;
    chat.expect_reply("Hi! I answer IT questions. What do you need?");
    bot.advance(Duration::from_secs(25 * 3600)).await;
    assert!(bot.flows().await.iter().all(|f| !f.is_active()), "ended after a day");
    let outcome = chat.send("vpn is down").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    chat.expect_reply("To reset the VPN, quit the client, run `vpn reset` and sign in again.");
    assert_eq!(bot.flows().await.len(), 2);
}

/// The assistant calls are refused before any call where Slack would refuse them.
#[tokio::test]
async fn prompts_past_slacks_limit_and_assistant_calls_outside_a_thread_are_refused() {
    #[slack_orchestrator::flow(trigger = keyword("misuse"))]
    #[allow(unreachable_pub)]
    mod misuse {
        use slack_orchestrator::prelude::*;
        pub enum Misuse {
            #[start]
            Try,
        }
        #[step(Try)]
        async fn try_all(cx: &mut Cx) -> Next<Misuse> {
            let five = [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("e", "e")];
            let too_many = cx.suggest_prompts(None, &five).await.unwrap_err();
            let no_thread = cx.set_status("is thinking…").await.unwrap_err();
            complete(format!("{too_many} / {no_thread}"))
        }
    }
    let bot = TestBot::new(Orchestrator::builder().flow::<misuse::Misuse>());
    let mut dm = bot.dm("U_MIS");
    dm.send("misuse").await;
    let said = dm.replies().pop().unwrap();
    assert!(
        said.contains("Slack takes one to four suggested prompts, not 5"),
        "{said}"
    );
    assert!(said.contains("the flow lives in no thread"), "{said}");
    assert!(assistant_calls(&bot).is_empty(), "no call made");
}

/// Over signed HTTP, with Slack's event shapes; the fake Slack refuses an `assistant.threads.*`
/// call without a DM channel and a thread, or with other than one to four prompts.
#[tokio::test]
async fn over_http_the_calls_are_the_ones_slack_documents() {
    let bot = LiveBot::start(Transport::Http, builder()).await;
    let slack = bot.slack();
    let opened = payloads::assistant_thread(
        TEAM,
        "U_WIRE",
        "DU_WIRE",
        "1700000100.000100",
        Some("C1"),
        true,
        "EvAs1",
    );
    assert!(matches!(bot.event(&opened).await, Delivered::Http(sent) if sent.status == 200));
    let prompts = slack
        .wait_for("assistant.threads.setSuggestedPrompts", 1, Duration::from_secs(10))
        .await;
    assert_eq!(prompts[0]["prompts"].as_array().map(Vec::len), Some(3));
    // Slack answers the status with a 429 once: waited out, made again, the answer posted once.
    slack.rate_limit_next("assistant.threads.setStatus", 1, 1);
    let asked = std::time::Instant::now();
    let said = payloads::Said {
        team: TEAM,
        user: "U_WIRE",
        channel: "DU_WIRE",
        text: "my laptop is slow",
        ts: "1700000100.000200",
        thread_ts: Some("1700000100.000100"),
        event_id: "EvAs2",
    };
    assert!(matches!(bot.event(&payloads::message(&said)).await, Delivered::Http(sent) if sent.status == 200));
    let posted = slack.wait_for("chat.postMessage", 2, Duration::from_secs(10)).await;
    assert_eq!(
        posted[1]["text"],
        "Ask for new hardware with /ticket, area \"hardware\"."
    );
    assert_eq!(posted[1]["thread_ts"], "1700000100.000100", "answered in the thread");
    assert!(
        asked.elapsed() >= Duration::from_secs(1),
        "the 429's Retry-After was waited out"
    );
    assert_eq!(
        slack.calls_to("assistant.threads.setStatus").len(),
        1,
        "made once it was let through"
    );
    slack
        .wait_for("assistant.threads.setTitle", 1, Duration::from_secs(10))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        slack.calls_to("chat.postMessage").len(),
        2,
        "the greeting and one answer"
    );
    let refused: Vec<_> = slack
        .calls()
        .into_iter()
        .filter(|c| c.method.starts_with("assistant.threads.") && c.reply["ok"] == false)
        .collect();
    assert!(
        refused.is_empty(),
        "Slack would refuse: {:?}",
        refused.iter().map(|c| &c.reply).collect::<Vec<_>>()
    );
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_a_thread_opens_with_assistant_shows_status_and_title_and_a_prompt_is_picked_by_number() {
    let printed = slack_orchestrator::testkit::console_transcript(
        builder(),
        "/assistant\nHow do I reset the VPN?\n2\n/top\nhello\n",
    )
    .await;
    for expected in [
        "bot (suggests)> Try asking:",
        "  [2] I forgot my password",
        "bot> Reset your password at https://id.example.com/reset; it unlocks the account too.",
        "(bot is looking it up…)",
        "(thread titled \"How do I reset the VPN?\")",
        "bot> To reset the VPN",
        "bot> I don't know that one yet; /ticket asks a person.",
    ] {
        assert!(printed.contains(expected), "{expected:?} in {printed}");
    }
}
