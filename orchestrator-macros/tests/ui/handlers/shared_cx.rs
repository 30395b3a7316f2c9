// `cx: &Cx`: the context is taken mutably (steps post, and record what they did).
use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        AskName,
    }

    #[step(AskName)]
    async fn ask_name(cx: &Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}, from {}", cx.user_id()))
    }
}

fn main() {}
