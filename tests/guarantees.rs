//! The guarantees of DESIGN.md, one test each: dedup, loop guard, ordering, isolation,
//! exactly-once timeouts across replicas, restarts, and bad state never crashing.

use slack_orchestrator::payloads;
use slack_orchestrator::prelude::*;
use slack_orchestrator::testkit::{TestBot, BOT_USER, TEAM};
use slack_orchestrator::{Cancelled, FlowRecord, FlowState, Ignored, MemoryStore, MessageContext, Outcome, Store};
use std::sync::Arc;
use std::time::Duration;

#[flow(trigger = direct_message, trigger = mention, timeout = "5m", timeout_message = false)]
#[allow(unreachable_pub)]
mod tally {
    use slack_orchestrator::prelude::*;

    /// Collects every message until "done".
    pub enum Tally {
        #[start]
        #[timeout("2m")]
        Collect,
        Slow,
    }

    #[step(Collect)]
    async fn collect(cx: &mut Cx, text: Text) -> Next<Tally> {
        if text.as_str() == "done" {
            return complete("bye");
        }
        if text.as_str() == "slow" {
            return goto(Tally::Slow);
        }
        let mut seen: Vec<String> = cx.get("seen").unwrap_or_default();
        seen.push(text.into());
        cx.set("seen", seen);
        cx.say("noted").await?;
        stay()
    }

    #[step(Slow)]
    async fn slow(cx: &mut Cx) -> Next<Tally> {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        cx.say("slow step finished").await?;
        goto(Tally::Collect)
    }
}

#[flow(trigger = keyword("boom"), trigger = regex("^loop( forever)?$"))]
#[allow(unreachable_pub)]
mod broken {
    use slack_orchestrator::prelude::*;

    /// Fails in the ways a step can.
    pub enum Broken {
        #[start]
        Start,
        Ping,
        Pong,
    }

    #[step(Start)]
    async fn start(_cx: &mut Cx, text: Text) -> Next<Broken> {
        if text.contains("panic") {
            // A bug in the bot's code.
            let order: Option<u32> = text.split(' ').find_map(|word| word.parse().ok());
            order.expect("an order number in the message");
        }
        if text.contains("boom") {
            return Err(StepError::msg("the database is on fire"));
        }
        goto(Broken::Ping)
    }

    #[step(Ping)]
    async fn ping(_cx: &mut Cx) -> Next<Broken> {
        goto(Broken::Pong)
    }

    #[step(Pong)]
    async fn pong(_cx: &mut Cx) -> Next<Broken> {
        goto(Broken::Ping)
    }
}

/// A flow whose `on_timeout` hook has a bug.
#[flow(trigger = keyword("wait"), timeout = "1m", timeout_message = false, on_timeout = tidy_up)]
#[allow(unreachable_pub)]
mod fragile {
    use slack_orchestrator::prelude::*;

    pub enum Fragile {
        #[start]
        Wait,
    }

    #[step(Wait)]
    async fn wait(cx: &mut Cx) -> Next<Fragile> {
        cx.say("waiting").await?;
        stay()
    }

    #[step(Wait)]
    async fn answered(_cx: &mut Cx, _said: Text) -> Next<Fragile> {
        complete("done")
    }

    async fn tidy_up(cx: &mut Cx, _step: Fragile) -> Result<(), StepError> {
        let ticket: Option<String> = cx.get("ticket");
        cx.say(format!("closing {}", ticket.unwrap())).await?; // no ticket was ever set
        Ok(())
    }
}

use broken::Broken;
use tally::Tally;

fn said<'a>(user: &'a str, channel: &'a str, text: &'a str, ts: &'a str, event_id: &'a str) -> payloads::Said<'a> {
    payloads::Said {
        team: TEAM,
        user,
        channel,
        text,
        ts,
        thread_ts: None,
        event_id,
    }
}

fn bot() -> TestBot {
    TestBot::new(Orchestrator::builder().flow::<Tally>().flow::<Broken>())
}

