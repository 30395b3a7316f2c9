//! The engine's durability contract, each case a bug seen before the store contract was
//! fixed: a conversation exists from its first event; an event counts as processed only
//! with the write that applied it; a lost compare-and-swap decides again; a step replayed
//! after a crash between its post and its save does not post twice.

mod flaky_store;
#[path = "../examples/new_member.rs"]
#[allow(dead_code, unreachable_pub)]
mod new_member_example;

use flaky_store::{Failure, Flaky};
use slack_orchestrator::prelude::*;
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::MessageContext;
use slack_orchestrator::{Cancelled, FlowState, MemoryStore, Outcome, RecordingSlack, SlackRequest, Store};
use std::sync::Arc;
use std::time::Duration;

#[flow(trigger = direct_message)]
mod ask {
    use slack_orchestrator::prelude::*;
    use std::time::Duration;

    pub(crate) enum Ask {
        #[start]
        Question,
        Answer,
    }

    /// Posts, then works a while (a slow API, a slow store) before it is done.
    #[step(Question)]
    async fn question(cx: &mut Cx) -> Next<Ask> {
        cx.say("What's your name?").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        goto(Ask::Answer)
    }

    #[step(Answer)]
    async fn answer(_cx: &mut Cx, name: Text) -> Next<Ask> {
        complete(format!("Hello, {name}!"))
    }
}

#[flow(trigger = direct_message, trigger = team_join, timeout = "10s")]
mod remind {
    use slack_orchestrator::prelude::*;
    use std::time::Duration;

    pub(crate) enum Remind {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Remind> {
        cx.say("Ready?").await?;
        goto(Remind::Wait)
    }

    /// Answers, then works 2 s more (a slow API) before its result is saved.
    #[step(Wait)]
    async fn answer(cx: &mut Cx, _yes: Text) -> Next<Remind> {
        cx.say("Got it").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        complete_silently()
    }

    /// Reminds, then works longer than a timeout claim's lease (60 s) before it is done.
    #[step(Wait)]
    async fn remind(cx: &mut Cx, _deadline: Timeout) -> Next<Remind> {
        cx.say("Still there?").await?;
        tokio::time::sleep(Duration::from_secs(90)).await;
        complete_silently()
    }
}

#[flow(trigger = direct_message, timeout = "10s")]
mod nudge {
    use slack_orchestrator::prelude::*;
    use std::time::Duration;

    pub(crate) enum Nudge {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Nudge> {
        cx.say("Ready?").await?;
        goto(Nudge::Wait)
    }

    /// Answers, then works 2 s more before its result is saved.
    #[step(Wait)]
    async fn answer(cx: &mut Cx, _yes: Text) -> Next<Nudge> {
        cx.say("Got it").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        complete_silently()
    }

    /// Nudges, works 1 s more, and waits again (the deadline restarts).
    #[step(Wait)]
    async fn nudge(cx: &mut Cx, _deadline: Timeout) -> Next<Nudge> {
        cx.say("Still there?").await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        stay()
    }
}

#[flow(trigger = direct_message, timeout = "10s")]
mod linger {
    use slack_orchestrator::prelude::*;
    use std::time::Duration;

    pub(crate) enum Linger {
        #[start]
        Ask,
        Wait,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Linger> {
        cx.say("Ready?").await?;
        goto(Linger::Wait)
    }

    /// Answers, works 2 s, and waits on (the deadline still counts from the question).
    #[step(Wait)]
    async fn answer(cx: &mut Cx, text: Text) -> Next<Linger> {
        cx.say(format!("Got {text}")).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        stay()
    }

