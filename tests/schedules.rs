//! Scheduled flows (`OrchestratorBuilder::schedule`): a standup at 9:00 Paris time on
//! weekdays, DMed to the team the bot's state names at that moment. What is tried: the
//! times (weekdays only, daylight saving), a member still busy with the last one, an
//! occurrence missed while the bot was down (fired once, or skipped), a firing repeated
//! after a crash, a changed schedule, two replicas on one store (every store), and the
//! builder's errors.

use chrono::{DateTime, Utc};
use slack_orchestrator::testkit::{self, TestBot, TEAM};
use slack_orchestrator::{
    BuildError, Clock, ConversationKey, FlowState, MessageContext, Missed, Occurrence, Orchestrator,
    OrchestratorBuilder, RecordingSlack, Schedule, SlackOutage, SlackRequest, Store, Target, TargetError,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[slack_orchestrator::flow(trigger = command("/standup"))]
mod standup {
    use slack_orchestrator::prelude::*;

    #[derive(Debug)]
    pub(crate) enum Standup {
        /// `/standup TEAM` by hand; the schedule starts at `Ask`.
        #[start]
        ByHand,
        Ask {
            team: String,
        },
        Listen,
    }

    #[step(ByHand)]
    async fn by_hand(_cx: &mut Cx, command: Command) -> Next<Standup> {
        goto(Standup::Ask {
            team: command.text.clone(),
        })
    }

    #[step(Ask { team })]
    async fn ask(cx: &mut Cx, team: String) -> Next<Standup> {
        cx.say(format!("Standup for {team}: what are you working on today?"))
            .await?;
        goto(Standup::Listen)
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, said: Text) -> Next<Standup> {
        complete(format!("Noted: {}", said.as_str()))
    }
}
use standup::Standup;

/// The team, as the bot's own state: who is in it can change between occurrences.
struct Team(Mutex<Vec<String>>);

async fn members(at: Occurrence) -> Result<Vec<(Target, Standup)>, TargetError> {
    let team = at.state::<Arc<Team>>()?;
    let members = team.0.lock().unwrap().clone();
    Ok(members
        .into_iter()
        .map(|user| (Target::dm(user), Standup::Ask { team: "core".into() }))
        .collect())
}

fn weekdays_at_nine() -> Schedule {
    Schedule::cron("0 9 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap()
}

fn time(rfc3339: &str) -> DateTime<Utc> {
    rfc3339.parse().unwrap()
}

fn builder(schedule: Schedule, team: &Arc<Team>, now: DateTime<Utc>) -> OrchestratorBuilder {
    Orchestrator::builder()
        .flow::<Standup>()
        .state(team.clone())
        .clock(Clock::at(now))
        .schedule(schedule, members)
}

fn team(users: &[&str]) -> Arc<Team> {
    Arc::new(Team(Mutex::new(users.iter().map(|u| u.to_string()).collect())))
}

/// The texts the bot posted, in order.
fn posts(slack: &RecordingSlack) -> Vec<(String, String)> {
    slack
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::PostMessage { channel, text, .. } => Some((channel, text)),
            _ => None,
        })
        .collect()
}

/// A new SQLite file in the temporary directory.
fn scratch_db() -> String {
    let path = std::env::temp_dir().join(format!("schedules-{}.db", uuid::Uuid::new_v4()));
    format!("sqlite://{}", path.display())
}

