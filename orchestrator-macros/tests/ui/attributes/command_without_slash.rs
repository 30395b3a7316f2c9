use slack_orchestrator::prelude::*;

#[flow(trigger = command("approve"))]
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
}

fn main() {}
