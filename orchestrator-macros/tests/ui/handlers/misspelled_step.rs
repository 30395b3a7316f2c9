// A misspelled step: one error, with the step meant, and no "has no handler" for it.
use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
        AskName,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        goto(Onboarding::AskName)
    }

    #[step(AskNmae)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
