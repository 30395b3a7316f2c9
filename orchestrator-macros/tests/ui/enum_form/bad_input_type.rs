use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    AskAge,
}

#[step(Onboarding::AskAge)]
async fn ask_age(_cx: &mut Cx, age: u32) -> Next<Onboarding> {
    complete(format!("{age}"))
}

fn main() {}