    #[step(Wait)]
    async fn expire(cx: &mut Cx, _deadline: Timeout) -> Next<Linger> {
        cx.say("Too late").await?;
        complete_silently()
    }
}

/// Two replicas of a bot with the `Remind` flow, on one memory store and one Slack.
fn remind_replicas() -> (Arc<MemoryStore>, Arc<RecordingSlack>, Orchestrator, Orchestrator) {
    replicas::<remind::Remind>()
}

/// Two replicas of a bot with flow `F`, on one memory store and one Slack.
fn replicas<F: Flow>() -> (Arc<MemoryStore>, Arc<RecordingSlack>, Orchestrator, Orchestrator) {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    let (first, second) = (bot::<F>(memory.clone(), &slack), bot::<F>(memory.clone(), &slack));
    (memory, slack, first, second)
}

/// A bot process with flow `F` on `store`.
fn bot<F: Flow>(store: Arc<dyn Store>, slack: &Arc<RecordingSlack>) -> Orchestrator {
    Orchestrator::builder()
        .flow::<F>()
        .store(store)
        .slack(slack.clone())
        .build()
        .unwrap()
}

/// A bot process with the `Ask` flow on `store`.
fn process(store: Arc<dyn Store>, slack: &Arc<RecordingSlack>) -> Orchestrator {
    bot::<ask::Ask>(store, slack)
}

/// A process that receives U1's "hi" (event `event_id`), runs the first step (which posts
/// the question), fails to save the result, and dies: the event is acked and unsettled.
async fn dies_after_posting(memory: &Arc<MemoryStore>, slack: &Arc<RecordingSlack>, event_id: &str) {
    let dying = process(Flaky::new(memory.clone(), Failure::Backend, 1), slack);
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", event_id);
    assert!(dying.handle_json(&hi).await.is_err(), "the save failed");
}

/// The received event of U1's DM that is not settled yet, if any.
async fn unsettled(store: &MemoryStore) -> Option<String> {
    let dm = MessageContext::new(slack_orchestrator::testkit::TEAM, "U1", "DU1").conversation_key();
    store
        .oldest_unsettled(&dm, None)
        .await
        .unwrap()
        .map(|(event, _)| event.key)
}

fn posts(slack: &RecordingSlack) -> Vec<String> {
    slack
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::PostMessage { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_reply_while_the_first_step_still_runs_waits_for_it_and_continues_the_same_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    let first = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.dm("U1").send("hi").await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await; // the question is out, the step still runs
    assert_eq!(posts(bot.slack()), ["What's your name?"]);
    let reply = bot.dm("U1").send("Alice").await;
    assert_eq!(reply.state(), Some(FlowState::Completed), "{reply:?}");
    assert_eq!(first.await.unwrap().state(), Some(FlowState::WaitingForResponse));
    assert_eq!(posts(bot.slack()), ["What's your name?", "Hello, Alice!"]);
    assert_eq!(bot.flows().await.len(), 1, "no second conversation");
}

/// The same for a reply in the thread under the question, where Slack users often answer:
/// while the step that posted it still runs, the flow's log does not have the question
/// yet, so the reply waits for that step instead of starting a conversation of its own.
#[tokio::test(start_paused = true)]
async fn a_thread_reply_while_the_first_step_still_runs_waits_for_it_and_continues_the_same_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    let first = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.dm("U1").send("hi").await })
    };
    tokio::time::sleep(Duration::from_millis(10)).await; // the question is out, the step still runs
    let question = match bot.slack().calls().last() {
        Some((_, slack_orchestrator::SlackReply::Message { ts, .. })) => ts.clone(),
        other => panic!("the question's post: {other:?}"),
    };
    let reply = bot.thread("U1", "DU1", &question).send("Alice").await;
    assert_eq!(reply.state(), Some(FlowState::Completed), "{reply:?}");
    assert_eq!(first.await.unwrap().state(), Some(FlowState::WaitingForResponse));
    assert_eq!(posts(bot.slack()), ["What's your name?", "Hello, Alice!"]);
    assert_eq!(bot.flows().await.len(), 1, "no second conversation");
}

