//! Flows started from code: by the bot (`Orchestrator::start`, e.g. a check-in for each
//! member of a team) and from inside a step (`cx.start_flow`, e.g. an approval in the
//! approver's DM), each at a step with its data, and refused with a clear error where
//! another flow is active.

mod flaky_store;

use flaky_store::{Failure, Flaky};
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, MessageContext, Orchestrator, OrchestratorError, SlackOutage};

#[slack_orchestrator::flow(trigger = command("/checkin"))]
mod checkin {
    use slack_orchestrator::prelude::*;

    #[derive(Debug)]
    pub(crate) enum Checkin {
        /// `/checkin TOPIC` by hand; the bot starts at `Ask` itself.
        #[start]
        Begin,
        Ask {
            topic: String,
        },
        Listen {
            topic: String,
        },
    }

    #[step(Begin)]
    async fn begin(_cx: &mut Cx, command: Command) -> Next<Checkin> {
        goto(Checkin::Ask {
            topic: command.text.clone(),
        })
    }

    #[step(Ask { topic })]
    async fn ask(cx: &mut Cx, topic: String) -> Next<Checkin> {
        cx.say(format!("How is {topic} going?")).await?;
        goto(Checkin::Listen { topic })
    }

    #[step(Listen { topic })]
    async fn listen(_cx: &mut Cx, topic: String, said: Text) -> Next<Checkin> {
        complete(format!("Thanks! {topic}: {}", said.as_str()))
    }
}

#[slack_orchestrator::flow(trigger = direct_message)]
mod request {
    use super::approval::Approval;
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::MessageContext;

    pub(crate) enum Request {
        #[start]
        What,
    }

    #[step(What)]
    async fn what(cx: &mut Cx, said: Text) -> Next<Request> {
        let boss = "U_BOSS";
        let dm = cx.open_dm(boss).await?;
        let at = MessageContext::new(&cx.context().team_id, boss, &dm);
        let asked = Approval::Decide {
            requester: cx.user_id().to_owned(),
            what: said.as_str().to_owned(),
        };
        cx.start_flow(at, asked)?;
        complete("I asked U_BOSS for you.")
    }
}

#[slack_orchestrator::flow(trigger = command("/approve"))]
mod approval {
    use slack_orchestrator::prelude::*;

    #[derive(Debug)]
    pub(crate) enum Approval {
        /// `/approve` by hand: approvals are asked for by the `request` flow.
        #[start]
        ByHand,
        Decide {
            requester: String,
            what: String,
        },
        Wait {
            requester: String,
            what: String,
        },
    }

    #[step(ByHand)]
    async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Approval> {
        fail("Approvals are asked for by DMing the bot.")
    }

    #[step(Decide { requester, what })]
    async fn decide(cx: &mut Cx, requester: String, what: String) -> Next<Approval> {
        cx.say(format!("{requester} asks for {what}. Approve?")).await?;
        goto(Approval::Wait { requester, what })
    }

    #[step(Wait { requester, what })]
    async fn answer(_cx: &mut Cx, requester: String, what: String, said: Text) -> Next<Approval> {
        complete(format!("{what} for {requester}: {}", said.as_str()))
    }
}

#[tokio::test]
async fn the_bot_starts_a_flow_for_each_member_and_they_answer_in_their_dm() {
    let bot = TestBot::new(Orchestrator::builder().flow::<checkin::Checkin>());
    let (mut ana, mut ben) = (bot.dm("U_ANA"), bot.dm("U_BEN"));
    for user in ["U_ANA", "U_BEN"] {
        let dm = MessageContext::new(TEAM, user, format!("D{user}"));
        let topic = format!("the launch ({user})");
        bot.orchestrator()
            .start(dm, checkin::Checkin::Ask { topic })
            .await
            .expect("started");
    }
    ana.expect_reply("How is the launch (U_ANA) going?");
    ana.send("fine").await;
    ana.expect_reply("Thanks! the launch (U_ANA): fine");
    ben.expect_reply("How is the launch (U_BEN) going?");
    assert_eq!(ben.send("late").await.state(), Some(FlowState::Completed));
}

