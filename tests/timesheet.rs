//! The timesheet, with `examples/timesheet.rs`: a CSV of hours shared in, the totals shared
//! back as a CSV; a file that is not such a CSV refused with its line, in process and over
//! real HTTP against the fake Slack.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/timesheet.rs"]
mod example;

use example::timesheet::Timesheet;
use slack_orchestrator::payloads::{self, Said};
use slack_orchestrator::testkit::{LiveBot, TestBot, Transport, TEAM};
use slack_orchestrator::{FlowState, Orchestrator, SlackRequest};
use std::time::Duration;

const HOURS: &str = "project,hours\napi,2.5\nweb,1\napi,4\n";
const TOTALS: &str = "project,hours\napi,6.5\nweb,1\n";

#[test]
fn totals_add_up_per_project_and_a_bad_line_is_named() {
    let totals = example::totals(HOURS).unwrap();
    assert_eq!(totals, [("api".to_owned(), 6.5), ("web".to_owned(), 1.0)]);
    assert_eq!(
        example::totals("api,1\n\nweb, 2 \n").unwrap().len(),
        2,
        "no header, a blank line"
    );
    assert_eq!(
        example::totals("project,hours\napi,two\n").unwrap_err(),
        "line 2: `api,two` is not `project,hours`"
    );
    assert_eq!(
        example::totals("project,hours\napi,-1\n").unwrap_err(),
        "line 2: `api,-1` is not `project,hours`",
        "no negative hours"
    );
}

/// The uploads the bot made: (file name, content, comment).
fn uploads(bot: &TestBot) -> Vec<(String, String, Option<String>)> {
    let requests = bot.slack().requests().into_iter();
    let uploads = requests.filter_map(|request| match request {
        SlackRequest::Upload {
            filename,
            content,
            initial_comment,
            ..
        } => Some((filename, String::from_utf8(content).unwrap(), initial_comment)),
        _ => None,
    });
    uploads.collect()
}

#[tokio::test]
async fn a_file_that_is_not_hours_is_refused_and_the_next_one_is_totalled() {
    let bot = TestBot::new(Orchestrator::builder().flow::<Timesheet>());
    // The test kit's file events link their files here (`payloads::file_share`).
    bot.slack()
        .serve_file("https://files.slack.invalid/F1/notes.csv", "project,hours\napi,two\n");
    bot.slack()
        .serve_file("https://files.slack.invalid/F2/hours.csv", HOURS);
    let mut chat = bot.dm("U1");
    chat.send("timesheet").await;
    chat.expect_reply("Share your hours as a CSV of `project,hours` lines.");
    chat.upload(&[("F1", "notes.csv")], "").await;
    chat.expect_reply("I can't read that file: line 2: `api,two` is not `project,hours`. Share another.");
    assert!(uploads(&bot).is_empty());
    chat.upload(&[("F2", "hours.csv")], "here").await;
    assert_eq!(
        uploads(&bot),
        [(
            "totals.csv".to_owned(),
            TOTALS.to_owned(),
            Some("7.5 hours on 2 project(s).".to_owned())
        )]
    );
    let states: Vec<FlowState> = bot.flows().await.into_iter().map(|f| f.state).collect();
    assert_eq!(states, [FlowState::Completed]);
}

#[tokio::test]
async fn over_http_the_shared_file_is_read_and_the_totals_land_in_slack() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<Timesheet>()).await;
    let slack = bot.slack();
    let wait = Duration::from_secs(10);
    let (id, url) = slack.host_file("hours.csv", HOURS);
    bot.event(&payloads::direct_message(
        TEAM,
        "U1",
        "timesheet",
        "1800000000.000001",
        "EvHours1",
    ))
    .await;
    slack.wait_for("chat.postMessage", 1, wait).await;
    let said = Said {
        team: TEAM,
        user: "U1",
        channel: "DU1",
        text: "",
        ts: "1800000000.000002",
        thread_ts: None,
        event_id: "EvHours2",
    };
    let mut shared = payloads::file_share(&said, &[(&id, "hours.csv")]);
    shared["event"]["files"][0]["url_private"] = url.into();
    bot.event(&shared).await;
    let shared = slack.wait_for("files.completeUploadExternal", 1, wait).await;
    assert_eq!(shared[0]["channel_id"], "DU1");
    assert_eq!(shared[0]["initial_comment"], "7.5 hours on 2 project(s).");
    let totals = shared[0]["files"][0]["id"].as_str().unwrap();
    assert_eq!(slack.uploaded(totals).as_deref(), Some(TOTALS.as_bytes()));
    bot.stop().await;
}
