use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        complete("hi")
    }

    #[step(AskNmae)]
    async fn ask_name(_cx: &mut Cx, name: Text) -> Next<Onboarding> {
        complete(format!("hi {name}"))
    }
}

fn main() {}
