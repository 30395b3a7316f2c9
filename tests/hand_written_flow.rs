//! A flow written without the macros, against the public `Flow` trait: what `#[flow]`
//! generates is nothing a bot author could not write by hand.

use serde::{Deserialize, Serialize};
use slack_orchestrator::graph::Target;
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{
    complete, goto, Cx, Flow, FlowOptions, FromInput, Graph, Incoming, Orchestrator, StepFuture, Text, Trigger,
};

#[derive(Serialize, Deserialize)]
enum Greeting {
    Hello,
    Name,
}

impl Flow for Greeting {
    fn options() -> FlowOptions {
        FlowOptions::new("greeting").trigger(Trigger::keyword("hello"))
    }

    fn start() -> Self {
        Greeting::Hello
    }

    fn step_name(&self) -> &'static str {
        match self {
            Greeting::Hello => "Hello",
            Greeting::Name => "Name",
        }
    }

    fn on_enter(self, cx: &mut Cx) -> Option<StepFuture<'_, Self>> {
        match self {
            Greeting::Hello => Some(Box::pin(async move {
                cx.say("Hello! Who are you?").await?;
                goto(Greeting::Name)
            })),
            Greeting::Name => None,
        }
    }

    fn on_input<'a>(self, _cx: &'a mut Cx, input: &Incoming) -> Option<StepFuture<'a, Self>> {
        match self {
            Greeting::Name => {
                let name = Text::from_input(input)?;
                Some(Box::pin(async move { complete(format!("Welcome, {name}.")) }))
            }
            Greeting::Hello => None,
        }
    }

    fn graph() -> Graph {
        Graph::new("greeting", "Hello")
            .node("Hello", false)
            .node("Name", false)
            .edge("Hello", Target::Step("Name".into()), None)
            .edge("Name", Target::Complete, Some("Text"))
    }
}

#[tokio::test]
async fn a_hand_written_flow_runs_like_a_generated_one() {
    let bot = TestBot::new(Orchestrator::builder().flow::<Greeting>());
    let mut chat = bot.channel("U1", "C1");
    chat.send("well hello there").await;
    chat.expect_reply("Hello! Who are you?");
    chat.send("Ada").await;
    chat.expect_reply("Welcome, Ada.");
    assert!(Greeting::graph().to_mermaid().contains("Name --> [*]: Text / complete"));
}
