//! Buttons, select menus and modals, with `examples/menu.rs`.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/menu.rs"]
mod example;

use example::{feedback::Feedback, menu::Menu};
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator, Outcome, SlackRequest};

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Feedback>().flow::<Menu>())
}

#[tokio::test]
async fn a_click_updates_the_message_and_a_menu_choice_completes() {
    let bot = bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("show me the menu").await;
    chat.expect_reply("Choose an option");

    // Typing instead of clicking is answered and changes nothing.
    chat.send("option 1 please").await;
    chat.expect_reply("Please pick one of the buttons.");

    chat.click("option_2").await;
    let updated = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::UpdateMessage { text, blocks, .. } => Some((text, blocks)),
        _ => None,
    });
    assert_eq!(
        updated,
        Some(("You chose Option 2".to_owned(), Some(serde_json::json!([]))))
    );
    chat.expect_reply("Which size?");

    let outcome = chat.select("size", "l").await;
    chat.expect_reply("Option 2, size Large. Done!");
    assert_eq!(outcome.state(), Some(FlowState::Completed));
    assert_eq!(bot.flows().await[0].metadata["choice"], "2/Large");
}

#[tokio::test]
async fn a_click_on_a_button_of_an_earlier_step_changes_nothing_and_says_so() {
    let bot = bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("menu").await;
    chat.click("option_1").await;
    let before = bot.flows().await;
    let outcome = chat.click("option_2").await;
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    chat.expect_ephemeral("That choice is no longer available: the conversation has moved on.");
    assert_eq!(bot.flows().await, before);
}

/// Two questions in a row, both answered with buttons: a deploy, then its confirmation,
/// reminded once after an hour (with buttons of its own), and a third question asked by
/// replacing the buttons of the second in the same message.
#[slack_orchestrator::flow(trigger = keyword("deploy"))]
mod deploy {
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    pub(crate) enum Deploy {
        #[start]
        Ask,
        Decide,
        #[timeout("1h")]
        Confirm,
        Really,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Deploy> {
        let buttons = blocks::actions(
            "d",
            vec![
                blocks::button("go", "Deploy", "go"),
                blocks::button("later", "Later", "later"),
            ],
        );
        cx.send_interactive_message("Deploy v2?", json!([buttons])).await?;
        goto(Deploy::Decide)
    }

    #[step(Decide)]
    async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
        if click.action_id == "later" {
            return complete("Maybe later.");
        }
        let sure = blocks::actions(
            "c",
            vec![blocks::button("yes", "Yes", "yes"), blocks::button("no", "No", "no")],
        );
        cx.send_interactive_message("Sure?", json!([sure])).await?;
        goto(Deploy::Confirm)
    }

    #[step(Confirm)]
    async fn confirm(cx: &mut Cx, click: Click) -> Next<Deploy> {
        if click.action_id != "yes" {
            return complete(format!("Not deployed ({}).", click.action_id));
        }
        // The next question in the same message: its buttons replace these.
        let really = blocks::actions("r", vec![blocks::button("really", "Really deploy", "really")]);
        let ts = click.message_ts.clone().unwrap_or_default();
        cx.update_message(ts, "Really?", Some(json!([really]))).await?;
        goto(Deploy::Really)
    }

    #[step(Confirm)]
    async fn remind(cx: &mut Cx, _deadline: Timeout) -> Next<Deploy> {
        let snooze = blocks::actions("s", vec![blocks::button("snooze", "Snooze", "snooze")]);
        cx.send_interactive_message("Still deploying? (the buttons above)", json!([snooze]))
            .await?;
        stay()
    }

    #[step(Really)]
    async fn really(_cx: &mut Cx, click: Click) -> Next<Deploy> {
        complete(format!("Deployed ({}).", click.action_id))
    }
}

fn deploy_bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>())
}

/// The step after a question answered with buttons also takes buttons: a click on the
/// first question's (still on screen) is not an answer to the second.
#[tokio::test]
async fn a_click_on_an_earlier_question_is_not_taken_by_a_later_step_that_takes_clicks() {
    let bot = deploy_bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("deploy").await;
    chat.click("go").await;
    assert_eq!(chat.replies(), ["Deploy v2?", "Sure?"]);
    let before = bot.flows().await;

    let outcome = chat.click("later").await; // the first question's button
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    chat.expect_ephemeral("That choice is no longer available: the conversation has moved on.");
    chat.expect_no_reply();
    assert_eq!(bot.flows().await, before, "nothing changed");

    chat.click("no").await; // the question it asks
    chat.expect_reply("Not deployed (no).");
}