const ASK: &str = "Standup for core: what are you working on today?";
const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn fires_at_nine_paris_time_on_weekdays_for_each_member_and_skips_one_still_busy() {
    let team = team(&["U_ANA", "U_BOB"]);
    // Friday 27 November 2026, 08:59:30 in Paris (UTC+1).
    let bot = TestBot::new(builder(weekdays_at_nine(), &team, time("2026-11-27T07:59:30Z")));
    let (mut ana, mut bob) = (bot.dm("U_ANA"), bot.dm("U_BOB"));
    assert_eq!(bot.advance(Duration::from_secs(20)).await, 0, "not yet 9:00");
    ana.expect_no_reply();

    assert_eq!(
        bot.advance(Duration::from_secs(15)).await,
        1,
        "9:00:05: the schedule fires"
    );
    ana.expect_reply(ASK);
    bob.expect_reply(ASK);
    ana.send("Reviewing the schedules PR").await;
    ana.expect_reply("Noted: Reviewing the schedules PR");
    let opened: Vec<_> = bot
        .slack()
        .requests()
        .into_iter()
        .filter(|r| r.method() == "conversations.open")
        .collect();
    assert_eq!(opened.len(), 2, "a DM opened for each member");

    // Saturday and Sunday pass without a standup; Monday 9:00 has one. Bob never answered
    // Friday's: his conversation is busy, so only Ana and Cleo (who joined) are asked.
    team.0.lock().unwrap().push("U_CLEO".into());
    let mut cleo = bot.dm("U_CLEO");
    for _ in 0..(2 * 24) {
        assert_eq!(bot.advance(HOUR).await, 0, "no standup at the weekend");
    }
    ana.expect_no_reply();
    bot.advance(HOUR * 23).await; // Monday 08:00:05 in Paris.
    assert_eq!(bot.advance(HOUR).await, 1, "Monday 9:00:05");
    ana.expect_reply(ASK);
    cleo.expect_reply(ASK);
    bob.expect_no_reply();
    let standups: Vec<_> = bot.flows().await.into_iter().filter(|f| f.flow == "standup").collect();
    assert_eq!(standups.len(), 4, "Friday: Ana and Bob; Monday: Ana and Cleo");
    assert_eq!(bot.orchestrator().now().to_rfc3339(), "2026-11-30T08:00:05+00:00");
}

#[tokio::test(start_paused = true)]
async fn nine_stays_nine_across_the_change_to_summer_time() {
    // Sunday 29 March 2026, 02:00 in Paris, clocks go forward: 9:00 is 07:00 UTC from then.
    let team = team(&["U_ANA"]);
    let daily = Schedule::cron("0 9 * * *").unwrap().tz("Europe/Paris").unwrap();
    let bot = TestBot::new(builder(daily, &team, time("2026-03-28T07:59:59Z")));
    let mut fired_at = Vec::new();
    for _ in 0..(3 * 24 * 60) {
        if bot.advance(Duration::from_secs(60)).await > 0 {
            fired_at.push(bot.orchestrator().now().format("%m-%d %H:%M").to_string());
            bot.dm("U_ANA").send("done").await;
        }
    }
    assert_eq!(
        fired_at,
        ["03-28 08:00", "03-29 07:00", "03-30 07:00", "03-31 07:00"],
        "UTC times of 9:00 in Paris"
    );
}

/// The state a bot left in a SQLite file: its schedule's record, due at Friday 9:00.
async fn left_installed(policy: Missed) -> Arc<dyn Store> {
    let store = slack_orchestrator::store::open(&scratch_db()).await.unwrap();
    let team = team(&["U_ANA"]);
    let first = TestBot::new(
        builder(weekdays_at_nine().missed(policy), &team, time("2026-11-27T07:00:00Z")).store(store.clone()),
    );
    assert_eq!(first.advance(Duration::from_secs(1)).await, 0, "installed, nothing due");
    store
}

#[tokio::test(start_paused = true)]
async fn an_occurrence_missed_while_the_bot_was_down_fires_once_at_start() {
    let store = left_installed(Missed::FireOnce).await;
    // The bot comes back at 11:20, two hours after 9:00: one standup, at once.
    let team = team(&["U_ANA"]);
    let again = TestBot::new(builder(weekdays_at_nine(), &team, time("2026-11-27T10:20:00Z")).store(store.clone()));
    let mut ana = again.dm("U_ANA");
    assert_eq!(again.advance(Duration::ZERO).await, 1);
    ana.expect_reply(ASK);
    assert_eq!(again.advance(HOUR).await, 0, "and only once");
    ana.expect_no_reply();
    let schedule = store
        .active_for(&ConversationKey("@schedule:standup".into()))
        .await
        .unwrap()
        .expect("the schedule's record");
    assert_eq!(
        schedule.deadline,
        Some(time("2026-11-30T08:00:00Z")),
        "next: Monday 9:00"
    );
    assert_eq!(schedule.metadata["last_occurrence"], "2026-11-27T08:00:00+00:00");
}