#[tokio::test(start_paused = true)]
async fn an_event_whose_save_failed_stays_pending_and_is_applied_when_its_lease_ends() {
    let memory = Arc::new(MemoryStore::new());
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<ask::Ask>()
            .store(Flaky::new(memory, Failure::Backend, 1)),
    );
    let body =
        slack_orchestrator::payloads::direct_message(slack_orchestrator::testkit::TEAM, "U1", "hi", "1.1", "EvOnce");
    let failed = bot.orchestrator().handle_json(&body).await;
    assert!(failed.is_err(), "the save failed: {failed:?}");
    assert_eq!(
        bot.deliver(&body).await,
        Outcome::Duplicate,
        "a repeat while the failed worker's lease runs is left to it (no second run at once)"
    );
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(
        bot.orchestrator().recover().await.unwrap(),
        1,
        "the lease ended: the event is taken over, not lost"
    );
    assert_eq!(bot.flows().await[0].state, FlowState::WaitingForResponse);
    assert_eq!(
        bot.deliver(&body).await,
        Outcome::Duplicate,
        "once applied, it is a duplicate"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lost_compare_and_swap_decides_again_instead_of_dropping_the_input() {
    let memory = Arc::new(MemoryStore::new());
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<ask::Ask>()
            .store(Flaky::new(memory, Failure::Conflict, 1)),
    );
    let mut chat = bot.dm("U1");
    let outcome = chat.send("hi").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let outcome = chat.send("Bob").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn a_cancel_that_loses_its_compare_and_swap_loads_the_flow_again_and_tells_the_user_once() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    let bot = process(memory.clone(), &slack);
    bot.handle_json(&slack_orchestrator::payloads::direct_message(
        "T1", "U1", "hi", "1.1", "EvHi",
    ))
    .await
    .unwrap();
    let id = memory.list(true, 10).await.unwrap()[0].id;

    // An operator's process: the bot writes the flow between its load and its commit.
    let operator = process(Flaky::any_write(memory.clone(), Failure::Interloper, 1), &slack);
    let cancelled = operator
        .cancel(id, "stuck", Some("An operator ended this."))
        .await
        .unwrap();
    assert!(
        matches!(cancelled, Cancelled::Now { told: Some(Ok(())) }),
        "{cancelled:?}"
    );
    let record = memory.load(id).await.unwrap().unwrap();
    assert_eq!(
        (record.state, record.error.as_deref()),
        (FlowState::Error, Some("cancelled: stuck"))
    );
    assert_eq!(
        posts(&slack),
        ["What's your name?", "An operator ended this."],
        "told once, after the cancel was written"
    );
}

#[tokio::test(start_paused = true)]
async fn a_step_replayed_after_a_crash_between_its_post_and_its_save_does_not_post_again() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    // The first process: the step posts, then the save fails, and the process dies.
    dies_after_posting(&memory, &slack, "EvCrash").await;
    assert_eq!(posts(&slack), ["What's your name?"]);
    assert_eq!(
        unsettled(&memory).await.as_deref(),
        Some("event:EvCrash"),
        "the acked event is still pending"
    );

    // The restarted process applies it, finding the post instead of making it again.
    let restarted = process(memory.clone(), &slack);
    assert_eq!(
        restarted.recover().await.unwrap(),
        0,
        "the dead process's lease on the event runs for a while"
    );
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    assert_eq!(restarted.recover().await.unwrap(), 1, "then it is taken over");
    assert_eq!(posts(&slack), ["What's your name?"], "posted once");
    let flows = memory.list(false, 10).await.unwrap();
    assert_eq!(
        (flows[0].state, flows[0].step_name.as_str()),
        (FlowState::WaitingForResponse, "Answer")
    );
    assert_eq!(unsettled(&memory).await, None, "settled with the write");
}

/// The same crash in a flow named by its user's id (`team_join`): its first post went to
/// the user id, and Slack keeps it in their DM, so the replay looks for it there (the DM's
/// id from `conversations.open`), not under the user id, where Slack finds nothing.
#[tokio::test(start_paused = true)]
async fn a_first_post_to_a_user_id_replayed_after_a_crash_is_found_in_their_dm() {
    use new_member_example::new_member::NewMember;
    const WELCOME: &str = "Welcome to the workspace, <@U_NEW>! I'll get you set up. What's your role?";
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    let team = slack_orchestrator::testkit::TEAM;
    let joined = slack_orchestrator::payloads::team_join(team, "U_NEW", false, "EvJoin");
    let dying = bot::<NewMember>(Flaky::new(memory.clone(), Failure::Backend, 1), &slack);
    assert!(dying.handle_json(&joined).await.is_err(), "the save failed");
    assert_eq!(posts(&slack), [WELCOME]);

    let restarted = bot::<NewMember>(memory.clone(), &slack);
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    assert_eq!(restarted.recover().await.unwrap(), 1, "the event is taken over");
    assert_eq!(posts(&slack), [WELCOME], "posted once");
    let flows = memory.list(false, 10).await.unwrap();
    assert_eq!(
        (flows[0].step_name.as_str(), flows[0].context.channel_id.as_str()),
        ("AskRole", "DU_NEW"),
        "the replay took the post it found, in the DM"
    );
    let answer = slack_orchestrator::payloads::direct_message(team, "U_NEW", "designer", "1.5", "EvRole");
    restarted.handle_json(&answer).await.unwrap();
    assert_eq!(posts(&slack)[1], "Got it: designer. Which team are you joining?");
}

