//! The brief's form: `#[flow]` on the step enum, `#[step]` on free functions in other
//! files; and `crate = "..."` for a crate that reaches the facade under another path.

#[path = "flow_across_files/ask.rs"]
mod ask;
#[path = "flow_across_files/finish.rs"]
mod finish;
#[path = "flow_across_files/steps.rs"]
mod steps;

use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{Flow, FlowState, Orchestrator, Outcome};
use steps::Signup;

/// The facade as a bot kit might re-export it.
pub mod kit {
    pub use slack_orchestrator as orchestrator;
}

/// A flow whose generated code names the facade only through `crate::kit::orchestrator`.
#[slack_orchestrator::flow(trigger = keyword("ping"), crate = "crate::kit::orchestrator")]
pub enum Ping {
    /// Answers.
    #[start]
    Pong,
}

#[slack_orchestrator::step(Ping::Pong, crate = "crate::kit::orchestrator")]
async fn pong(cx: &mut kit::orchestrator::Cx) -> kit::orchestrator::Next<Ping> {
    cx.say("pong").await?;
    kit::orchestrator::complete("done")
}

#[tokio::test]
async fn a_flow_declared_on_its_enum_runs_with_handlers_from_other_files() {
    let bot = TestBot::new(Orchestrator::builder().flow::<Signup>());
    let mut alice = bot.dm("U_ALICE");
    alice.send("sign me up").await;
    alice.expect_reply("Your name?");
    alice.send("   ").await;
    alice.send("Alice").await;
    alice.expect_reply("Alice, which team? (click or type)");
    let outcome = alice.send("platform").await;
    alice.expect_reply("Welcome to platform, Alice!");
    let Outcome::Advanced { state, step, .. } = outcome else {
        panic!("unexpected {outcome:?}")
    };
    assert_eq!((state, step.as_str()), (FlowState::Completed, "Done"));
    assert_eq!(Signup::options().name, "signup", "named after the enum, in snake case");
}

#[tokio::test]
async fn the_most_specific_handler_of_a_step_takes_the_input() {
    let bot = TestBot::new(Orchestrator::builder().flow::<Signup>());
    let mut bob = bot.dm("U_BOB");
    bob.send("hi").await;
    bob.expect_reply("Your name?");
    bob.send("Bob").await;
    bob.expect_reply("Bob, which team? (click or type)");
    bob.click("team").await;
    bob.expect_reply("Welcome to design, Bob! (clicked)");
}

#[test]
fn the_graph_comes_from_the_handlers_in_every_file() {
    assert_eq!(
        Signup::graph().to_mermaid(),
        "stateDiagram-v2\n    [*] --> Welcome\n    Welcome --> AskName\n    AskName --> AskName: Text / stay\n    \
         AskName --> AskTeam: Text\n    AskName --> [*]: timed out\n    AskTeam --> Done: Click\n    \
         AskTeam --> Done: Text\n    AskTeam --> [*]: timed out\n    Done --> [*]\n"
    );
}

#[tokio::test]
async fn a_flow_can_name_the_facade_by_another_path() {
    let bot = TestBot::new(Orchestrator::builder().flow::<Ping>());
    let mut carol = bot.dm("U_CAROL");
    carol.send("ping").await;
    carol.expect_reply("pong");
}