#[tokio::test]
async fn a_repeated_delivery_never_runs_a_step_twice() {
    let bot = bot();
    let body = payloads::message(&said("U1", "DU1", "hello", "1.000001", "EvSAME"));
    assert!(matches!(bot.deliver(&body).await, Outcome::Advanced { .. }));
    assert_eq!(bot.deliver(&body).await, Outcome::Duplicate);
    let mut retry = body.clone();
    retry["event"]["ts"] = serde_json::json!("1.000002"); // a retry keeps its event_id
    assert_eq!(bot.deliver(&retry).await, Outcome::Duplicate);
    assert_eq!(bot.slack().len(), 1, "the step spoke once");
    assert_eq!(
        bot.flows().await[0].version,
        2,
        "created, then its first step applied once"
    );
}

#[tokio::test]
async fn the_bot_never_answers_itself_or_edits() {
    let bot = bot();
    let own = payloads::message(&said(BOT_USER, "DU1", "hello", "1.1", "Ev1"));
    assert_eq!(bot.deliver(&own).await, Outcome::Ignored(Ignored::OwnMessage));

    let mut from_bot = payloads::message(&said("U1", "DU1", "hello", "1.2", "Ev2"));
    from_bot["event"]["bot_id"] = serde_json::json!("B123");
    assert_eq!(bot.deliver(&from_bot).await, Outcome::Ignored(Ignored::NotInput));

    for subtype in ["message_changed", "message_deleted", "channel_join", "bot_message"] {
        let mut edit = payloads::message(&said("U1", "DU1", "hello", "1.3", subtype));
        edit["event"]["subtype"] = serde_json::json!(subtype);
        assert_eq!(
            bot.deliver(&edit).await,
            Outcome::Ignored(Ignored::NotInput),
            "{subtype}"
        );
    }

    // Slack sends a channel `message` alongside every `app_mention`: only the mention counts.
    let twin = payloads::message(&said("U1", "C1", &format!("<@{BOT_USER}> hi"), "1.4", "Ev4"));
    assert_eq!(bot.deliver(&twin).await, Outcome::Ignored(Ignored::MentionTwin));
    assert!(bot.slack().is_empty());
    assert!(bot.flows().await.is_empty());
}

#[tokio::test]
async fn unknown_events_are_ignored_and_malformed_ones_are_errors() {
    let bot = bot();
    let pin = payloads::envelope(TEAM, serde_json::json!({"type": "pin_added", "user": "U1"}), "Ev9");
    assert_eq!(bot.deliver(&pin).await, Outcome::Ignored(Ignored::Unsupported));
    let malformed = serde_json::json!({"type": "event_callback", "team_id": TEAM, "event": {"type": "message", "text": "no channel"}});
    let error = bot.orchestrator().handle_json(&malformed).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "malformed Slack payload: `channel` is missing or not a string"
    );
}

#[tokio::test]
async fn one_conversation_runs_serially_without_losing_an_update() {
    let bot = bot();
    bot.dm("U1").send("first").await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let bot = bot.clone();
        tasks.spawn(async move { bot.dm("U1").send(&format!("m{n}")).await });
    }
    while let Some(outcome) = tasks.join_next().await {
        assert!(matches!(outcome.unwrap(), Outcome::Advanced { .. }));
    }
    let record = &bot.flows().await[0];
    let seen: Vec<String> = serde_json::from_value(record.metadata["seen"].clone()).unwrap();
    assert_eq!(seen.len(), 51, "every event applied exactly once");
    assert_eq!(record.version, 52, "created, then one write per event");
}

#[tokio::test(start_paused = true)]
async fn a_slow_conversation_does_not_hold_up_another() {
    let bot = bot();
    bot.dm("U_SLOW").send("hi").await;
    let slow_bot = bot.clone();
    let slow = tokio::spawn(async move { slow_bot.dm("U_SLOW").send("slow").await });
    tokio::task::yield_now().await;
    let started = tokio::time::Instant::now();
    let mut quick = bot.dm("U_QUICK");
    quick.send("hello").await;
    quick.expect_reply("noted");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the quick conversation did not wait for the slow one"
    );
    assert!(!slow.is_finished());
    slow.await.unwrap();
}

#[tokio::test]
async fn a_failing_step_ends_in_error_with_a_message() {
    let bot = bot();
    let mut chat = bot.channel("U1", "C_OPS");
    let outcome = chat.send("it went boom").await;
    assert_eq!(outcome.state(), Some(FlowState::Error));
    chat.expect_reply("Sorry, something went wrong and this conversation had to stop.");
    assert_eq!(bot.flows().await[0].error.as_deref(), Some("the database is on fire"));
}