/// The same crash, but Slack delivers the event again (a retry: the dead process may not
/// have sent its ack) after the dead worker's lease ended and before any recovery takes
/// the event over: the redelivery runs the step as a replay too, finding the post.
#[tokio::test(start_paused = true)]
async fn slacks_retry_of_an_event_whose_worker_died_after_posting_does_not_post_again() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    dies_after_posting(&memory, &slack, "EvRetried").await;
    let restarted = process(memory.clone(), &slack);
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    let team = slack_orchestrator::testkit::TEAM;
    let retry = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvRetried");
    let outcome = restarted.handle_json(&retry).await.unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    assert_eq!(posts(&slack), ["What's your name?"], "posted once");
    assert_eq!(unsettled(&memory).await, None, "settled with the write");
}

#[tokio::test(start_paused = true)]
async fn an_answer_never_overtakes_the_acked_event_whose_step_asked_the_question() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    // One replica: "hi" runs the first step, which posts the question; then its save fails
    // and the replica dies. The event is acked, unsettled, and leased to the dead replica.
    dies_after_posting(&memory, &slack, "EvHi").await;
    let team = slack_orchestrator::testkit::TEAM;

    // The user saw the question and answers; the answer reaches another replica at once.
    let other = process(memory.clone(), &slack);
    let answer = slack_orchestrator::payloads::direct_message(team, "U1", "Bob", "1.2", "EvBob");
    let outcome = other.handle_json(&answer).await.unwrap();
    assert_eq!(
        outcome.state(),
        Some(FlowState::Completed),
        "the answer waited for the question's event, which was applied first: {outcome:?}"
    );
    assert_eq!(
        posts(&slack),
        ["What's your name?", "Hello, Bob!"],
        "the question was not posted again, and Bob is the answer to it"
    );
    assert_eq!(unsettled(&memory).await, None, "both events settled");
}

