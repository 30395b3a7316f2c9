//! Who may answer a flow, made explicit: the starter (default), anyone
//! (`participants = anyone`), users a step adds (`add_participant`, which no longer locks
//! everyone else out of a flow open to anyone), and a hand-over to named users only
//! (`hand_over`: a step for an approver that the requester cannot answer).

use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator, Outcome};

#[slack_orchestrator::flow(trigger = keyword("poll"), participants = anyone)]
mod poll {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Poll {
        #[start]
        Open,
        Votes,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx) -> Next<Poll> {
        cx.add_participant("U_GUEST");
        cx.say("Vote: yes or no?").await?;
        goto(Poll::Votes)
    }

    #[step(Votes)]
    async fn vote(cx: &mut Cx, said: Text) -> Next<Poll> {
        complete(format!("{} voted {}", cx.user_id(), said.as_str()))
    }
}

#[slack_orchestrator::flow(trigger = keyword("expense"))]
mod expense {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Expense {
        #[start]
        Ask,
        Approve,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Expense> {
        cx.hand_over(["U_BOSS"]);
        cx.say("U_BOSS, approve?").await?;
        goto(Expense::Approve)
    }

    #[step(Approve)]
    async fn approve(cx: &mut Cx, said: Text) -> Next<Expense> {
        complete(format!("{} said {}", cx.user_id(), said.as_str()))
    }
}

#[tokio::test]
async fn adding_a_participant_to_a_flow_open_to_anyone_keeps_it_open() {
    let bot = TestBot::new(Orchestrator::builder().flow::<poll::Poll>());
    // A mention starts the poll in a thread, where everyone can answer.
    let mut ana = bot.mention("U_ANA", "C_TEAM", "poll").await;
    ana.expect_reply("Vote: yes or no?");
    let mut ben = ana.as_user("U_BEN");
    let vote = ben.send("yes").await;
    assert_eq!(vote.state(), Some(FlowState::Completed), "{vote:?}");
    ben.expect_reply("U_BEN voted yes");
}

#[tokio::test]
async fn after_a_hand_over_only_the_named_user_may_answer() {
    let bot = TestBot::new(Orchestrator::builder().flow::<expense::Expense>());
    let mut alice = bot.channel("U_ALICE", "C_TEAM");
    alice.send("expense").await;
    alice.expect_reply("U_BOSS, approve?");
    // Alice's own "yes" (in her conversation) is not hers to give.
    let self_approval = alice.send("yes").await;
    assert!(
        matches!(self_approval, Outcome::NotParticipant { .. }),
        "{self_approval:?}"
    );
    let flow = bot.flows().await.remove(0);
    assert_eq!(flow.state, FlowState::WaitingForResponse);
    assert_eq!(flow.participants, ["U_BOSS"]);
}
