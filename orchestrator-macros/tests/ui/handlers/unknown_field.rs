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
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        goto(Onboarding::AskHelp { name: "Alice".into() })
    }

    #[step(AskHelp { nam })]
    async fn ask_help(_cx: &mut Cx, nam: String, request: Text) -> Next<Onboarding> {
        complete(format!("{nam}: {request}"))
    }
}

fn main() {}