/// A worker keeps the event it applies for as long as it works on it. Here the step's post
/// is rate limited for longer than the event's lease (Slack's `Retry-After` is often 30 s
/// or more, against a 10 s lease by default), while a second replica on the same store
/// looks for abandoned events as its timer loop does every second: it must leave this one
/// alone, or it runs the step a second time and the user gets the question twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_slower_than_its_event_lease_keeps_its_event_and_posts_once() {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let memory = Arc::new(MemoryStore::new());
    let replica = || {
        let api = slack_orchestrator::SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
        Orchestrator::builder()
            .flow::<ask::Ask>()
            .store(memory.clone())
            .slack(Arc::new(api))
            .event_lease(Duration::from_secs(1))
            .build()
            .unwrap()
    };
    let (first, second) = (replica(), replica());
    slack.rate_limit_next("chat.postMessage", 1, 2);
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvSlow");
    let working = tokio::spawn(async move { first.handle_json(&hi).await });
    // The post waits out its 429 (2 s), then the step works 2 s more: four leases in all.
    while !working.is_finished() {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            second.recover().await.unwrap(),
            0,
            "the other replica takes over nothing while the first still works"
        );
    }
    let outcome = working.await.unwrap().unwrap();
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let questions: Vec<_> = slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter_map(|args| args["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(questions, ["What's your name?"], "asked once");
    assert_eq!(unsettled(&memory).await, None, "settled with the write");
}

/// The same for deadlines: the replica firing them keeps its claims while the timeouts'
/// steps work (here 90 s each, past a claim's 60 s lease), also the claims still waiting
/// for one of the 64 firing slots, and the other replica's timer engine, which looks for
/// due deadlines every second, leaves them alone: every reminder goes out once.
#[tokio::test(start_paused = true)]
async fn timeouts_slower_than_their_claims_keep_them_and_fire_once() {
    const USERS: usize = 70; // more than fire at once
    let (memory, slack, first, second) = remind_replicas();
    let team = slack_orchestrator::testkit::TEAM;
    for n in 0..USERS {
        let user = format!("U{n}");
        let hi = slack_orchestrator::payloads::direct_message(team, &user, "hi", "1.1", &format!("EvRemind{n}"));
        first.handle_json(&hi).await.unwrap();
    }
    tokio::time::advance(Duration::from_secs(11)).await;
    let firing = tokio::spawn(async move { first.fire_due_timeouts().await });
    while !firing.is_finished() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            second.fire_due_timeouts().await.unwrap(),
            0,
            "the other replica fires nothing while the first still works"
        );
    }
    assert_eq!(firing.await.unwrap().unwrap(), USERS);
    let reminders = posts(&slack).iter().filter(|text| *text == "Still there?").count();
    assert_eq!(reminders, USERS, "each user reminded once");
    let flows = memory.list(false, USERS).await.unwrap();
    assert!(flows.iter().all(|flow| flow.state == FlowState::Completed));
}