#[tokio::test(start_paused = true)]
async fn a_check_in_started_while_slack_is_down_is_asked_when_slack_is_back() {
    let bot = TestBot::new(Orchestrator::builder().flow::<checkin::Checkin>());
    let mut ana = bot.dm("U_ANA");
    bot.slack().go_down(SlackOutage::Unavailable);
    let dm = MessageContext::new(TEAM, "U_ANA", "DU_ANA");
    let topic = "the launch".to_owned();
    let id = bot.orchestrator().start(dm, checkin::Checkin::Ask { topic }).await;
    let id = id.expect("saved, its first step put off");
    let state = || async { bot.orchestrator().store().load(id).await.unwrap().unwrap().state };
    assert_eq!(state().await, FlowState::Initiated);

    bot.slack().come_back();
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    let recovered = bot.orchestrator().recover().await.unwrap();
    assert_eq!(
        recovered, 1,
        "the start stayed pending; its lease over, it is applied again"
    );
    assert_eq!(state().await, FlowState::WaitingForResponse);
    ana.expect_reply("How is the launch going?");
    ana.expect_no_reply();
}

#[tokio::test]
async fn a_start_where_a_flow_is_active_names_it() {
    let bot = TestBot::new(Orchestrator::builder().flow::<checkin::Checkin>());
    let dm = MessageContext::new(TEAM, "U_ANA", "DU_ANA");
    let first = bot
        .orchestrator()
        .start(dm.clone(), checkin::Checkin::Ask { topic: "a".into() })
        .await
        .unwrap();
    let again = bot
        .orchestrator()
        .start(dm, checkin::Checkin::Ask { topic: "b".into() })
        .await;
    match again {
        Err(OrchestratorError::ConversationBusy { active, .. }) => assert_eq!(active, first),
        other => panic!("expected ConversationBusy, got {other:?}"),
    }
    let unregistered = bot
        .orchestrator()
        .start(
            MessageContext::new(TEAM, "U_X", "DU_X"),
            approval::Approval::Decide {
                requester: "U".into(),
                what: "w".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        unregistered
            .to_string()
            .contains("no flow named `approval` is registered"),
        "{unregistered}"
    );
}

/// The request's write loses its compare-and-swap, though nothing else was written (a
/// store that says so): the request is decided again, asks for the same approval, and
/// the approval starts at once (its start, received by the first try, is let go).
#[tokio::test(start_paused = true)]
async fn a_request_decided_again_after_a_lost_write_starts_its_approval_at_once() {
    let (_bot, mut boss) = request_whose_write_is_lost(Failure::Conflict).await;
    boss.expect_no_reply();
    boss.send("yes").await;
    boss.expect_reply("a new laptop for U_ALICE: yes");
}

/// Another process writes the request first, for real: the request is decided again from
/// its write, and asks for an approval of its own. The approval the losing try asked for
/// is withdrawn, not started later: the approver, done with the first, is not asked again.
#[tokio::test(start_paused = true)]
async fn the_approval_of_a_request_that_lost_its_write_to_another_process_is_never_started() {
    let (bot, mut boss) = request_whose_write_is_lost(Failure::Interloper).await;
    boss.send("yes").await;
    boss.expect_reply("a new laptop for U_ALICE: yes");
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    assert_eq!(bot.orchestrator().recover().await.unwrap(), 0, "no start left over");
    boss.expect_no_reply();
    let approvals = bot.flows().await.into_iter().filter(|f| f.flow == "approval").count();
    assert_eq!(approvals, 1);
}

/// U_ALICE's request, whose first write fails with `failure`; returns the bot and U_BOSS's
/// DM once the approval asked (without waiting for any lease).
async fn request_whose_write_is_lost(failure: Failure) -> (TestBot, slack_orchestrator::testkit::Chat) {
    let memory = std::sync::Arc::new(slack_orchestrator::MemoryStore::new());
    let bot = request_and_approval_on(Flaky::new(memory, failure, 1));
    let (mut alice, mut boss) = (bot.dm("U_ALICE"), bot.dm("U_BOSS"));
    alice.send("a new laptop").await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    boss.expect_reply("U_ALICE asks for a new laptop. Approve?");
    (bot, boss)
}

/// A bot with the `request` and `approval` flows, where U_BOSS's DM is DU_BOSS.
fn request_and_approval() -> TestBot {
    request_and_approval_on(std::sync::Arc::new(slack_orchestrator::MemoryStore::new()))
}

/// [`request_and_approval`] on `store`.
fn request_and_approval_on(store: std::sync::Arc<dyn slack_orchestrator::Store>) -> TestBot {
    let bot = TestBot::new(
        Orchestrator::builder()
            .flow::<request::Request>()
            .flow::<approval::Approval>()
            .store(store),
    );
    bot.slack().answer(
        "conversations.open",
        serde_json::json!({"ok": true, "channel": {"id": "DU_BOSS"}}),
    );
    bot
}

#[tokio::test]
async fn a_step_starts_an_approval_in_the_approvers_dm() {
    let bot = request_and_approval();
    let mut alice = bot.dm("U_ALICE");
    alice.send("a new laptop").await;
    alice.expect_reply("I asked U_BOSS for you.");
    let mut boss = bot.dm("U_BOSS");
    for _ in 0..100 {
        if bot
            .flows()
            .await
            .iter()
            .any(|f| f.flow == "approval" && f.state == FlowState::WaitingForResponse)
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    boss.expect_reply("U_ALICE asks for a new laptop. Approve?");
    boss.send("yes").await;
    boss.expect_reply("a new laptop for U_ALICE: yes");
}

#[tokio::test(start_paused = true)]
async fn an_approval_started_while_slack_is_down_is_asked_when_slack_is_back() {
    let bot = request_and_approval();
    let (mut alice, mut boss) = (bot.dm("U_ALICE"), bot.dm("U_BOSS"));
    alice.send("a new laptop").await;
    alice.expect_reply("I asked U_BOSS for you.");
    // Slack goes down before the approval's first step posts its question.
    bot.slack().go_down(SlackOutage::Unavailable);
    let approval = || async {
        let flows = bot.flows().await.into_iter();
        flows
            .filter(|f| f.flow == "approval")
            .map(|f| f.state)
            .collect::<Vec<_>>()
    };
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(approval().await, [FlowState::Initiated], "put off, not failed");

    bot.slack().come_back();
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    assert_eq!(bot.orchestrator().recover().await.unwrap(), 1);
    assert_eq!(approval().await, [FlowState::WaitingForResponse]);
    boss.expect_reply("U_ALICE asks for a new laptop. Approve?");
    boss.expect_no_reply();
}

/// The process whose step asked for the approval dies before the approval's first step
/// could run (here its Slack is down, for good: it does nothing more): the start was stored with
/// the step's result, so another process on the same store (a replica, or the bot
/// restarted) takes it over once its lease ends, and the approver is asked once.
#[tokio::test(start_paused = true)]
async fn an_approval_whose_process_died_before_asking_is_asked_by_another() {
    let store: std::sync::Arc<dyn slack_orchestrator::Store> =
        std::sync::Arc::new(slack_orchestrator::MemoryStore::new());
    let replica = || request_and_approval_on(store.clone());
    let dying = replica();
    let mut alice = dying.dm("U_ALICE");
    alice.send("a new laptop").await;
    alice.expect_reply("I asked U_BOSS for you.");
    dying.slack().go_down(SlackOutage::Unavailable);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let approval = || async {
        let flows = store.list(false, 10).await.unwrap().into_iter();
        flows
            .filter(|f| f.flow == "approval")
            .map(|f| f.state)
            .collect::<Vec<_>>()
    };
    assert_eq!(approval().await, [FlowState::Initiated]);

    let other = replica();
    let mut boss = other.dm("U_BOSS");
    assert_eq!(
        other.orchestrator().recover().await.unwrap(),
        0,
        "not while its lease runs"
    );
    tokio::time::advance(std::time::Duration::from_secs(11)).await;
    assert_eq!(other.orchestrator().recover().await.unwrap(), 1);
    assert_eq!(approval().await, [FlowState::WaitingForResponse]);
    boss.expect_reply("U_ALICE asks for a new laptop. Approve?");
    boss.expect_no_reply();
    boss.send("yes").await;
    boss.expect_reply("a new laptop for U_ALICE: yes");
}
