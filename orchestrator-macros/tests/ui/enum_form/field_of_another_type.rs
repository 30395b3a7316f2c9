use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    AskName,
    AskAge { name: String },
}

#[step(Onboarding::AskName)]
async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
    goto(Onboarding::AskAge { name: name.into() })
}

#[step(Onboarding::AskAge { name })]
async fn ask_age(_cx: &mut Cx, name: u32, age: Text) -> Next<Onboarding> {
    complete(format!("{name} is {age}"))
}

fn main() {}
