// A setting given twice is an error, not "the last one wins": on the flow and on a step.
use slack_orchestrator::prelude::*;

#[flow(trigger = mention, timeout = "5m", name = "hello", timeout = "10m", name = "bye")]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        #[timeout("1m")]
        #[timeout("2m")]
        AskName,
    }

    #[step(AskName)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
