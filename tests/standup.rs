//! The scheduled standup, with `examples/standup.rs`: asked at 9:00 Paris time on weekdays
//! in each member's DM, one reminder after an hour of silence and another hour of waiting,
//! then the summary in the team's channel; `/standup` by hand.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/standup.rs"]
mod example;

use example::standup::QUESTIONS;
use example::{bot, Team};
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{Clock, FlowState, Schedule, SlackRequest};
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

fn team(channel: Option<&str>) -> Team {
    Team {
        members: vec!["U_ANA".into(), "U_BOB".into()],
        channel: channel.map(str::to_owned),
    }
}

/// The bot at Friday 27 November 2026, 08:59 in Paris.
fn friday_morning(channel: Option<&str>) -> TestBot {
    let schedule = Schedule::cron("0 9 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap();
    let before_nine = "2026-11-27T07:59:00Z".parse().unwrap();
    TestBot::new(bot(team(channel), schedule).clock(Clock::at(before_nine)))
}

/// What the bot posted in `channel`.
fn posted_in(bot: &TestBot, channel: &str) -> Vec<String> {
    bot.slack()
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::PostMessage { channel: c, text, .. } if c == channel => Some(text),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn at_nine_each_member_is_asked_and_the_answers_are_summarized_in_the_channel() {
    let bot = friday_morning(Some("C_TEAM"));
    let (mut ana, mut bob) = (bot.dm("U_ANA"), bot.dm("U_BOB"));
    bot.advance(MINUTE / 2).await;
    ana.expect_no_reply();
    bot.advance(MINUTE).await;
    ana.expect_reply(QUESTIONS[0]);
    bob.expect_reply(QUESTIONS[0]);

    ana.send("Wrote the schedule tests").await;
    ana.expect_reply(QUESTIONS[1]);
    ana.send("The README tour").await;
    ana.expect_reply(QUESTIONS[2]);
    ana.send("Nothing").await;
    ana.expect_reply("Thanks! Your answers are in <#C_TEAM>.");
    assert_eq!(
        posted_in(&bot, "C_TEAM"),
        [
            "*Standup of <@U_ANA>*\nWhat did you do yesterday? Wrote the schedule tests\n\
          What will you do today? The README tour\nAnything blocking you? Nothing"
        ]
    );
    bob.expect_no_reply();
}

#[tokio::test(start_paused = true)]
async fn silence_brings_one_reminder_then_the_summary_of_what_was_said() {
    let bot = friday_morning(Some("C_TEAM"));
    let mut bob = bot.dm("U_BOB");
    bot.advance(MINUTE * 2).await;
    bob.expect_reply(QUESTIONS[0]);
    bob.send("Fixed the flaky test").await;
    bob.expect_reply(QUESTIONS[1]);

    bot.advance(MINUTE * 59).await;
    bob.expect_no_reply();
    bot.advance(MINUTE * 2).await;
    bob.expect_reply("Reminder: What will you do today? (I'll wait another hour.)");
    bot.advance(MINUTE * 50).await;
    bob.expect_no_reply(); // Only one reminder, and still waiting.
    assert_eq!(
        bot.flows().await.iter().filter(|f| f.is_active()).count(),
        3,
        "two members, one schedule"
    );

    bot.advance(MINUTE * 15).await;
    bob.expect_reply("Time's up: I posted what you answered in <#C_TEAM>.");
    let mut summaries = posted_in(&bot, "C_TEAM");
    summaries.sort();
    assert_eq!(
        summaries,
        [
            "*Standup of <@U_ANA>*\nWhat did you do yesterday? _(no answer)_\n\
             What will you do today? _(no answer)_\nAnything blocking you? _(no answer)_",
            "*Standup of <@U_BOB>*\nWhat did you do yesterday? Fixed the flaky test\n\
             What will you do today? _(no answer)_\nAnything blocking you? _(no answer)_"
        ]
    );
    let bob_flow = bot
        .flows()
        .await
        .into_iter()
        .find(|f| f.context.user_id == "U_BOB")
        .unwrap();
    assert_eq!(bob_flow.state, FlowState::Completed);
}

#[tokio::test(start_paused = true)]
async fn by_hand_without_a_channel_the_summary_is_the_last_message() {
    let bot = friday_morning(None);
    let (mut me, _) = bot.command("U_CLEO", "DU_CLEO", "/standup", "").await;
    me.expect_reply(QUESTIONS[0]);
    for answer in ["a", "b", "c"] {
        me.send(answer).await;
    }
    assert_eq!(
        me.replies(),
        [
            QUESTIONS[1],
            QUESTIONS[2],
            "*Standup of <@U_CLEO>*\nWhat did you do yesterday? a\nWhat will you do today? b\nAnything blocking you? c"
        ]
    );
}

#[test]
fn a_bad_schedule_in_the_environment_is_one_clear_error() {
    let error = Schedule::cron("0 9 * * FUNDAY").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid cron expression `0 9 * * FUNDAY`"),
        "{error}"
    );
}
