//! `examples/new_member.rs`: `trigger = team_join`. A new member of the workspace is
//! welcomed in their DM with the app (the flow's conversation is named by their id, and
//! the first post goes to that id), what they type there answers the flow, a bot joining
//! starts nothing, a member who does not answer is reminded once, then let be, and one who
//! answers after a restart is answered, on SQLite, PostgreSQL and Redis.

#[path = "../examples/new_member.rs"]
#[allow(dead_code, unreachable_pub)]
mod example;

use example::new_member::NewMember;
use slack_orchestrator::payloads::{direct_message, team_join};
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Orchestrator, Outcome};
use std::time::Duration;

const WELCOME: &str = "Welcome to the workspace, <@U_NEW>! I'll get you set up. What's your role?";

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<NewMember>())
}

#[tokio::test]
async fn a_new_member_is_welcomed_in_their_dm_and_set_up_from_their_answers() {
    let bot = bot();
    let mut dm = bot.dm("U_NEW");
    let joined = team_join(TEAM, "U_NEW", false, "EvTeamJoin");
    let outcome = bot.deliver(&joined).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    dm.expect_reply(WELCOME);
    assert_eq!(bot.deliver(&joined).await, Outcome::Duplicate, "Slack's retry");

    let new_bot = team_join(TEAM, "U_SOMEBOT", true, "EvBotJoin");
    assert!(
        matches!(bot.deliver(&new_bot).await, Outcome::Ignored(_)),
        "a bot joining is no one to welcome"
    );

    dm.send("designer").await;
    dm.expect_reply("Got it: designer. Which team are you joining?");
    let outcome = dm.click("Design").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    dm.expect_reply("You're all set as designer in Design. Say hi in <#C_DESIGN>!");

    let flows = bot.flows().await;
    assert_eq!(flows.len(), 1, "one flow, for the member; none for the bot");
    let log: Vec<&str> = flows[0].messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(log[0], "[joined the workspace]", "{log:?}");
    assert_eq!(
        (&flows[0].metadata["role"], &flows[0].metadata["team"]),
        (&"designer".into(), &"Design".into())
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_member_who_does_not_answer_is_reminded_once_then_let_be() {
    let bot = bot();
    let (mut ana, mut bob) = (bot.dm("U_ANA"), bot.dm("U_BOB"));
    bot.deliver(&team_join(TEAM, "U_ANA", false, "EvAna")).await;
    bot.deliver(&team_join(TEAM, "U_BOB", false, "EvBob")).await;
    ana.replies();
    bob.replies();

    assert_eq!(
        bot.advance(Duration::from_secs(24 * 3600 + 1)).await,
        2,
        "both are reminded"
    );
    let reminder = "Just checking in: what's your role? (e.g. backend developer)";
    ana.expect_reply(reminder);
    bob.expect_reply(reminder);

    // Ana answers late: the flow goes on. Bob never does: the second day ends his.
    ana.send("sales lead").await;
    ana.expect_reply("Got it: sales lead. Which team are you joining?");
    let outcome = ana.click("Sales").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    ana.replies();
    assert_eq!(
        bot.advance(Duration::from_secs(24 * 3600 + 1)).await,
        1,
        "Bob's deadline"
    );
    bob.expect_reply("I'll leave you to it. Ask in <#C_HELP> whenever you need a hand.");
    ana.expect_no_reply();
    let mut states: Vec<FlowState> = bot.flows().await.into_iter().map(|f| f.state).collect();
    states.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(states, [FlowState::Completed, FlowState::TimedOut]);
}

#[tokio::test]
async fn in_the_console_joining_the_workspace_starts_the_onboarding() {
    let builder = Orchestrator::builder().flow::<NewMember>();
    let printed = slack_orchestrator::testkit::console_transcript(builder, "/join\ndesigner\n2\n").await;
    for expected in [
        "(you join the workspace)",
        "bot> Welcome to the workspace, <@U_YOU>! I'll get you set up. What's your role?",
        "bot> Got it: designer. Which team are you joining?",
        "bot> You're all set as designer in Design. Say hi in <#C_DESIGN>!",
    ] {
        assert!(printed.contains(expected), "{expected:?} in {printed}");
    }
}

#[tokio::test]
async fn over_http_a_new_member_is_greeted_and_answered_in_their_dm() {
    use slack_orchestrator::testkit::{Delivered, LiveBot, Transport};
    let bot = LiveBot::start(Transport::Http, Orchestrator::builder().flow::<NewMember>()).await;
    let sent = |delivered: Delivered| matches!(delivered, Delivered::Http(sent) if sent.status == 200);
    assert!(sent(bot.event(&team_join(TEAM, "U_NEW", false, "EvJoinHttp")).await));
    let slack = bot.slack();
    let greeted = slack.wait_for("chat.postMessage", 1, Duration::from_secs(5)).await;
    assert_eq!(
        (&greeted[0]["channel"], &greeted[0]["text"]),
        (&"U_NEW".into(), &WELCOME.into()),
        "posted to the user id: Slack puts it in their DM"
    );
    assert!(sent(
        bot.event(&direct_message(
            TEAM,
            "U_NEW",
            "designer",
            "1700000100.000200",
            "EvRole"
        ))
        .await
    ));
    let posted = slack.wait_for("chat.postMessage", 2, Duration::from_secs(5)).await;
    assert_eq!(posted[1]["text"], "Got it: designer. Which team are you joining?");
    assert_eq!(
        posted[1]["channel"], "DU_NEW",
        "in the DM's id, which Slack answered the first post with"
    );
    assert!(sent(bot.click("U_NEW", "DU_NEW", "Sales").await));
    let done = slack.wait_for("chat.postMessage", 3, Duration::from_secs(5)).await;
    assert_eq!(
        done[2]["text"],
        "You're all set as designer in Sales. Say hi in <#C_SALES>!"
    );
    bot.stop().await;
}

/// A member welcomed by one process answers in their DM after a restart, on a store shared
/// with it: the flow named by their id is found from the DM, on each durable store.
async fn answered_after_a_restart_on(url: &str) {
    use slack_orchestrator::RecordingSlack;
    let slack = RecordingSlack::new();
    let user = format!("U{}", &uuid::Uuid::new_v4().simple().to_string()[..10]).to_uppercase();
    let process = |store| {
        Orchestrator::builder()
            .flow::<NewMember>()
            .store(store)
            .slack(slack.clone())
            .build()
            .unwrap()
    };
    let first = process(slack_orchestrator::store::open(url).await.unwrap());
    first
        .handle_json(&team_join(TEAM, &user, false, &format!("Ev{user}1")))
        .await
        .unwrap();
    drop(first);

    let restarted = process(slack_orchestrator::store::open(url).await.unwrap());
    let answer = direct_message(TEAM, &user, "designer", "1700000200.000100", &format!("Ev{user}2"));
    let outcome = restarted.handle_json(&answer).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let posts: Vec<(String, String)> = slack
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            slack_orchestrator::SlackRequest::PostMessage { channel, text, .. } => Some((channel, text)),
            _ => None,
        })
        .collect();
    assert_eq!(posts[0].0, user, "welcomed at their user id");
    assert_eq!(
        posts[1],
        (
            format!("D{user}"),
            "Got it: designer. Which team are you joining?".to_owned()
        ),
        "answered in their DM by the restarted process"
    );
}

#[tokio::test]
async fn answered_after_a_restart_on_sqlite() {
    let path = std::env::temp_dir().join(format!("new-member-{}.db", uuid::Uuid::new_v4()));
    answered_after_a_restart_on(&format!("sqlite://{}", path.display())).await;
}

#[tokio::test]
async fn answered_after_a_restart_on_postgres() {
    answered_after_a_restart_on(&slack_orchestrator::testkit::postgres_url()).await;
}

#[tokio::test]
async fn answered_after_a_restart_on_redis() {
    answered_after_a_restart_on(&slack_orchestrator::testkit::redis_url()).await;
}
