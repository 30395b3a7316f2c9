//! The modal form with inline errors, with `examples/time_off.rs`: each mistake under its
//! own field, all at once, keyed by the block ids of the view Slack received (over real
//! HTTP against the fake Slack), the modal kept open for another try; closing it ends the
//! flow.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/time_off.rs"]
mod example;

use chrono::NaiveDate;
use example::time_off::{working_days, TimeOff};
use serde_json::{json, Value};
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{LiveBot, TestBot, Transport, TEAM};
use slack_orchestrator::{Clock, FlowState, Orchestrator, Outcome};
use std::time::Duration;

/// Wednesday 2 December 2026.
fn today() -> chrono::DateTime<chrono::Utc> {
    "2026-12-02T10:00:00Z".parse().unwrap()
}

fn builder() -> slack_orchestrator::OrchestratorBuilder {
    Orchestrator::builder().flow::<TimeOff>().clock(Clock::at(today()))
}

/// The form's three inputs: `(block_id, action_id, value)`.
type Form<'a> = [(&'a str, &'a str, &'a str); 3];

fn form<'a>(first: &'a str, last: &'a str, note: &'a str) -> Form<'a> {
    [
        ("first_block", "first", first),
        ("last_block", "last", last),
        ("note_block", "note", note),
    ]
}

#[test]
fn working_days_skip_weekends() {
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        working_days(day("2026-12-04"), day("2026-12-07")),
        2,
        "Friday to Monday"
    );
    assert_eq!(working_days(day("2026-12-05"), day("2026-12-06")), 0);
}

#[tokio::test]
async fn every_mistake_is_shown_under_its_field_and_the_form_stays_open() {
    let bot = TestBot::new(builder());
    let (mut chat, _) = bot.command("U_ANA", "C_TEAM", "/timeoff", "").await;
    let tries: [(Form, Value); 4] = [
        (
            form("", "24/12/2026", ""),
            json!({"first_block": "Please give a date.", "last_block": "`24/12/2026` is not a date like 2026-12-24."}),
        ),
        (
            form("2026-11-30", "2026-12-01", ""),
            json!({"first_block": "That day has passed."}),
        ),
        (
            form("2026-12-21", "2026-12-18", ""),
            json!({"last_block": "The last day comes before the first."}),
        ),
        (
            form("2026-12-07", "2027-01-29", ""),
            json!({"last_block": "That is more than 20 working days: split it in two requests."}),
        ),
    ];
    for (values, expected) in tries {
        let outcome = chat.submit(&values).await;
        let Outcome::Rejected { errors, .. } = outcome else {
            panic!("{values:?}: expected a rejection, got {outcome:?}")
        };
        assert_eq!(serde_json::to_value(&errors).unwrap(), expected, "{values:?}");
        chat.expect_no_reply();
    }
    let outcome = chat.submit(&form("2026-12-21", "2026-12-24", "Family")).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Time off requested: 2026-12-21 to 2026-12-24, 4 working days. Note: Family");
    let record = &bot.flows().await[0];
    assert_eq!(record.metadata["first"], "2026-12-21");
}

#[tokio::test]
async fn closing_the_modal_ends_the_request() {
    let bot = TestBot::new(builder());
    let (mut chat, _) = bot.command("U_ANA", "C_TEAM", "/timeoff", "").await;
    chat.close_modal().await;
    chat.expect_no_reply();
    assert!(bot.flows().await.iter().all(|f| !f.is_active()));
}

#[tokio::test]
async fn over_http_the_errors_name_the_blocks_of_the_view_slack_received() {
    let bot = LiveBot::start(Transport::Http, builder()).await;
    let command = payloads::slash_command(TEAM, "U_ANA", "C_TEAM", "/timeoff", "", "7.1.t");
    bot.command(&command).await;
    let (view, view_id) = bot.slack().opened_view(Duration::from_secs(10)).await;
    // The ids Slack received (the runtime tags them with the flow), in the view's order.
    let ids: Vec<String> = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["block_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(view["blocks"][2]["optional"], true, "the note may be left empty");
    let values = [
        (ids[0].as_str(), "first", "2026-13-01"),
        (ids[1].as_str(), "last", ""),
        (ids[2].as_str(), "note", ""),
    ];
    let submission = payloads::view_submission(TEAM, "U_ANA", &view, &view_id, &values, "7.2.t");
    let answer = bot.interaction(&submission).await;
    assert_eq!(
        answer.body(),
        json!({"response_action": "errors", "errors": {
            ids[0].as_str(): "`2026-13-01` is not a date like 2026-12-24.",
            ids[1].as_str(): "Please give a date.",
        }})
    );
    bot.stop().await;
}

#[tokio::test]
async fn in_the_console_an_optional_field_can_be_left_empty() {
    // A wrong first try (shown with its errors), then a right one with an empty note.
    let printed = slack_orchestrator::testkit::console_transcript(
        Orchestrator::builder().flow::<TimeOff>(),
        "/timeoff\n2020-01-01\n2020-01-02\n\n2099-03-02\n2099-03-03\n\n",
    )
    .await;
    assert!(
        printed.contains("Note for your manager (optional: an empty line leaves it blank)?"),
        "{printed}"
    );
    assert!(printed.contains("That day has passed."), "{printed}");
    assert!(
        printed.contains("Time off requested: 2099-03-02 to 2099-03-03, 2 working days."),
        "{printed}"
    );
}
