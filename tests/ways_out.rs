//! No dead ends: a cancel word (typed, or a button's `action_id`) ends the user's flow
//! whatever step it is in, and an event the current step does not take (typing while a
//! button is expected, a second slash command) gets a short answer instead of silence,
//! while the flow keeps waiting.

use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator, Outcome};

#[slack_orchestrator::flow(trigger = direct_message)]
mod pick {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Pick {
        #[start]
        Offer,
        Choose,
    }

    #[step(Offer)]
    async fn offer(cx: &mut Cx) -> Next<Pick> {
        let buttons = blocks::actions(
            "choice",
            vec![
                blocks::button("tea", "Tea", "tea"),
                blocks::button("coffee", "Coffee", "coffee"),
            ],
        );
        cx.send_interactive_message("Tea or coffee?", serde_json::json!([buttons]))
            .await?;
        goto(Pick::Choose)
    }

    #[step(Choose)]
    async fn choose(_cx: &mut Cx, click: Click) -> Next<Pick> {
        complete(format!("One {} coming.", click.action_id))
    }
}

#[slack_orchestrator::flow(trigger = command("/form"))]
mod form {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Form {
        #[start]
        Open,
        Fill,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Form> {
        let field = blocks::text_input("what", "what", "What do you need?");
        cx.open_modal(blocks::modal("form", "Request", "Send", vec![field]))
            .await?;
        goto(Form::Fill)
    }

    #[step(Fill)]
    async fn fill(_cx: &mut Cx, form: Submission) -> Next<Form> {
        complete(format!("Requested: {}", form.value("what").unwrap_or_default()))
    }
}

#[slack_orchestrator::flow(trigger = keyword("order"), cancel = "stop")]
mod order {
    use slack_orchestrator::prelude::*;

    /// Two questions with buttons; the first one's Stop button is the flow's way out.
    pub(crate) enum Order {
        #[start]
        Ask,
        Drink,
        Size,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Order> {
        let buttons = blocks::actions(
            "drink",
            vec![
                blocks::button("tea", "Tea", "tea"),
                blocks::button("stop", "Stop ordering", "stop"),
            ],
        );
        cx.send_interactive_message("Which drink?", serde_json::json!([buttons]))
            .await?;
        goto(Order::Drink)
    }

    #[step(Drink)]
    async fn drink(cx: &mut Cx, _click: Click) -> Next<Order> {
        let sizes = blocks::actions("size", vec![blocks::button("large", "Large", "l")]);
        cx.send_interactive_message("Which size?", serde_json::json!([sizes]))
            .await?;
        goto(Order::Size)
    }

    #[step(Size)]
    async fn size(_cx: &mut Cx, click: Click) -> Next<Order> {
        complete(format!("A {} one.", click.action_id))
    }
}

#[tokio::test]
async fn a_button_named_by_a_cancel_word_ends_the_flow_even_on_a_question_it_has_left() {
    let bot = TestBot::new(Orchestrator::builder().flow::<order::Order>());
    let mut ana = bot.dm("U_ANA");
    ana.send("order").await;
    ana.click("tea").await;
    assert_eq!(ana.replies(), ["Which drink?", "Which size?"]);
    let outcome = ana.click("stop").await; // on the first question, which the flow has left
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    ana.expect_reply("Cancelled.");
    assert_eq!(bot.flows().await[0].error.as_deref(), Some("cancelled by the user"));
}

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<pick::Pick>().cancel_word("cancel"))
}

#[tokio::test]
async fn typing_while_a_button_is_expected_gets_an_answer_and_the_flow_keeps_waiting() {
    let bot = bot();
    let mut ana = bot.dm("U_ANA");
    ana.send("hi").await;
    ana.expect_reply("Tea or coffee?");
    let outcome = ana.send("tea please").await;
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    // With the way out, as the bot has a cancel word.
    ana.expect_ephemeral(
        "I can't take that right now: I'm waiting for your answer to my last message. To stop instead, say `cancel`.",
    );
    assert_eq!(ana.click("tea").await.state(), Some(FlowState::Completed));
    ana.expect_reply("One tea coming.");
}

