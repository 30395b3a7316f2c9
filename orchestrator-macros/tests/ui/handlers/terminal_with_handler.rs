use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
        #[terminal]
        Done,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        goto(Onboarding::Done)
    }

    #[step(Done)]
    async fn done(_cx: &mut Cx) -> Next<Onboarding> {
        complete("bye")
    }
}

fn main() {}