/// A reminder that stays in its step asks besides the question, not instead of it; a
/// question asked again in the same message (its buttons replaced) is the current one.
#[tokio::test(start_paused = true)]
async fn a_reminder_keeps_the_question_and_a_message_updated_with_new_buttons_asks_the_next() {
    let bot = deploy_bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("deploy").await;
    chat.click("go").await;
    assert_eq!(bot.advance(std::time::Duration::from_secs(3601)).await, 1);
    assert_eq!(
        chat.replies(),
        ["Deploy v2?", "Sure?", "Still deploying? (the buttons above)"]
    );

    chat.click("no").await; // on the question, above the reminder
    chat.expect_reply("Not deployed (no).");

    let mut chat = bot.dm("U_BOB");
    chat.send("deploy").await;
    chat.click("go").await;
    chat.click("yes").await; // asks "Really?" in the same message
    chat.click("really").await;
    assert_eq!(chat.replies().last().map(String::as_str), Some("Deployed (really)."));
}

#[tokio::test]
async fn the_blocks_carry_the_flow_id_back() {
    let bot = bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("menu").await;
    let flow_id = bot.flows().await[0].id;
    let blocks = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::PostMessage { blocks: Some(b), .. } => Some(b),
        _ => None,
    });
    let block_id = blocks.unwrap()[1]["block_id"].as_str().unwrap().to_owned();
    assert_eq!(block_id, format!("so:{flow_id}:options"));
}

#[tokio::test]
async fn typing_while_the_menu_waits_for_a_choice_names_the_way_out() {
    let bot = bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("menu").await;
    chat.click("option_2").await;
    let outcome = chat.send("large please").await;
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    chat.expect_ephemeral(
        "I can't take that right now: I'm waiting for your answer to my last message. To stop instead, say `cancel`.",
    );
    let outcome = chat.send("Cancel").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    assert_eq!(chat.replies().last().map(String::as_str), Some("Cancelled."));
}

#[tokio::test]
async fn a_click_on_a_finished_flow_gets_an_ephemeral_notice() {
    let bot = bot();
    let mut chat = bot.dm("U_ALICE");
    chat.send("menu").await;
    chat.click("option_1").await;
    chat.select("size", "s").await;
    let flows_before = bot.flows().await;

    let outcome = chat.click("option_1").await;
    assert!(matches!(outcome, Outcome::Ended { .. }), "{outcome:?}");
    chat.expect_ephemeral("This conversation has ended.");
    assert_eq!(bot.flows().await, flows_before, "nothing changed");
}

#[tokio::test]
async fn a_slash_command_opens_a_modal_whose_submission_is_validated() {
    let bot = bot();
    let (mut chat, _) = bot.command("U_ALICE", "C_GENERAL", "/feedback", "").await;
    let view = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::OpenView { view, trigger_id } => Some((view, trigger_id)),
        _ => None,
    });
    let (view, trigger_id) = view.expect("a modal was opened");
    assert!(!trigger_id.is_empty());
    assert_eq!(view["callback_id"], "feedback");

    let outcome = chat
        .submit(&[("score", "score", "4"), ("comment", "comment", "Lovely")])
        .await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Thanks for the 4/5! You said: Lovely");

    let (mut again, _) = bot.command("U_ALICE", "C_GENERAL", "/feedback", "").await;
    let outcome = again
        .submit(&[("score", "score", "eleven"), ("comment", "comment", "")])
        .await;
    let Outcome::Rejected { errors, .. } = outcome else {
        panic!("expected a rejection, got {outcome:?}")
    };
    assert_eq!(errors["score"], "The score must be a number from 1 to 5.");
    again.expect_no_reply();
    let outcome = again
        .submit(&[("score", "score", "5"), ("comment", "comment", "")])
        .await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    again.expect_reply("Thanks for the 5/5! You said: ");
}

#[slack_orchestrator::flow(trigger = command("/expense"))]
mod expense {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Expense {
        #[start]
        Open,
        Fill,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Expense> {
        // The block and its input have different ids, as Block Kit builders often make them.
        let amount = blocks::text_input("amount_block", "amount", "Amount");
        cx.open_modal(blocks::modal("expense", "Expense", "Send", vec![amount]))
            .await?;
        goto(Expense::Fill)
    }

