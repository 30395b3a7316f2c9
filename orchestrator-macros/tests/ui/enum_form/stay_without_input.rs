use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    Welcome,
    Wait,
}

#[step(Onboarding::Welcome)]
async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
    goto(Onboarding::Wait)
}

#[step(Onboarding::Wait)]
async fn wait(_cx: &mut Cx) -> Next<Onboarding> {
    stay()
}

fn main() {}
