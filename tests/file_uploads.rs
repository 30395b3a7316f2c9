//! A step shares a file (a report, an export) with `cx.upload`, over real HTTP against the
//! fake Slack, through Slack's upload flow: `files.getUploadURLExternal`, the bytes sent to
//! the URL it answers, `files.completeUploadExternal` in the conversation's thread.

use slack_orchestrator::payloads::{self, Said};
use slack_orchestrator::testkit::{LiveBot, Transport, BOT_USER, TEAM};
use slack_orchestrator::Orchestrator;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const REPORT: &str = "team,hours\nops,42\nsupport,37\n";

#[slack_orchestrator::flow(trigger = mention)]
mod report {
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::FileUpload;

    pub(crate) enum Report {
        #[start]
        Send,
    }

    #[step(Send)]
    async fn send(cx: &mut Cx) -> Next<Report> {
        let file = FileUpload::new("hours.csv", super::REPORT)
            .title("Hours this week")
            .comment("Here are this week's hours.");
        let id = cx.upload(file).await?;
        complete(format!("Shared {id}."))
    }
}

fn mention(user: &str, ts: &str, event_id: &str) -> serde_json::Value {
    let said = Said {
        team: TEAM,
        user,
        channel: "C1",
        text: "hours please",
        ts,
        thread_ts: None,
        event_id,
    };
    payloads::mention(&said, BOT_USER)
}

#[tokio::test]
async fn a_step_shares_a_report_in_the_thread_it_was_asked_in() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<report::Report>()).await;
    let slack = bot.slack();
    bot.event(&mention("U1", "1800000000.000100", "EvReport1")).await;

    let done = slack.wait_for("chat.postMessage", 1, WAIT).await;
    let asked = slack.calls_to("files.getUploadURLExternal");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["filename"], "hours.csv");
    assert_eq!(
        asked[0]["length"],
        REPORT.len().to_string(),
        "the length Slack checks the bytes against"
    );
    let sent = slack.calls_to("upload_url");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["content_type"], "text/csv", "the type of the file's name");
    let shared = slack.calls_to("files.completeUploadExternal");
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0]["channel_id"], "C1");
    assert_eq!(shared[0]["thread_ts"], "1800000000.000100", "in the mention's thread");
    assert_eq!(shared[0]["initial_comment"], "Here are this week's hours.");
    assert_eq!(shared[0]["files"][0]["title"], "Hours this week");
    let id = shared[0]["files"][0]["id"].as_str().expect("the file's id");
    assert_eq!(
        slack.uploaded(id).as_deref(),
        Some(REPORT.as_bytes()),
        "the bytes as given"
    );
    assert_eq!(done[0]["text"], format!("Shared {id}."), "the step gets the file's id");
    bot.stop().await;
}

#[tokio::test]
async fn a_rate_limited_share_is_waited_out_and_one_slack_refuses_fails_the_step() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<report::Report>()).await;
    let slack = bot.slack();
    slack.rate_limit_next("files.completeUploadExternal", 1, 1);
    bot.event(&mention("U1", "1800000000.000100", "EvReport1")).await;
    let done = slack.wait_for("chat.postMessage", 1, WAIT).await;
    assert!(
        done[0]["text"].as_str().is_some_and(|t| t.starts_with("Shared F")),
        "{done:?}"
    );
    // The share was refused with a 429: the upload is made again after Retry-After, and
    // the new file is shared (the first was never shared, as Slack shares only on the last call).
    let asked = slack.calls_to("files.getUploadURLExternal");
    assert_eq!(asked.len(), 2, "{asked:?}");
    let shared = slack.calls_to("files.completeUploadExternal");
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(
        done[0]["text"],
        format!("Shared {}.", shared[0]["files"][0]["id"].as_str().unwrap())
    );

    // The bot is not in the channel: Slack refuses the share, and the step fails with it.
    slack.fail_next("files.completeUploadExternal", "not_in_channel");
    bot.event(&mention("U2", "1800000000.000200", "EvReport2")).await;
    let posted = slack.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted[1]["text"], "Sorry, something went wrong and this conversation had to stop.",
        "the apology, in the thread"
    );
    assert_eq!(posted[1]["thread_ts"], "1800000000.000200");
    // The flow's end is saved once the apology is out.
    let of_u2 = slack_orchestrator::FlowFilter {
        user: Some("U2".into()),
        ..Default::default()
    };
    let started = tokio::time::Instant::now();
    let failed = loop {
        let flows = bot.orchestrator().store().list_where(&of_u2, 1).await.unwrap();
        match flows.into_iter().next() {
            Some(flow) if flow.state == slack_orchestrator::FlowState::Error => break flow,
            flow => assert!(started.elapsed() < WAIT, "U2's flow never failed: {flow:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        failed.error.as_deref().is_some_and(|e| e.contains("not_in_channel")),
        "{failed:?}"
    );
    bot.stop().await;
}