/// A step that panics (a bug in the bot's code) fails like a step that returns an error:
/// the flow ends in ERROR with the panic's message, the user gets the apology, and the
/// event is settled, so it is not taken over and panicked on again after its lease. Other
/// conversations go on.
#[tokio::test(start_paused = true)]
async fn a_panicking_step_ends_its_flow_in_error_and_is_not_tried_again() {
    let bot = bot();
    let mut chat = bot.channel("U1", "C_OPS");
    let body = payloads::message(&said("U1", "C_OPS", "boom panic", "1700000000.000100", "EvPanic1"));
    let outcome = chat.deliver(&body).await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    chat.expect_reply("Sorry, something went wrong and this conversation had to stop.");
    let error = bot.flows().await[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("panicked") && error.contains("an order number in the message"),
        "{error}"
    );
    assert_eq!(chat.deliver(&body).await, Outcome::Duplicate, "Slack's retry");
    tokio::time::advance(Duration::from_secs(60)).await; // past the event's lease
    let now = bot.orchestrator().now();
    let pending = bot.orchestrator().store().claim_pending(now, now, 10).await.unwrap();
    assert!(pending.is_empty(), "nothing left to take over: {pending:?}");

    let mut other = bot.dm("U2");
    other.send("hello").await;
    other.expect_reply("noted");
}

/// An `on_timeout` hook that panics is a hook that failed: the flow times out all the
/// same, and the timer engine, which the hook runs in, goes on firing the others.
#[tokio::test(start_paused = true)]
async fn a_timeout_hook_that_panics_does_not_stop_the_timer_engine() {
    let bot = TestBot::new(Orchestrator::builder().flow::<fragile::Fragile>().flow::<Tally>());
    let mut ana = bot.channel("U_ANA", "C_OPS");
    ana.send("wait for me").await;
    ana.expect_reply("waiting");
    let mut bob = bot.dm("U_BOB");
    bob.send("one").await;
    assert_eq!(
        bot.advance(Duration::from_secs(61)).await,
        1,
        "the hook's flow timed out"
    );
    let flows = bot.flows().await;
    let fragile = flows.iter().find(|f| f.flow == "fragile").unwrap();
    assert_eq!(fragile.state, FlowState::TimedOut);
    assert_eq!(
        bot.advance(Duration::from_secs(60)).await,
        1,
        "and the engine fired the next"
    );
    assert_eq!(
        bot.flows()
            .await
            .iter()
            .filter(|f| f.state == FlowState::TimedOut)
            .count(),
        2
    );
}

#[tokio::test]
async fn a_goto_loop_is_stopped() {
    let bot = bot();
    let outcome = bot.channel("U1", "C_OPS").send("loop").await;
    assert_eq!(outcome.state(), Some(FlowState::Error));
    assert!(bot.flows().await[0].error.as_deref().unwrap().contains("goto"));
}

async fn stored(store: &dyn Store, flow: &str, step: serde_json::Value) -> FlowRecord {
    let context = MessageContext::new(TEAM, "U1", "DU1");
    let mut record = FlowRecord::new(flow, 1, step, "Collect", context, chrono::Utc::now());
    record.state = FlowState::WaitingForResponse;
    record.version = 1;
    store.commit(&record, 0, None).await.unwrap();
    record
}

#[tokio::test]
async fn a_stored_step_that_no_longer_decodes_moves_the_flow_to_error() {
    let store = Arc::new(MemoryStore::new());
    let record = stored(&*store, "tally", serde_json::json!({"Renamed": {"x": 1}})).await;
    let bot = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    let outcome = bot.dm("U1").send("hello").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    let after = store.load(record.id).await.unwrap().unwrap();
    assert!(after.error.unwrap().contains("does not decode"));
    // The conversation is free again: the next message starts a new flow.
    assert!(matches!(
        bot.dm("U1").send("again").await,
        Outcome::Advanced {
            state: FlowState::WaitingForResponse,
            ..
        }
    ));
}

