use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        AskName,
    }

    #[step(AskName)]
    async fn ask_name(name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
