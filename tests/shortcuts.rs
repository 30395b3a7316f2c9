//! Global and message shortcuts as triggers (`trigger = shortcut("callback_id")`), in the
//! payload shapes Slack documents: a global shortcut opens a modal with its `trigger_id`
//! and answers in the user's DM with the app; a message shortcut gets the message it was
//! used on and answers in its channel. A repeated delivery runs nothing twice. A global
//! shortcut's flow that asks in the user's DM gets the answer typed there.

use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{Direction, FlowState, Orchestrator, Outcome, SlackRequest};

#[slack_orchestrator::flow(trigger = shortcut("new_request"))]
mod request {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Request {
        #[start]
        Open,
        Form,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _shortcut: Shortcut) -> Next<Request> {
        let what = blocks::text_input("what", "what", "What do you need?");
        cx.open_modal(blocks::modal("request", "New request", "Send", vec![what]))
            .await?;
        goto(Request::Form)
    }

    #[step(Form)]
    async fn sent(_cx: &mut Cx, form: Submission) -> Next<Request> {
        complete(format!("Request filed: {}", form.value("what").unwrap_or_default()))
    }
}

#[slack_orchestrator::flow(trigger = shortcut("report_message"))]
mod report {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Report {
        #[start]
        Reported,
    }

    #[step(Reported)]
    async fn reported(_cx: &mut Cx, shortcut: Shortcut) -> Next<Report> {
        let Some(message) = &shortcut.message else {
            return fail("This shortcut works on a message.");
        };
        complete(format!(
            "Reported <@{}>'s message {}: \"{}\"",
            message.user, message.ts, message.text
        ))
    }
}

#[slack_orchestrator::flow(trigger = shortcut("quick_note"))]
mod note {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Note {
        #[start]
        Ask,
        Listen,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, _shortcut: Shortcut) -> Next<Note> {
        cx.say("What should I note?").await?;
        goto(Note::Listen)
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, said: Text) -> Next<Note> {
        complete(format!("Noted: {said}"))
    }
}

#[slack_orchestrator::flow(trigger = direct_message)]
mod chat {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Chat {
        #[start]
        Hello,
    }

    #[step(Hello)]
    async fn hello(_cx: &mut Cx, said: Text) -> Next<Chat> {
        complete(format!("You said: {said}"))
    }
}

fn bot() -> TestBot {
    TestBot::new(
        Orchestrator::builder()
            .flow::<request::Request>()
            .flow::<report::Report>()
            .flow::<note::Note>()
            .flow::<chat::Chat>(),
    )
}

/// The ts of the last message `bot`'s flows posted.
async fn last_post(bot: &TestBot) -> String {
    let flows = bot.flows().await;
    let posted = flows
        .iter()
        .flat_map(|f| &f.messages)
        .filter(|m| m.direction == Direction::Outbound);
    posted.filter_map(|m| m.ts.clone()).max().expect("a post with a ts")
}

#[tokio::test]
async fn a_global_shortcut_opens_a_modal_and_answers_in_the_users_dm() {
    let bot = bot();
    let mut chat = bot.channel("U_ANA", "U_ANA");
    let shortcut = payloads::global_shortcut(TEAM, "U_ANA", "new_request", "42.7.abc");
    let outcome = bot.deliver(&shortcut).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let opened = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::OpenView { trigger_id, .. } => Some(trigger_id),
        _ => None,
    });
    assert_eq!(
        opened.as_deref(),
        Some("42.7.abc"),
        "the modal opens with the shortcut's trigger_id"
    );
    assert!(
        matches!(bot.deliver(&shortcut).await, Outcome::Duplicate),
        "a retry runs nothing"
    );

    let outcome = chat.submit(&[("what", "what", "A new laptop")]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Request filed: A new laptop");
}

#[tokio::test]
async fn a_message_shortcut_gets_the_message_and_answers_in_its_channel() {
    let bot = bot();
    let mut chat = bot.channel("U_ANA", "C_GENERAL");
    let shortcut = payloads::message_shortcut(
        TEAM,
        "U_ANA",
        "C_GENERAL",
        ("1700000000.000100", "U_BOB", "buy crypto now"),
        "report_message",
        "42.8.abc",
    );
    let outcome = bot.deliver(&shortcut).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Reported <@U_BOB>'s message 1700000000.000100: \"buy crypto now\"");
}

#[tokio::test]
async fn a_shortcut_no_flow_has_is_no_flow() {
    let bot = bot();
    let other = payloads::global_shortcut(TEAM, "U_ANA", "something_else", "42.9.abc");
    assert_eq!(bot.deliver(&other).await, Outcome::NoFlow);
}