#[tokio::test]
async fn a_cancel_word_ends_the_flow_in_any_step_and_a_new_one_can_start() {
    let bot = bot();
    let mut ana = bot.dm("U_ANA");
    ana.send("hi").await;
    ana.expect_reply("Tea or coffee?");
    let outcome = ana.send("  Cancel ").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    ana.expect_reply("Cancelled.");
    let ended = bot.flows().await;
    assert_eq!(ended[0].error.as_deref(), Some("cancelled by the user"));
    ana.send("hi").await;
    ana.expect_reply("Tea or coffee?");
}

#[tokio::test]
async fn without_a_cancel_word_the_word_is_just_text() {
    let bot = TestBot::new(Orchestrator::builder().flow::<pick::Pick>());
    let mut ana = bot.dm("U_ANA");
    ana.send("hi").await;
    ana.expect_reply("Tea or coffee?");
    assert!(matches!(ana.send("cancel").await, Outcome::Unhandled { .. }));
}

#[tokio::test]
async fn closing_the_modal_ends_its_flow() {
    use slack_orchestrator::testkit::TEAM;
    use slack_orchestrator::{SlackReply, SlackRequest};
    let bot = TestBot::new(Orchestrator::builder().flow::<form::Form>());
    let (_chat, opened) = bot.command("U_ANA", "C_GENERAL", "/form", "").await;
    assert_eq!(opened.state(), Some(FlowState::WaitingForResponse));
    let (view, view_id) = bot
        .slack()
        .calls()
        .into_iter()
        .find_map(|(request, reply)| match (request, reply) {
            (SlackRequest::OpenView { view, .. }, SlackReply::View { id }) => Some((view, id)),
            _ => None,
        })
        .expect("a modal was opened");
    assert_eq!(view["notify_on_close"], true, "Slack tells the bot when it is closed");
    let closed = bot
        .deliver(&slack_orchestrator::payloads::view_closed(
            TEAM, "U_ANA", &view, &view_id,
        ))
        .await;
    assert_eq!(closed.state(), Some(FlowState::Error), "{closed:?}");
    assert_eq!(bot.flows().await[0].error.as_deref(), Some("the user closed the modal"));
    let again = bot
        .deliver(&slack_orchestrator::payloads::view_closed(
            TEAM, "U_ANA", &view, &view_id,
        ))
        .await;
    assert!(matches!(again, Outcome::Ended { .. }), "{again:?}");
}

#[slack_orchestrator::flow(trigger = command("/status"))]
mod status {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Status {
        #[start]
        Ask,
        Listen,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, _command: Command) -> Next<Status> {
        cx.say("What's your status? (answer in the thread)").await?;
        goto(Status::Listen)
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, said: Text) -> Next<Status> {
        complete(format!("Noted: {}", said.as_str()))
    }
}

#[tokio::test]
async fn a_reply_in_the_thread_of_the_bots_channel_message_continues_the_flow() {
    use slack_orchestrator::{SlackReply, SlackRequest};
    let bot = TestBot::new(Orchestrator::builder().flow::<status::Status>());
    let (_, started) = bot.command("U_ANA", "C_TEAM", "/status", "").await;
    assert_eq!(started.state(), Some(FlowState::WaitingForResponse));
    let asked = bot
        .slack()
        .calls()
        .into_iter()
        .find_map(|(request, reply)| match (request, reply) {
            (SlackRequest::PostMessage { thread_ts: None, .. }, SlackReply::Message { ts, .. }) => Some(ts),
            _ => None,
        })
        .expect("the question, at the top of the channel");
    // Someone else's reply in that thread is not Ana's answer.
    let other = bot.thread("U_BEN", "C_TEAM", &asked).send("not me").await;
    assert!(!matches!(other.state(), Some(FlowState::Completed)), "{other:?}");
    let answered = bot.thread("U_ANA", "C_TEAM", &asked).send("all green").await;
    assert_eq!(answered.state(), Some(FlowState::Completed), "{answered:?}");
    // A thread under any other message is a conversation of its own.
    let elsewhere = bot.thread("U_ANA", "C_TEAM", "1699999999.000001").send("hello").await;
    assert!(matches!(elsewhere, Outcome::NoFlow), "{elsewhere:?}");
}

