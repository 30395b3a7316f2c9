use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    Welcome,
    AskName,
}

#[step(Onboarding::Welcome)]
async fn welcome(cx: &mut Cx) -> Next<Onboarding> {
    cx.say("What's your name?").await?;
    goto(Onboarding::AskName)
}

fn main() {}