    #[step(Fill)]
    async fn fill(_cx: &mut Cx, form: Submission) -> Next<Expense> {
        match form.value("amount").and_then(|a| a.parse::<u32>().ok()) {
            Some(amount) => complete(format!("Filed {amount}.")),
            // The same name as `value` takes: the action id.
            None => reject([("amount", "A whole number, please.")]),
        }
    }
}

#[tokio::test]
async fn a_rejection_may_name_the_field_by_its_action_id_and_lands_on_its_block() {
    let bot = TestBot::new(Orchestrator::builder().flow::<expense::Expense>());
    let (mut chat, _) = bot.command("U_ALICE", "C_GENERAL", "/expense", "").await;
    let outcome = chat.submit(&[("amount_block", "amount", "lots")]).await;
    let Outcome::Rejected { errors, .. } = outcome else {
        panic!("expected a rejection, got {outcome:?}")
    };
    assert_eq!(
        errors.into_iter().collect::<Vec<_>>(),
        [("amount_block".to_owned(), "A whole number, please.".to_owned())],
        "keyed by the block Slack shows the error under"
    );
    let outcome = chat.submit(&[("amount_block", "amount", "12")]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
}

#[tokio::test]
async fn the_console_shows_section_text_and_numbers_each_choice_while_its_message_shows_it() {
    // Pick option 2; its message is edited (no buttons left), the next one offers 3 and 4.
    let printed =
        slack_orchestrator::testkit::console_transcript(Orchestrator::builder().flow::<Menu>(), "menu\n2\n1\n4\n")
            .await;
    assert!(
        printed.contains("  Option 2: which size?\n  [3] Small\n  [4] Large"),
        "{printed}"
    );
    assert!(
        printed.contains("I can't take that right now"),
        "1 is no choice any more once its message was edited: {printed}"
    );
    assert!(!printed.contains("[1] Small"), "numbers are not reused: {printed}");
}

/// A form of two pages: submitting the first answers with the second (Slack's
/// `response_action: update`), whose submission completes the flow and closes every modal.
#[slack_orchestrator::flow(trigger = command("/trip"))]
mod trip {
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::ModalAnswer;

    pub(crate) enum Trip {
        #[start]
        Open,
        Where,
        When {
            city: String,
        },
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Trip> {
        let city = blocks::text_input("city", "city", "Where to?");
        cx.open_modal(blocks::modal("trip-1", "Trip (1/2)", "Next", vec![city]))
            .await?;
        goto(Trip::Where)
    }

    #[step(Where)]
    async fn city(cx: &mut Cx, form: Submission) -> Next<Trip> {
        let city = form.value("city").unwrap_or_default().to_owned();
        let page = blocks::modal(
            "trip-2",
            "Trip (2/2)",
            "Book",
            vec![blocks::text_input("day", "day", &format!("When to {city}?"))],
        );
        cx.answer_submission(ModalAnswer::Update(page))?;
        if city == "Atlantis" {
            return fail("No trips to Atlantis.");
        }
        goto(Trip::When { city })
    }

    #[step(When { city })]
    async fn day(cx: &mut Cx, city: String, form: Submission) -> Next<Trip> {
        cx.answer_submission(ModalAnswer::Clear)?;
        complete(format!("Booked {city} on {}.", form.value("day").unwrap_or("?")))
    }

    #[step(When { city })]
    async fn not_a_form(cx: &mut Cx, city: String, _text: Text) -> Next<Trip> {
        let refused = cx.answer_submission(ModalAnswer::Clear).is_err();
        cx.say(format!("{city} waits for a day; not a submission: refused = {refused}"))
            .await?;
        stay()
    }
}

#[tokio::test]
async fn a_submission_answered_with_the_next_page_leads_to_a_form_of_two_pages() {
    let bot = TestBot::new(Orchestrator::builder().flow::<trip::Trip>());
    let (mut chat, _) = bot.command("U_ANA", "D_ANA", "/trip", "").await;
    let outcome = chat.submit(&[("city", "city", "Lisbon")]).await;
    let Outcome::Advanced {
        answer: Some(answer), ..
    } = &outcome
    else {
        panic!("the first page is answered with the second: {outcome:?}");
    };
    assert_eq!(answer["response_action"], "update");
    assert_eq!(answer["view"]["callback_id"], "trip-2");
    assert_eq!(answer["view"]["blocks"][0]["label"]["text"], "When to Lisbon?");
    let flow_id = bot.flows().await[0].id.to_string();
    assert!(
        answer["view"]["private_metadata"].as_str().unwrap().contains(&flow_id),
        "tagged, so its submission comes back to the flow: {answer}"
    );
    chat.send("hello").await;
    chat.expect_reply("Lisbon waits for a day; not a submission: refused = true");

    let outcome = chat.submit(&[("day", "day", "May 1")]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    let Outcome::Advanced { answer, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        answer.as_ref().unwrap(),
        &serde_json::json!({"response_action": "clear"})
    );
    chat.expect_reply("Booked Lisbon on May 1.");
}

/// The answer goes back in the HTTP acknowledgement of the submission, as Slack expects it.
#[tokio::test]
async fn a_step_that_fails_after_answering_leaves_the_modal_to_close() {
    let bot = TestBot::new(Orchestrator::builder().flow::<trip::Trip>());
    let (mut chat, _) = bot.command("U_ANA", "D_ANA", "/trip", "").await;
    let outcome = chat.submit(&[("city", "city", "Atlantis")]).await;
    assert_eq!(
        outcome,
        Outcome::Advanced {
            flow_id: bot.flows().await[0].id,
            state: FlowState::Error,
            step: "Where".into(),
            answer: None,
        },
        "no next page for a flow that ended"
    );
    chat.expect_reply("No trips to Atlantis.");
}

#[tokio::test]
async fn the_next_page_goes_back_in_the_acknowledgement() {
    use slack_orchestrator::payloads;
    use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<trip::Trip>()).await;
    let form = payloads::slash_command(TEAM, "U_ANA", "D_ANA", "/trip", "", "1.1.t");
    bot.command(&form).await;
    let opened = bot
        .slack()
        .wait_for("views.open", 1, std::time::Duration::from_secs(10))
        .await;
    let view = opened[0]["view"].clone();
    let view_id = bot
        .slack()
        .calls()
        .iter()
        .find(|c| c.method == "views.open")
        .unwrap()
        .reply["view"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submission = payloads::view_submission(TEAM, "U_ANA", &view, &view_id, &[("city", "city", "Oslo")], "1.2.t");
    let ack = bot.interaction(&submission).await.body();
    assert_eq!(ack["response_action"], "update", "{ack}");
    assert_eq!(ack["view"]["blocks"][0]["label"]["text"], "When to Oslo?");
    bot.stop().await;
}

#[slack_orchestrator::flow(trigger = mention, trigger = direct_message)]
#[allow(unreachable_pub)]
mod cleanup {
    use slack_orchestrator::prelude::*;

    /// Asks the user alone, in the thread, before deleting; anyone may follow up in text.
    pub enum Cleanup {
        #[start]
        Ask,
        Confirm,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Cleanup> {
        let sure = blocks::actions("sure", vec![blocks::button("delete", "Delete 3 files", "3")]);
        let user = cx.user_id().to_owned();
        cx.ephemeral_interactive(user, "Delete 3 old files?", serde_json::json!([sure]))
            .await?;
        goto(Cleanup::Confirm)
    }

    #[step(Confirm)]
    async fn confirm(cx: &mut Cx, click: Click) -> Next<Cleanup> {
        cx.respond(format!("Deleted {} files.", click.value.unwrap_or_default()), true)
            .await?;
        complete("Cleanup done.")
    }
}

#[tokio::test]
async fn a_click_on_an_ephemeral_question_in_a_thread_answers_the_threads_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<cleanup::Cleanup>());
    let mut thread = bot.mention("U_ANA", "C_OPS", "clean up").await;
    thread.expect_ephemeral("Delete 3 old files?");
    let asked = bot.slack().requests();
    let Some(SlackRequest::PostEphemeral { thread_ts, blocks, .. }) = asked.last() else {
        panic!("{asked:?}")
    };
    assert_eq!(thread_ts.as_deref(), thread.thread_ts());
    let block_id = blocks.as_ref().unwrap()[0]["block_id"].as_str().unwrap();
    assert!(block_id.starts_with("so:"), "tagged with the flow: {block_id}");

    // Slack sends the click without the message; the container says where it was.
    let outcome = thread.click("delete").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    let replaced =
        bot.slack().requests().into_iter().any(
            |r| matches!(r, SlackRequest::Respond { text, replace_original: true, .. } if text == "Deleted 3 files."),
        );
    assert!(replaced, "{:?}", bot.slack().requests());
    thread.expect_reply("Cleanup done.");
    assert_eq!(bot.flows().await.len(), 1, "the thread's flow, not a new one");
}

#[slack_orchestrator::flow(trigger = keyword("purge"))]
#[allow(unreachable_pub)]
mod purge {
    use slack_orchestrator::prelude::*;

    /// Two questions the user alone sees, one after the other.
    pub enum Purge {
        #[start]
        Ask,
        Sure,
        Confirm,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Purge> {
        let purge = blocks::actions("p", vec![blocks::button("purge", "Purge", "all")]);
        let user = cx.user_id().to_owned();
        cx.ephemeral_interactive(user, "Purge the cache?", serde_json::json!([purge]))
            .await?;
        goto(Purge::Sure)
    }

    #[step(Sure)]
    async fn sure(cx: &mut Cx, _click: Click) -> Next<Purge> {
        let sure = blocks::actions(
            "s",
            vec![blocks::button("yes", "Yes", "y"), blocks::button("no", "No", "n")],
        );
        let user = cx.user_id().to_owned();
        cx.ephemeral_interactive(user, "Sure? It cannot be undone.", serde_json::json!([sure]))
            .await?;
        goto(Purge::Confirm)
    }

    #[step(Confirm)]
    async fn confirm(_cx: &mut Cx, click: Click) -> Next<Purge> {
        complete(format!("Purge: {}.", click.action_id))
    }
}

/// Slack names an ephemeral message by the `message_ts` `chat.postEphemeral` answered, and
/// a click on it carries that `ts` in its container: the flow knows which question it was.
#[tokio::test]
async fn a_click_on_an_ephemeral_question_the_flow_has_left_is_no_answer_to_the_next() {
    let bot = TestBot::new(Orchestrator::builder().flow::<purge::Purge>());
    let mut chat = bot.dm("U_ANA");
    chat.send("purge").await;
    chat.expect_ephemeral("Purge the cache?");
    chat.click("purge").await;
    chat.expect_ephemeral("Sure? It cannot be undone.");
    let before = bot.flows().await;

    let outcome = chat.click("purge").await; // the first question, still on the user's screen
    assert!(matches!(outcome, Outcome::Unhandled { .. }), "{outcome:?}");
    chat.expect_ephemeral("That choice is no longer available: the conversation has moved on.");
    assert_eq!(bot.flows().await, before, "nothing changed");

    let outcome = chat.click("yes").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Purge: yes.");
}

#[tokio::test]
async fn over_http_a_click_on_an_ephemeral_question_the_flow_has_left_is_no_answer_either() {
    use slack_orchestrator::payloads;
    use slack_orchestrator::testkit::{LiveBot, Transport, TEAM};
    let wait = std::time::Duration::from_secs(5);
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<purge::Purge>()).await;
    bot.event(&payloads::direct_message(
        TEAM,
        "U_ANA",
        "purge",
        "1800000000.000100",
        "EvP1",
    ))
    .await;
    bot.slack().wait_for("chat.postEphemeral", 1, wait).await;
    bot.click("U_ANA", "DU_ANA", "purge").await;
    bot.slack().wait_for("chat.postEphemeral", 2, wait).await;

    // Slack sends these clicks without the message, named by the container's message_ts.
    bot.click("U_ANA", "DU_ANA", "purge").await; // the first question's, still on screen
    let noticed = bot.slack().wait_for("chat.postEphemeral", 3, wait).await;
    assert_eq!(
        noticed[2]["text"],
        "That choice is no longer available: the conversation has moved on."
    );
    bot.click("U_ANA", "DU_ANA", "yes").await;
    let posted = bot.slack().wait_for("chat.postMessage", 1, wait).await;
    assert_eq!(posted[0]["text"], "Purge: yes.");
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_an_ephemeral_question_offers_its_buttons_to_the_user() {
    let printed = slack_orchestrator::testkit::console_transcript(
        Orchestrator::builder().flow::<cleanup::Cleanup>(),
        "clean up\n1\n",
    )
    .await;
    assert!(printed.contains("bot (only you)> Delete 3 old files?"), "{printed}");
    assert!(printed.contains("[1] Delete 3 files"), "offered as a choice: {printed}");
    assert!(printed.contains("bot (only you)> Deleted 3 files."), "{printed}");
    assert!(printed.contains("bot> Cleanup done."), "{printed}");
}
