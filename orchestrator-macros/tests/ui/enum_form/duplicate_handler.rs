use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    AskName,
}

#[step(Onboarding::AskName)]
async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
    complete(format!("Hi {name}"))
}

#[step(Onboarding::AskName)]
async fn ask_name_again(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
    complete(format!("Hello {name}"))
}

fn main() {}