/// A replay that cannot look in Slack (its look-up is rate-limited past the client's
/// retries) neither posts again nor saves: the event stays pending and is applied when
/// Slack answers again, finding the post the crashed run made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_slack_will_not_answer_yet_waits_instead_of_posting_again() {
    let slack = slack_orchestrator::testkit::FakeSlack::start().await;
    let memory = Arc::new(MemoryStore::new());
    let process = |store: Arc<dyn Store>| {
        let api = slack_orchestrator::SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
        Orchestrator::builder()
            .flow::<ask::Ask>()
            .store(store)
            .slack(Arc::new(api))
            .event_lease(Duration::from_millis(200))
            .build()
            .unwrap()
    };
    let questions = || {
        let posts = slack.calls_to("chat.postMessage");
        posts
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    // The first process posts the question, fails to save, and dies.
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvThrottled");
    let dying = process(Flaky::new(memory.clone(), Failure::Backend, 1));
    assert!(dying.handle_json(&hi).await.is_err(), "the save failed");
    assert_eq!(questions(), ["What's your name?"]);

    // The restarted process takes the event over, but Slack rate-limits its look-up (one
    // 429 more than the client retries).
    let restarted = process(memory.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    slack.rate_limit_next("conversations.history", 4, 0);
    assert_eq!(restarted.recover().await.unwrap(), 0, "not applied: it could not look");
    assert_eq!(questions(), ["What's your name?"], "not posted again, no apology");
    assert_eq!(
        unsettled(&memory).await.as_deref(),
        Some("event:EvThrottled"),
        "still pending"
    );

    // Once its lease ends it is taken over again; Slack answers now, and the post is found.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(restarted.recover().await.unwrap(), 1);
    assert_eq!(questions(), ["What's your name?"], "posted once");
    let flow = memory.list(false, 1).await.unwrap().remove(0);
    assert_eq!(
        (flow.state, flow.step_name.as_str()),
        (FlowState::WaitingForResponse, "Answer")
    );
    assert_eq!(unsettled(&memory).await, None);
}

/// The `Remind` flow, started by `start`, asks its question; half a second before the
/// deadline the user's answer (`answer`, given the Slack that holds the question) reaches
/// one replica, whose step is still working (its result not saved) when the deadline
/// passes, while another replica's timer engine looks for due timeouts: the timeout waits
/// for the answer received before it fell due, then finds nothing due, and the user is
/// answered, not reminded.
async fn answered_before_another_replicas_timeout(
    start: serde_json::Value,
    answer: impl FnOnce(&RecordingSlack) -> serde_json::Value,
) {
    let (_, slack, first, second) = remind_replicas();
    first.handle_json(&start).await.unwrap();
    let yes = answer(&slack);
    tokio::time::advance(Duration::from_millis(9_500)).await;
    let answering = tokio::spawn(async move { first.handle_json(&yes).await });
    tokio::time::sleep(Duration::from_secs(1)).await; // the deadline passed; the answer still works
    assert_eq!(posts(&slack), ["Ready?", "Got it"]);
    assert!(!answering.is_finished());

    assert_eq!(
        second.fire_due_timeouts().await.unwrap(),
        0,
        "nothing was due after the answer"
    );
    let answered = answering.await.unwrap().unwrap();
    assert_eq!(answered.state(), Some(FlowState::Completed), "{answered:?}");
    assert_eq!(posts(&slack), ["Ready?", "Got it"], "no reminder after the answer");
}

/// A user who answers half a second before the deadline, at the top of the DM.
#[tokio::test(start_paused = true)]
async fn an_answer_received_before_the_deadline_goes_before_another_replicas_timeout() {
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvHi");
    let yes = slack_orchestrator::payloads::direct_message(team, "U1", "yes", "1.2", "EvYes");
    answered_before_another_replicas_timeout(hi, |_| yes).await;
}

/// The same for a flow named by its user's id (started by `team_join`), answered at the
/// top of their DM: the answer is received in the DM's conversation, not the flow's, and
/// still goes before the timeout.
#[tokio::test(start_paused = true)]
async fn a_dm_answer_to_a_flow_named_by_its_user_goes_before_another_replicas_timeout() {
    let team = slack_orchestrator::testkit::TEAM;
    let joined = slack_orchestrator::payloads::team_join(team, "U1", false, "EvJoin");
    let yes = slack_orchestrator::payloads::direct_message(team, "U1", "yes", "1.2", "EvYes");
    answered_before_another_replicas_timeout(joined, |_| yes).await;
}

/// The same for a reply in the thread under the question (Slack users answer there, and
/// it is routed to the flow).
#[tokio::test(start_paused = true)]
async fn a_thread_reply_received_before_the_deadline_goes_before_another_replicas_timeout() {
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvHi");
    answered_before_another_replicas_timeout(hi, |slack| {
        let question = slack
            .calls()
            .into_iter()
            .find_map(|(_, reply)| match reply {
                slack_orchestrator::SlackReply::Message { ts, .. } => Some(ts),
                _ => None,
            })
            .expect("the question's ts");
        let said = slack_orchestrator::payloads::Said {
            team,
            user: "U1",
            channel: "DU1",
            text: "yes",
            ts: "1.2",
            thread_ts: Some(&question),
            event_id: "EvYesInThread",
        };
        slack_orchestrator::payloads::message(&said)
    })
    .await;
}

/// Two answers to one question on two replicas: the one timed first reaches the store
/// second (its replica's connection was slow), while the other, stored first and alone
/// in its conversation, is being applied. It goes after that one, as it was stored,
/// instead of running beside it (before: both answered, "Got it" twice, and one lost its
/// compare-and-swap).
#[tokio::test(start_paused = true)]
async fn an_answer_timed_first_but_stored_second_waits_for_the_one_stored_first() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    let slow = Flaky::slow_receives(memory.clone(), Duration::from_millis(300));
    let (slow, fast) = (
        bot::<remind::Remind>(slow, &slack),
        bot::<remind::Remind>(memory.clone(), &slack),
    );
    let dm = |text, ts, id| {
        slack_orchestrator::payloads::direct_message(slack_orchestrator::testkit::TEAM, "U1", text, ts, id)
    };
    fast.handle_json(&dm("hi", "1.1", "EvHi")).await.unwrap();
    let (timed_first, stored_first) = (dm("yes", "1.2", "EvYes"), dm("yes!", "1.3", "EvYes2"));
    let timed_first = tokio::spawn(async move { slow.handle_json(&timed_first).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stored_first = tokio::spawn(async move { fast.handle_json(&stored_first).await });
    let stored_first = stored_first.await.unwrap().unwrap();
    assert_eq!(stored_first.state(), Some(FlowState::Completed), "{stored_first:?}");
    let timed_first = timed_first.await.unwrap().unwrap();
    assert_eq!(
        timed_first.state(),
        Some(FlowState::WaitingForResponse),
        "a new conversation"
    );
    assert_eq!(memory.list(false, 10).await.unwrap().len(), 2, "{timed_first:?}");
    assert_eq!(posts(&slack), ["Ready?", "Got it", "Ready?"]);
    assert_eq!(unsettled(&memory).await, None, "both settled");
}

/// Two replicas on a shared store get two answers of one user at once, one each (a user
/// who sent twice, spread by the load balancer). One answer is applied first and the other
/// after it, as the store received them: "Got it" once, and the second answer, coming
/// after the flow ended, starts a new conversation. (The interleaving in which the two
/// inserts overlap and the one timed first is stored last is made on purpose, store by
/// store, in `orchestrator-runtime/tests/stores.rs` and the conformance suite.)
async fn answers_at_once_on_two_replicas(url: String) {
    const USERS: usize = 10;
    let slack = RecordingSlack::new();
    let open = || async { slack_orchestrator::store::open(&url).await.unwrap() };
    let replicas = [
        bot::<remind::Remind>(open().await, &slack),
        bot::<remind::Remind>(open().await, &slack),
    ];
    let team = slack_orchestrator::testkit::TEAM;
    let user = |n: usize| format!("U{n}{}", uuid::Uuid::new_v4().simple());
    let users: Vec<String> = (0..USERS).map(user).collect();
    let conversations = users.iter().map(|user| {
        let replicas = replicas.clone();
        let user = user.clone();
        async move {
            let dm = |text, ts, id: &str| {
                slack_orchestrator::payloads::direct_message(team, &user, text, ts, &format!("{id}{user}"))
            };
            replicas[0].handle_json(&dm("hi", "1.1", "EvHi")).await.unwrap();
            let (one, two) = (dm("yes", "1.2", "EvYes"), dm("yes!", "1.3", "EvYes2"));
            let (one, two) = tokio::join!(replicas[0].handle_json(&one), replicas[1].handle_json(&two));
            (one.unwrap(), two.unwrap())
        }
    });
    futures_util::future::join_all(conversations).await;
    for user in &users {
        let channel = format!("D{user}");
        let said: Vec<String> = slack
            .requests()
            .into_iter()
            .filter_map(|r| match r {
                SlackRequest::PostMessage { text, channel: to, .. } if to == channel => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(said, ["Ready?", "Got it", "Ready?"], "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_answers_at_once_on_two_replicas_go_one_after_the_other() {
    answers_at_once_on_two_replicas(slack_orchestrator::testkit::postgres_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_answers_at_once_on_two_replicas_go_one_after_the_other() {
    answers_at_once_on_two_replicas(slack_orchestrator::testkit::redis_url()).await;
}

/// An answer timed just before the deadline, but stored just after it: stored after
/// another answer of the conversation that was timed later and stored first (a slow
/// connection to the store), it goes a millisecond after that one, past the deadline. It
/// is applied as arriving then, as the timer engine also sees it (a timeout waits for the
/// answers stored before its deadline, not for this one): the timeout goes first, fired by
/// this answer's worker here, where no timer engine runs. Before, it was applied as
/// arriving before the deadline, and continued the flow ("Got yes") while a timer engine
/// could fire the same deadline beside it.
#[tokio::test(start_paused = true)]
async fn an_answer_stored_past_the_deadline_goes_after_the_timeout_whenever_it_was_timed() {
    let (memory, slack) = (Arc::new(MemoryStore::new()), RecordingSlack::new());
    let slow = Flaky::slow_receives(memory.clone(), Duration::from_millis(300));
    let (slow, fast) = (
        bot::<linger::Linger>(slow, &slack),
        bot::<linger::Linger>(memory.clone(), &slack),
    );
    let dm = |text, ts, id| {
        slack_orchestrator::payloads::direct_message(slack_orchestrator::testkit::TEAM, "U1", text, ts, id)
    };
    fast.handle_json(&dm("hi", "1.1", "EvHi")).await.unwrap();
    let deadline = memory.list(true, 1).await.unwrap()[0].deadline.expect("a deadline");
    let settle = || async {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    };
    // "yes" is timed 0.7 ms before the deadline and reaches the store 300 ms later.
    tokio::time::advance(Duration::from_micros(10_000_000 - 700)).await;
    let yes = tokio::spawn({
        let (slow, yes) = (slow.clone(), dm("yes", "1.2", "EvYes"));
        async move { slow.handle_json(&yes).await }
    });
    settle().await;
    // "no" is timed 0.5 ms before the deadline and stored at once: answered in time.
    tokio::time::advance(Duration::from_micros(200)).await;
    let no = tokio::spawn({
        let (fast, no) = (fast.clone(), dm("no", "1.3", "EvNo"));
        async move { fast.handle_json(&no).await }
    });
    settle().await;
    no.await.unwrap().unwrap();
    assert!(fast.now() > deadline);
    yes.await.unwrap().unwrap();
    assert_eq!(posts(&slack), ["Ready?", "Got no", "Too late", "Ready?"]);
    assert_eq!(unsettled(&memory).await, None, "all settled");
}

/// The `Nudge` flow's deadline passes; then, on two replicas, the user's late answer and
/// the timer engine's timeout race: the one received first (`answer_first`, or the
/// timeout) is still working when the other arrives. Returns what was posted, the timeout's
/// count of fired deadlines, and the flow.
async fn late_answer_against_a_timeout(answer_first: bool) -> (Vec<String>, usize, slack_orchestrator::FlowRecord) {
    let (memory, slack, first, second) = replicas::<nudge::Nudge>();
    let team = slack_orchestrator::testkit::TEAM;
    let hi = slack_orchestrator::payloads::direct_message(team, "U1", "hi", "1.1", "EvHi");
    first.handle_json(&hi).await.unwrap();
    tokio::time::advance(Duration::from_millis(10_200)).await; // past the deadline
    let yes = slack_orchestrator::payloads::direct_message(team, "U1", "yes", "1.2", "EvYes");
    let answer = || tokio::spawn(async move { first.handle_json(&yes).await });
    let timeout = || tokio::spawn(async move { second.fire_due_timeouts().await });
    let (answering, firing) = if answer_first {
        let answering = answer();
        tokio::time::sleep(Duration::from_millis(300)).await;
        (answering, timeout())
    } else {
        let firing = timeout();
        tokio::time::sleep(Duration::from_millis(500)).await;
        (answer(), firing)
    };
    answering.await.unwrap().unwrap();
    let fired = firing.await.unwrap().unwrap();
    let flow = memory.list(false, 1).await.unwrap().remove(0);
    assert_eq!(unsettled(&memory).await, None, "both settled");
    (posts(&slack), fired, flow)
}

/// A user who answers just after the deadline, before the timer engine took it: the
/// deadline came first, so the nudge goes first, once, whichever replica claims it (here
/// the answer's, which fires it and then applies the answer to the flow it left; the other
/// replica's timer engine finds it claimed). Before, the other replica nudged beside the
/// answer, and the answer, losing its compare-and-swap, was run again: "Got it" twice.
#[tokio::test(start_paused = true)]
async fn a_late_answer_fires_the_passed_deadline_first_on_any_replica() {
    let (posts, fired, flow) = late_answer_against_a_timeout(true).await;
    assert_eq!(posts, ["Ready?", "Still there?", "Got it"]);
    assert_eq!(fired, 0, "the answer's replica fired it");
    assert_eq!(flow.state, FlowState::Completed);
}

/// The other order: another replica's timer engine is nudging when the late answer
/// arrives; the answer waits for it and is applied, once, to the flow the nudge left.
#[tokio::test(start_paused = true)]
async fn a_late_answer_waits_for_the_timeout_another_replica_is_firing() {
    let (posts, fired, flow) = late_answer_against_a_timeout(false).await;
    assert_eq!(posts, ["Ready?", "Still there?", "Got it"]);
    assert_eq!(fired, 1);
    assert_eq!(flow.state, FlowState::Completed);
}
