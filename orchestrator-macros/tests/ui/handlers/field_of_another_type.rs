// A bound field is taken with the type the step declares (`String`, not `&str`).
use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
        AskHelp { name: String },
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        goto(Onboarding::AskHelp { name: name.to_string() })
    }

    #[step(AskHelp { name })]
    async fn ask_help(_cx: &mut Cx, name: &str, need: Text) -> Next<Onboarding> {
        complete(format!("{name} needs {need}"))
    }
}

fn main() {}