#[tokio::test]
async fn a_global_shortcuts_question_in_the_dm_gets_the_answer_typed_there() {
    let bot = bot();
    // Slack posts to a user id in the app's DM with that user; the user answers there.
    let mut dm = bot.dm("U_ANA");
    let shortcut = payloads::global_shortcut(TEAM, "U_ANA", "quick_note", "42.10.abc");
    bot.deliver(&shortcut).await;
    dm.expect_reply("What should I note?");

    // The shortcut again, while its flow waits for the answer: the user is told, in the DM.
    let again = payloads::global_shortcut(TEAM, "U_ANA", "quick_note", "42.10.abd");
    assert!(matches!(bot.deliver(&again).await, Outcome::Unhandled { .. }));
    dm.expect_reply("I can't take that right now: I'm waiting for your answer to my last message.");

    let outcome = dm.send("buy milk").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    dm.expect_reply("Noted: buy milk");
    // The flow posted first to the user id, then to the DM's id Slack answered with.
    let channels: Vec<String> = bot
        .slack()
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::PostMessage { channel, .. } => Some(channel),
            _ => None,
        })
        .collect();
    assert_eq!(
        channels,
        ["U_ANA", "U_ANA", "DU_ANA"],
        "the question, the notice, the note"
    );
    let noted = bot
        .flows()
        .await
        .into_iter()
        .find(|f| f.key.as_str().ends_with("@U_ANA"))
        .expect("the note");
    assert_eq!(
        (noted.key.as_str(), noted.context.channel_id.as_str()),
        (format!("{TEAM}/U_ANA@U_ANA").as_str(), "DU_ANA"),
        "the flow keeps its key, and talks in the DM"
    );

    // With the shortcut's flow over, a DM starts the DM's own flow again.
    dm.send("hi").await;
    dm.expect_reply("You said: hi");

    // A reply in the thread under the question is an answer too.
    bot.deliver(&payloads::global_shortcut(TEAM, "U_ANA", "quick_note", "42.11.abc"))
        .await;
    dm.expect_reply("What should I note?");
    let question = last_post(&bot).await;
    let mut thread = bot.thread("U_ANA", "DU_ANA", &question);
    let outcome = thread.send("call mum").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    dm.expect_reply("Noted: call mum");
}

#[tokio::test]
async fn a_dm_goes_to_a_global_shortcuts_flow_only_if_it_asked_in_the_dm() {
    let bot = bot();
    // Carol's request flow asks in a modal: nothing of it is in her DM.
    bot.deliver(&payloads::global_shortcut(TEAM, "U_CAROL", "new_request", "42.12.abc"))
        .await;
    let mut carol = bot.dm("U_CAROL");
    carol.send("hi").await;
    carol.expect_reply("You said: hi");

    // Another user's DM is theirs, whatever the shortcut flows of others.
    bot.deliver(&payloads::global_shortcut(TEAM, "U_ANA", "quick_note", "42.13.abc"))
        .await;
    let mut bob = bot.dm("U_BOB");
    bob.send("hello").await;
    bob.expect_reply("You said: hello");

    // A thread under another message of the DM is not an answer to the question.
    let mut elsewhere = bot.thread("U_ANA", "DU_ANA", "1600000000.000001");
    elsewhere.send("unrelated").await;
    elsewhere.expect_reply("You said: unrelated");
    let waiting = bot.flows().await.into_iter().filter(|f| f.is_active()).count();
    assert_eq!(waiting, 2, "Carol's request and Ana's note still wait");
}

#[tokio::test]
async fn over_http_a_global_shortcuts_flow_gets_the_answer_typed_in_the_dm() {
    use slack_orchestrator::testkit::{Delivered, LiveBot, Transport};
    use std::time::Duration;
    let bot = LiveBot::start(
        Transport::Http,
        Orchestrator::builder().flow::<note::Note>().flow::<chat::Chat>(),
    )
    .await;
    let shortcut = payloads::global_shortcut(TEAM, "U_ANA", "quick_note", "42.20.abc");
    assert!(matches!(bot.interaction(&shortcut).await, Delivered::Http(sent) if sent.status == 200));
    let asked = bot
        .slack()
        .wait_for("chat.postMessage", 1, Duration::from_secs(5))
        .await;
    assert_eq!(
        (&asked[0]["channel"], &asked[0]["text"]),
        (&"U_ANA".into(), &"What should I note?".into())
    );

    // Slack delivers what the user types in the app's DM as a `message.im` event.
    let answer = payloads::direct_message(TEAM, "U_ANA", "buy milk", "1700000100.000100", "EvNote1");
    assert!(matches!(bot.event(&answer).await, Delivered::Http(sent) if sent.status == 200));
    let posted = bot
        .slack()
        .wait_for("chat.postMessage", 2, Duration::from_secs(5))
        .await;
    assert_eq!(
        posted[1]["text"], "Noted: buy milk",
        "the note's flow took it: no DM flow started"
    );
    assert_eq!(
        posted[1]["channel"], "DU_ANA",
        "in the DM Slack's answer to the first post named"
    );
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_a_global_shortcut_asks_and_the_answer_typed_next_is_noted() {
    let builder = Orchestrator::builder().flow::<note::Note>().flow::<chat::Chat>();
    let printed =
        slack_orchestrator::testkit::console_transcript(builder, "/shortcut quick_note\nbuy milk\nhi\n").await;
    for expected in [
        "(you use the shortcut quick_note)",
        "bot> What should I note?",
        "bot> Noted: buy milk",
        "bot> You said: hi",
    ] {
        assert!(printed.contains(expected), "{expected:?} in {printed}");
    }
}
