//! A step shares a file (a report, an export) with `cx.upload`, over real HTTP against the
//! fake Slack, through Slack's upload flow: `files.getUploadURLExternal`, the bytes sent to
//! the URL it answers, `files.completeUploadExternal` in the conversation's thread. And it
//! reads a file a user shared with `cx.download`, with the bot's token.

mod processes;

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

/// `user`'s flow once it has ended in ERROR (its end is saved after the apology is out).
async fn failed_flow(bot: &LiveBot, user: &str) -> slack_orchestrator::FlowRecord {
    let of_user = slack_orchestrator::FlowFilter {
        user: Some(user.into()),
        ..Default::default()
    };
    let started = tokio::time::Instant::now();
    loop {
        let flows = bot.orchestrator().store().list_where(&of_user, 1).await.unwrap();
        match flows.into_iter().next() {
            Some(flow) if flow.state == slack_orchestrator::FlowState::Error => return flow,
            flow => assert!(started.elapsed() < WAIT, "{user}'s flow never failed: {flow:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let failed = failed_flow(&bot, "U2").await;
    assert!(
        failed.error.as_deref().is_some_and(|e| e.contains("not_in_channel")),
        "{failed:?}"
    );
    bot.stop().await;
}

#[slack_orchestrator::flow(trigger = direct_message)]
mod import {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Import {
        #[start]
        Ask,
        Read,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Import> {
        cx.say("Send me the CSV.").await?;
        goto(Import::Read)
    }

    #[step(Read)]
    async fn read(cx: &mut Cx, files: Files) -> Next<Import> {
        let bytes = cx.download(&files[0]).await?;
        let rows = String::from_utf8_lossy(&bytes).lines().count().saturating_sub(1);
        complete(format!("Imported {rows} rows."))
    }
}

/// A user's `file_share` message with the fake's file at `url`.
fn shared_file(user: &str, n: usize, id: &str, url: &str) -> serde_json::Value {
    let (channel, ts, event_id) = (
        format!("D{user}"),
        format!("1800000000.{n:06}"),
        format!("EvFile{user}{n}"),
    );
    let said = Said {
        team: TEAM,
        user,
        channel: &channel,
        text: "",
        ts: &ts,
        thread_ts: None,
        event_id: &event_id,
    };
    let mut body = payloads::file_share(&said, &[(id, "team.csv")]);
    body["event"]["files"][0]["url_private"] = url.into();
    body
}

/// U1 starts an import, and the bot asks for the file.
async fn asks_for_a_csv(bot: &LiveBot) {
    let import = payloads::direct_message(TEAM, "U1", "import", "1800000000.000001", "EvImport1");
    bot.event(&import).await;
    let asked = bot.slack().wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(asked[0]["text"], "Send me the CSV.");
}

#[tokio::test]
async fn a_step_reads_the_file_a_user_shared_with_the_bots_token() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<import::Import>()).await;
    let slack = bot.slack();
    let (id, url) = slack.host_file("team.csv", "name\nAda\nGrace\nLinus\n");
    asks_for_a_csv(&bot).await;
    slack.rate_limit_next("url_private", 1, 1);
    bot.event(&shared_file("U1", 2, &id, &url)).await;
    let posted = slack.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted[1]["text"], "Imported 3 rows.",
        "read after the 429's Retry-After"
    );
    let asked = slack.calls_to("url_private");
    assert_eq!(asked.len(), 1, "the 429 is not a download: {asked:?}");
    let downloads: Vec<_> = slack
        .calls()
        .into_iter()
        .filter(|c| c.method == "url_private")
        .collect();
    assert_eq!(
        downloads[0].token.as_deref(),
        Some("xoxb-test-token"),
        "with the bot's token"
    );
    bot.stop().await;
}

#[tokio::test]
async fn without_the_files_read_scope_the_sign_in_page_fails_the_step_and_says_why() {
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<import::Import>()).await;
    let slack = bot.slack();
    let (id, url) = slack.host_file("team.csv", "name\nAda\n");
    slack.revoke_files_read();
    asks_for_a_csv(&bot).await;
    bot.event(&shared_file("U1", 2, &id, &url)).await;
    let posted = slack.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(
        posted[1]["text"], "Sorry, something went wrong and this conversation had to stop.",
        "not Slack's sign-in page read as the file"
    );
    let failed = failed_flow(&bot, "U1").await;
    assert!(
        failed.error.as_deref().is_some_and(|e| e.contains("files:read")),
        "{failed:?}"
    );
    bot.stop().await;
}

/// In the console chat, `/file PATH` shares a file of this machine, which `download` reads.
#[tokio::test]
async fn in_the_console_a_file_is_shared_from_this_machine_and_read() {
    let dir = std::env::temp_dir().join(format!("console-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("team.csv");
    std::fs::write(&csv, "name\nAda\nGrace\n").unwrap();
    let missing = dir.join("nothing.csv");
    let typed = format!(
        "import\n/file {}\n/file {} here it is\n",
        missing.display(),
        csv.display()
    );
    let shown = processes::console(Orchestrator::builder().flow::<import::Import>(), &typed).await;
    processes::assert_in_order(
        &shown,
        &[
            "Send me the CSV.",
            "(no file at",
            "(you share team.csv)",
            "Imported 2 rows.",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Slack's outages: an upload that failed before its share showed nothing and is made
/// again; a share Slack may have made in part (`internal_error`) is not sent again.
#[tokio::test]
async fn an_upload_that_failed_before_its_share_is_made_again_and_a_failed_share_is_not() {
    use slack_orchestrator::{SlackApi, SlackError, SlackRequest, SlackWebApi};
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
    let upload = || SlackRequest::Upload {
        channel_id: "C1".into(),
        thread_ts: None,
        filename: "hours.csv".into(),
        title: None,
        initial_comment: None,
        content: REPORT.as_bytes().to_vec(),
    };
    slack.unavailable_next("upload_url", 1, 503);
    web.call(upload()).await.expect("made again after the 503");
    assert_eq!(
        slack.calls_to("files.getUploadURLExternal").len(),
        2,
        "a new upload URL"
    );
    assert_eq!(slack.calls_to("files.completeUploadExternal").len(), 1);

    slack.fail_after_making_next("files.completeUploadExternal", "internal_error");
    let failed = web.call(upload()).await.unwrap_err();
    assert!(
        matches!(&failed, SlackError::Api { code, .. } if code == "internal_error"),
        "{failed}"
    );
    assert_eq!(
        slack.calls_to("files.completeUploadExternal").len(),
        2,
        "the share is not sent again: it may show the file twice"
    );
}