/// A flow that names its own ways out: a word, and a slash command.
#[slack_orchestrator::flow(trigger = command("/survey"), cancel = "stop", cancel = "/survey-stop")]
mod survey {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Survey {
        #[start]
        Ask,
        Listen,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, _command: Command) -> Next<Survey> {
        cx.say("How was your week?").await?;
        goto(Survey::Listen)
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, said: Text) -> Next<Survey> {
        complete(format!("Thanks: {}", said.as_str()))
    }
}

#[tokio::test]
async fn a_flow_level_cancel_word_or_command_ends_that_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<survey::Survey>().flow::<pick::Pick>());
    let (mut ana, _) = bot.command("U_ANA", "DU_ANA", "/survey", "").await;
    ana.expect_reply("How was your week?");
    let outcome = ana.send("  STOP ").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    ana.expect_reply("Cancelled.");

    let (mut ana, _) = bot.command("U_ANA", "DU_ANA", "/survey", "").await;
    ana.expect_reply("How was your week?");
    let (_, outcome) = bot.command("U_ANA", "DU_ANA", "/survey-stop", "").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    ana.expect_reply("Cancelled.");
    assert!(bot.flows().await.iter().all(|f| !f.is_active()));

    // Another flow does not know the survey's word: "stop" is just text there, and the
    // notice names no way out (that bot has no cancel word).
    let mut bob = bot.dm("U_BOB");
    bob.send("hello").await;
    bob.expect_reply("Tea or coffee?");
    assert!(matches!(bob.send("stop").await, Outcome::Unhandled { .. }));
    bob.expect_ephemeral("I can't take that right now: I'm waiting for your answer to my last message.");
}

#[tokio::test]
async fn an_answer_in_a_channel_shared_with_another_organization_reaches_the_flow() {
    use slack_orchestrator::payloads::{message, Said};
    use slack_orchestrator::testkit::TEAM;
    let bot = TestBot::new(Orchestrator::builder().flow::<survey::Survey>());
    let (mut ana, _) = bot.command("U_ANA", "C_SHARED", "/survey", "").await;
    ana.expect_reply("How was your week?");
    // Slack Connect: the envelope names the workspace the channel was made in (another
    // organization's); its `authorizations` name the bot's own.
    let said = Said {
        team: TEAM,
        user: "U_ANA",
        channel: "C_SHARED",
        text: "great",
        ts: "1700000005.000100",
        thread_ts: None,
        event_id: "EvShared1",
    };
    let mut answer = message(&said);
    answer["team_id"] = serde_json::json!("T_ORIGIN");
    answer["is_ext_shared_channel"] = serde_json::json!(true);
    let outcome = bot.deliver(&answer).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    ana.expect_reply("Thanks: great");
}

#[tokio::test]
async fn the_waiting_notice_names_the_flows_way_out() {
    let bot = TestBot::new(Orchestrator::builder().flow::<survey::Survey>().cancel_word("cancel"));
    let (mut ana, _) = bot.command("U_ANA", "DU_ANA", "/survey", "").await;
    ana.expect_reply("How was your week?");
    // A second `/survey` while the first waits: the flow's own word goes first.
    let (_, again) = bot.command("U_ANA", "DU_ANA", "/survey", "").await;
    assert!(matches!(again, Outcome::Unhandled { .. }), "{again:?}");
    ana.expect_ephemeral(
        "I can't take that right now: I'm waiting for your answer to my last message. To stop instead, say `stop`.",
    );

    // A notice of the bot's own that names the word already is sent as it is.
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<survey::Survey>()
            .unexpected_notice("Answer my question first, or say stop."),
    );
    let (mut bob, _) = bot.command("U_BOB", "DU_BOB", "/survey", "").await;
    bob.expect_reply("How was your week?");
    bot.command("U_BOB", "DU_BOB", "/survey", "").await;
    bob.expect_ephemeral("Answer my question first, or say stop.");

    // A way out that is a slash command is named as one.
    let bot = TestBot::new(Orchestrator::builder().flow::<pick::Pick>().cancel_word("/quit"));
    let mut cleo = bot.dm("U_CLEO");
    cleo.send("hi").await;
    cleo.expect_reply("Tea or coffee?");
    cleo.send("tea please").await;
    cleo.expect_ephemeral(
        "I can't take that right now: I'm waiting for your answer to my last message. To stop instead, use `/quit`.",
    );
}
