use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        AskName,
    }

    #[step(AskName)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }

    #[step(AskName)]
    async fn ask_name_again(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hello {name}"))
    }
}

fn main() {}