#[tokio::test]
async fn a_flow_no_longer_registered_moves_to_error() {
    let store = Arc::new(MemoryStore::new());
    let record = stored(&*store, "retired", serde_json::json!("Collect")).await;
    let bot = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    bot.dm("U1").send("hello").await;
    let after = store.load(record.id).await.unwrap().unwrap();
    assert_eq!(after.state, FlowState::Error);
    assert_eq!(
        after.error.as_deref(),
        Some("flow `retired` is not registered in this bot")
    );
}

#[tokio::test]
async fn a_restarted_bot_continues_the_conversation() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let before = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    before.dm("U1").send("one").await;
    drop(before);
    let after = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    after.dm("U1").send("two").await;
    let mut chat = after.dm("U1");
    chat.send("done").await;
    chat.expect_reply("bye");
    let record = &after.flows().await[0];
    assert_eq!(record.metadata["seen"], serde_json::json!(["one", "two"]));
}

#[tokio::test(start_paused = true)]
async fn replicas_sharing_a_store_fire_a_timeout_once() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let a = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    let b = TestBot::new(Orchestrator::builder().flow::<Tally>().store(store.clone()));
    for user in ["U1", "U2", "U3"] {
        a.dm(user).send("hello").await;
    }
    tokio::time::advance(Duration::from_secs(121)).await;
    let (fired_a, fired_b) = tokio::join!(
        a.orchestrator().fire_due_timeouts(),
        b.orchestrator().fire_due_timeouts()
    );
    assert_eq!(fired_a.unwrap() + fired_b.unwrap(), 3);
    assert!(a.flows().await.iter().all(|r| r.state == FlowState::TimedOut));
}

#[tokio::test(start_paused = true)]
async fn the_step_timeout_overrides_the_flow_timeout_and_the_message_can_be_off() {
    let bot = bot();
    let mut chat = bot.dm("U1");
    chat.send("hello").await;
    chat.expect_reply("noted");
    assert_eq!(bot.advance(Duration::from_secs(119)).await, 0);
    assert_eq!(
        bot.advance(Duration::from_secs(2)).await,
        1,
        "the step's 2m, not the flow's 5m"
    );
    chat.expect_no_reply();
}

#[tokio::test(start_paused = true)]
async fn the_timer_engine_fires_in_the_background() {
    let bot = bot();
    let timers = bot.orchestrator().spawn_timers();
    bot.dm("U1").send("hello").await;
    tokio::time::sleep(Duration::from_secs(130)).await;
    assert_eq!(bot.flows().await[0].state, FlowState::TimedOut);
    timers.abort();
}

#[tokio::test]
async fn a_flow_can_be_cancelled_once_and_its_user_told() {
    let bot = bot();
    let mut chat = bot.dm("U1");
    chat.send("hello").await;
    chat.expect_reply("noted");
    let id = bot.flows().await[0].id;
    let notice = Some("An operator ended this conversation.");
    let cancelled = bot.orchestrator().cancel(id, "operator", notice).await.unwrap();
    assert!(
        matches!(cancelled, Cancelled::Now { told: Some(Ok(())) }),
        "{cancelled:?}"
    );
    chat.expect_reply("An operator ended this conversation.");
    let record = &bot.flows().await[0];
    assert_eq!(
        (record.state, record.error.as_deref()),
        (FlowState::Error, Some("cancelled: operator"))
    );
    let again = bot.orchestrator().cancel(id, "again", notice).await.unwrap();
    assert!(
        matches!(again, Cancelled::AlreadyEnded),
        "an ended flow is not cancelled twice: {again:?}"
    );
    chat.expect_no_reply();
    let unknown = bot
        .orchestrator()
        .cancel(uuid::Uuid::new_v4(), "x", None)
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("not found"), "{unknown}");
}

#[tokio::test]
async fn a_flow_cancelled_without_a_notice_tells_its_user_nothing() {
    let bot = bot();
    let mut chat = bot.dm("U1");
    chat.send("hello").await;
    chat.expect_reply("noted");
    let id = bot.flows().await[0].id;
    let cancelled = bot.orchestrator().cancel(id, "operator", None).await.unwrap();
    assert!(matches!(cancelled, Cancelled::Now { told: None }), "{cancelled:?}");
    chat.expect_no_reply();
    assert_eq!(bot.flows().await[0].state, FlowState::Error);
}
