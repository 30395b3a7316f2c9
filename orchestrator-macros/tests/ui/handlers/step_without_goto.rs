// Returning a step instead of `goto(step)`.
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
    async fn welcome(cx: &mut Cx) -> Next<Onboarding> {
        cx.say("What is your name?").await?;
        Onboarding::AskName
    }

    #[step(AskName)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
