//! `examples/helpdesk.rs`: a form of two pages, then an external select whose options the
//! bot searches; in process, over signed HTTP with Slack's payload shapes, and in the
//! console chat.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/helpdesk.rs"]
mod example;

use example::{search_issues, ticket::Ticket};
use slack_orchestrator::testkit::{LiveBot, TestBot, Transport, TEAM};
use slack_orchestrator::{payloads, FlowState, Orchestrator, Outcome};
use std::time::Duration;

fn builder() -> slack_orchestrator::OrchestratorBuilder {
    Orchestrator::builder().flow::<Ticket>().options("issue", search_issues)
}

#[tokio::test]
async fn a_ticket_goes_through_two_pages_and_links_the_issue_found_by_search() {
    let bot = TestBot::new(builder());
    let (mut chat, _) = bot.command("U_BO", "D_BO", "/ticket", "").await;
    let refused = chat.submit(&[("title", "title", "Ugh"), ("area", "area", "web")]).await;
    assert!(matches!(refused, Outcome::Rejected { .. }), "{refused:?}");
    let outcome = chat
        .submit(&[("title", "title", "Cannot log in"), ("area", "area", "web")])
        .await;
    let Outcome::Advanced { answer: Some(next), .. } = &outcome else {
        panic!("the second page: {outcome:?}");
    };
    assert_eq!(next["view"]["callback_id"], "ticket-2");
    let outcome = chat.submit(&[("details", "details", "Since Monday")]).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    chat.expect_reply("Cannot log in: is it a known issue?");

    let found: Vec<String> = chat
        .options("issue", "login")
        .await
        .into_iter()
        .map(|o| o.value)
        .collect();
    assert_eq!(found, ["PROJ-1", "PROJ-3"]);
    let outcome = chat.select("issue", "PROJ-3").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("\"Cannot log in\" is linked to PROJ-3. We'll keep you posted.");
    let record = &bot.flows().await[0];
    assert_eq!(record.metadata["details"], "Since Monday");
    assert_eq!(record.metadata["issue"], "PROJ-3");
}

/// Over signed HTTP, as Slack sends each part: the command, the first page's submission
/// (answered with the second page in the ack), the second's, the options request, the choice.
#[tokio::test]
async fn over_http_each_answer_goes_back_where_slack_expects_it() {
    let bot = LiveBot::start(Transport::Http, builder()).await;
    let slack = bot.slack();
    let command = payloads::slash_command(TEAM, "U_BO", "D_BO", "/ticket", "", "1.1.t");
    bot.command(&command).await;
    let opened = slack.wait_for("views.open", 1, Duration::from_secs(10)).await;
    let view_id = slack.calls().iter().find(|c| c.method == "views.open").unwrap().reply["view"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = [("title", "title", "Cannot log in"), ("area", "area", "web")];
    let submitted = payloads::view_submission(TEAM, "U_BO", &opened[0]["view"], &view_id, &first, "1.2.t");
    let page = bot.interaction(&submitted).await.body();
    assert_eq!(page["response_action"], "update", "{page}");
    let second = [("details", "details", "Since Monday")];
    let submitted = payloads::view_submission(TEAM, "U_BO", &page["view"], &view_id, &second, "1.3.t");
    assert_eq!(
        bot.interaction(&submitted).await.body(),
        serde_json::Value::Null,
        "the modal closes"
    );

    let posted = slack.wait_for("chat.postMessage", 1, Duration::from_secs(10)).await;
    let blocks = posted[0]["blocks"].clone();
    let (block_id, _) = payloads::find_element(&blocks, "issue").expect("the external select");
    let ts = slack
        .calls()
        .iter()
        .find(|c| c.method == "chat.postMessage")
        .unwrap()
        .reply["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = payloads::ElementAt {
        channel: "D_BO",
        message_ts: &ts,
        thread_ts: None,
        block_id: &block_id,
    };
    let options = bot
        .interaction(&payloads::block_suggestion(TEAM, "U_BO", &at, "issue", "CSV"))
        .await
        .body();
    assert_eq!(
        options,
        serde_json::json!({"options": [{"text": {"type": "plain_text", "text": "PROJ-2: Export to CSV times out"}, "value": "PROJ-2"}]})
    );
    let chosen = serde_json::json!({"type": "external_select", "action_id": "issue",
        "selected_option": {"text": {"type": "plain_text", "text": "PROJ-2: Export to CSV times out"}, "value": "PROJ-2"}});
    bot.interaction(&payloads::block_action(TEAM, "U_BO", &at, chosen, "1.4.t"))
        .await;
    let posted = slack.wait_for("chat.postMessage", 2, Duration::from_secs(10)).await;
    assert_eq!(
        posted[1]["text"],
        "\"Cannot log in\" is linked to PROJ-2. We'll keep you posted."
    );
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_the_form_pages_are_asked_in_turn_and_the_search_lists_every_issue() {
    let printed = slack_orchestrator::testkit::console_transcript(
        builder(),
        "/ticket\nInvoices are wrong\nbilling\nEuros shown as dollars\n5\n",
    )
    .await;
    assert!(
        printed.contains("Ticket (2/2)"),
        "the second page follows the first: {printed}"
    );
    assert!(
        printed.contains("[5] PROJ-4: Invoices show the wrong currency"),
        "the options handler's list, numbered: {printed}"
    );
    assert!(
        printed.contains("\"Invoices are wrong\" is linked to PROJ-4."),
        "{printed}"
    );
}
