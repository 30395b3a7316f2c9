use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    AskName,
    #[terminal]
    Done,
}

#[step(Onboarding::AskName)]
async fn ask_name(_cx: &mut Cx, _name: Text) -> Next<Onboarding> {
    goto(Onboarding::Done)
}

#[step(Onboarding::Done)]
async fn done(cx: &mut Cx) -> Next<Onboarding> {
    cx.say("Bye").await?;
    complete("done")
}

fn main() {}
