// `reject` answers a modal submission; a handler of typed text cannot use it.
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
        if name.as_str().is_empty() {
            return reject([("name", "Please give a name")]);
        }
        complete(format!("hi {name}"))
    }
}

fn main() {}
