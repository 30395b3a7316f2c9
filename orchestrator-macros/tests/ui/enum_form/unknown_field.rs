use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
pub enum Onboarding {
    #[start]
    AskName,
    AskHelp { name: String },
}

#[step(Onboarding::AskName)]
async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
    goto(Onboarding::AskHelp { name: name.into() })
}

#[step(Onboarding::AskHelp { nam })]
async fn ask_help(_cx: &mut Cx, nam: String, request: Text) -> Next<Onboarding> {
    complete(format!("{nam} needs {request}"))
}

fn main() {}