#[tokio::test(start_paused = true)]
async fn a_missed_occurrence_is_skipped_when_the_policy_says_so() {
    let store = left_installed(Missed::Skip).await;
    let team = team(&["U_ANA"]);
    let skipping = weekdays_at_nine().missed(Missed::Skip);
    let again = TestBot::new(builder(skipping, &team, time("2026-11-27T10:20:00Z")).store(store.clone()));
    let mut ana = again.dm("U_ANA");
    again.advance(Duration::ZERO).await;
    ana.expect_no_reply();
    let schedule = store
        .active_for(&ConversationKey("@schedule:standup".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(schedule.deadline, Some(time("2026-11-30T08:00:00Z")));
}

#[tokio::test(start_paused = true)]
async fn a_firing_repeated_after_a_crash_starts_no_flow_twice() {
    let team = team(&["U_ANA", "U_BOB"]);
    let bot = TestBot::new(builder(weekdays_at_nine(), &team, time("2026-11-27T07:59:59Z")));
    bot.advance(Duration::from_secs(2)).await;
    assert_eq!(posts(bot.slack()).len(), 2);
    bot.dm("U_ANA").send("done").await; // Ana's flow is even over: still not asked again.
                                        // As if the process died after starting the flows but before saving the next
                                        // occurrence: the record is due at 9:00 again, and fires again.
    let store = bot.orchestrator().store();
    let key = ConversationKey("@schedule:standup".into());
    let mut schedule = store.active_for(&key).await.unwrap().unwrap();
    let expected = schedule.version;
    schedule.deadline = Some(time("2026-11-27T08:00:00Z"));
    schedule.version += 1;
    store.commit(&schedule, expected, None).await.unwrap();
    assert_eq!(bot.advance(Duration::from_secs(1)).await, 1, "it fires again");
    let asked: Vec<_> = posts(bot.slack()).into_iter().filter(|(_, text)| text == ASK).collect();
    assert_eq!(asked.len(), 2, "nobody asked twice: {asked:?}");
}

#[tokio::test(start_paused = true)]
async fn a_changed_schedule_moves_the_next_occurrence_at_start() {
    let store = left_installed(Missed::FireOnce).await;
    let team = team(&["U_ANA"]);
    let at_ten = Schedule::cron("0 10 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap();
    let again = TestBot::new(builder(at_ten, &team, time("2026-11-27T07:30:00Z")).store(store.clone()));
    let mut ana = again.dm("U_ANA");
    assert_eq!(
        again.advance(HOUR).await,
        0,
        "9:30: nothing, the standup moved to 10:00"
    );
    ana.expect_no_reply();
    assert_eq!(again.advance(HOUR).await, 1);
    ana.expect_reply(ASK);
    let schedules: Vec<_> = again
        .flows()
        .await
        .into_iter()
        .filter(|f| f.flow == "@schedule")
        .collect();
    assert_eq!(schedules.len(), 1, "one record for the schedule, updated");
    assert_eq!(schedules[0].step, serde_json::json!("0 10 * * MON-FRI @ Europe/Paris"));
}

#[tokio::test(start_paused = true)]
async fn targets_that_fail_or_panic_skip_the_occurrence_and_the_next_one_fires() {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let flaky = move |_at: Occurrence| {
        let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if n == 0 {
                return Err("the HR system is down".into());
            }
            if n == 1 {
                panic!("the HR system answered garbage"); // a bug in the bot's code
            }
            Ok(vec![(Target::dm("U_ANA"), Standup::Ask { team: "core".into() })])
        }
    };
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<Standup>()
            .clock(Clock::at(time("2026-11-26T07:59:59Z")))
            .schedule(weekdays_at_nine(), flaky),
    );
    let mut ana = bot.dm("U_ANA");
    assert_eq!(bot.advance(Duration::from_secs(2)).await, 1);
    ana.expect_no_reply(); // Thursday: the targets failed
    bot.advance(HOUR * 24).await;
    ana.expect_no_reply(); // Friday: they panicked
    bot.advance(HOUR * 72).await;
    ana.expect_reply(ASK); // Monday
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_channel_target_is_open_to_anyone_there() {
    let in_channel =
        |_at: Occurrence| async { Ok(vec![(Target::channel("C_TEAM"), Standup::Ask { team: "core".into() })]) };
    let now = Utc::now();
    let every_minute = Schedule::cron("* * * * *").unwrap();
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<Standup>()
            .clock(Clock::at(now))
            .schedule(every_minute, in_channel),
    );
    // Fire the first occurrence by hand: move the record's deadline to now.
    bot.orchestrator().fire_due_timeouts().await.unwrap();
    let store = bot.orchestrator().store();
    let mut schedule = store
        .active_for(&ConversationKey("@schedule:standup".into()))
        .await
        .unwrap()
        .unwrap();
    let expected = schedule.version;
    schedule.deadline = Some(now);
    schedule.version += 1;
    store.commit(&schedule, expected, None).await.unwrap();
    bot.orchestrator().fire_due_timeouts().await.unwrap();
    assert_eq!(posts(bot.slack()), [("C_TEAM".to_owned(), ASK.to_owned())]);
    let started = bot.flows().await.into_iter().find(|f| f.flow == "standup").unwrap();
    assert_eq!(started.participants, ["*"]);
    assert_eq!(started.context.team_id, TEAM);
}

#[test]
fn the_builder_refuses_a_schedule_for_an_unregistered_flow_or_twice_the_same() {
    let build = |builder: OrchestratorBuilder| builder.slack(RecordingSlack::new()).build().err();
    let unregistered = Orchestrator::builder().schedule(weekdays_at_nine(), members);
    assert_eq!(
        build(unregistered),
        Some(BuildError::UnknownScheduledFlow("standup".into()))
    );
    let twice = Orchestrator::builder()
        .flow::<Standup>()
        .schedule(weekdays_at_nine(), members)
        .schedule(Schedule::cron("0 17 * * *").unwrap(), members);
    let error = build(twice).unwrap();
    assert_eq!(
        error.to_string(),
        "flow `standup` has two schedules under one name: give each a name with `Schedule::named(..)`"
    );
    let named = Orchestrator::builder()
        .flow::<Standup>()
        .schedule(weekdays_at_nine(), members)
        .schedule(Schedule::cron("0 17 * * *").unwrap().named("evening"), members);
    assert_eq!(build(named), None);
}

/// Two replicas on one store reach the same 9:00 together: each member is asked once.
async fn two_replicas_fire_each_occurrence_once(url: &str) {
    let store = slack_orchestrator::store::open(url).await.unwrap();
    let team = team(&["U_ANA", "U_BOB", "U_CLEO"]);
    // A second before 9:00 in Paris, today: real time, real store.
    let nine = weekdays_at_nine().next_after(Utc::now()).unwrap();
    let start = nine - chrono::Duration::milliseconds(300);
    let replicas: Vec<TestBot> = (0..2)
        .map(|_| TestBot::new(builder(weekdays_at_nine(), &team, start).store(store.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fired: Vec<usize> =
        futures_util::future::join_all(replicas.iter().map(|r| r.orchestrator().fire_due_timeouts()))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    assert_eq!(fired.iter().sum::<usize>(), 1, "one replica fires it: {fired:?}");
    let asked: usize = replicas.iter().map(|r| posts(r.slack()).len()).sum();
    assert_eq!(asked, 3, "each member asked once ({url})");
    let started = store.list(true, 100).await.unwrap();
    assert_eq!(started.iter().filter(|f| f.flow == "standup").count(), 3);
    assert!(started.iter().all(|f| f.state != FlowState::Error));
}

#[tokio::test]
async fn two_replicas_on_memory() {
    two_replicas_fire_each_occurrence_once("memory:").await;
}

#[tokio::test]
async fn two_replicas_on_sqlite() {
    two_replicas_fire_each_occurrence_once(&scratch_db()).await;
}

#[tokio::test]
async fn two_replicas_on_postgres() {
    two_replicas_fire_each_occurrence_once(&testkit::postgres_url()).await;
}

#[tokio::test]
async fn two_replicas_on_redis() {
    two_replicas_fire_each_occurrence_once(&testkit::redis_url()).await;
}

/// Friday's 9:00 standup fires while Slack is down (`outage`), and Slack is back a few
/// seconds later: the occurrence is put off, not lost (the standups in the states
/// `put_off`), and fires again a minute later; each member is asked once, and the next
/// occurrence is Monday's.
async fn standup_through_an_outage(bot: TestBot, outage: SlackOutage, put_off: &[FlowState]) {
    let (mut ana, mut bob) = (bot.dm("U_ANA"), bot.dm("U_BOB"));
    bot.slack().go_down(outage);
    assert_eq!(
        bot.advance(Duration::from_secs(2)).await,
        1,
        "9:00:01: the schedule fires"
    );
    bot.slack().come_back();
    let started = bot.flows().await.into_iter().filter(|f| f.flow == "standup");
    let initiated = started.map(|f| f.state).collect::<Vec<_>>();
    assert_eq!(initiated, put_off, "the flows started, their first steps put off");
    let key = ConversationKey("@schedule:standup".into());
    let schedule = bot.orchestrator().store().active_for(&key).await.unwrap().unwrap();
    assert_eq!(
        schedule.metadata.get("put_off"),
        Some(&serde_json::json!("2026-11-27T08:00:00+00:00")),
        "the occurrence is kept to fire again"
    );
    assert_eq!(schedule.deadline, Some(time("2026-11-27T08:01:01Z")));

    assert_eq!(bot.advance(Duration::from_secs(60)).await, 1, "9:01:01: it fires again");
    ana.expect_reply(ASK);
    bob.expect_reply(ASK);
    let asked = posts(bot.slack()).into_iter().filter(|(_, text)| text == ASK).count();
    assert_eq!(asked, 2, "each member asked once");
    let flows = bot.flows().await;
    let standups = flows.iter().filter(|f| f.flow == "standup");
    assert!(standups
        .clone()
        .all(|f| f.state == FlowState::WaitingForResponse && f.step_name == "Listen"));
    assert_eq!(standups.count(), 2);
    let schedule = bot.orchestrator().store().active_for(&key).await.unwrap().unwrap();
    assert_eq!(schedule.metadata.get("put_off"), None);
    assert_eq!(
        schedule.deadline,
        Some(time("2026-11-30T08:00:00Z")),
        "Monday 9:00 in Paris"
    );
}

#[tokio::test(start_paused = true)]
async fn a_standup_due_while_slack_cannot_open_dms_fires_again_when_slack_is_back() {
    let team = team(&["U_ANA", "U_BOB"]);
    let bot = TestBot::new(builder(weekdays_at_nine(), &team, time("2026-11-27T07:59:59Z")));
    // No DM could be opened: nothing started.
    standup_through_an_outage(bot, SlackOutage::Unavailable, &[]).await;
}

#[tokio::test(start_paused = true)]
async fn a_standup_question_slack_made_during_an_outage_is_not_asked_twice() {
    // DMs known beforehand: the flows start, and Slack makes their first post but answers
    // `internal_error`. The first steps are put off; firing again, they find their posts.
    let known = |_at: Occurrence| async {
        let dm = |user: &str| MessageContext::new(TEAM, user, format!("D{user}"));
        let ask = || Standup::Ask { team: "core".into() };
        Ok(vec![(Target::At(dm("U_ANA")), ask()), (Target::At(dm("U_BOB")), ask())])
    };
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<Standup>()
            .clock(Clock::at(time("2026-11-27T07:59:59Z")))
            .schedule(weekdays_at_nine(), known),
    );
    // Saved before their first step, which was put off.
    standup_through_an_outage(bot, SlackOutage::MadeButFailed, &[FlowState::Initiated; 2]).await;
}

#[tokio::test(start_paused = true)]
async fn a_standup_whose_team_slack_cannot_list_now_fires_again_when_slack_is_back() {
    // The targets come from Slack itself (a user group's members): an outage that keeps
    // Slack from answering puts the occurrence off instead of skipping it.
    let from_slack = |at: Occurrence| async move {
        let group = at
            .api_call("usergroups.users.list", serde_json::json!({"usergroup": "S_CORE"}))
            .await?;
        let users = group["users"].as_array().cloned().unwrap_or_default();
        let ask = |user: &serde_json::Value| Some((Target::dm(user.as_str()?), Standup::Ask { team: "core".into() }));
        Ok::<_, TargetError>(users.iter().filter_map(ask).collect())
    };
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<Standup>()
            .clock(Clock::at(time("2026-11-27T07:59:59Z")))
            .schedule(weekdays_at_nine(), from_slack),
    );
    let group = serde_json::json!({"ok": true, "users": ["U_ANA", "U_BOB"]});
    bot.slack().answer("usergroups.users.list", group);
    standup_through_an_outage(bot, SlackOutage::Unavailable, &[]).await;
}
