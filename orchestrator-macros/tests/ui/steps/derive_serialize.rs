// `#[flow]` derives Serialize and Deserialize for the step enum itself.
use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    #[derive(Debug, serde::Serialize, serde::Deserialize)]
    pub enum Onboarding {
        #[start]
        AskName,
    }

    #[step(AskName)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
