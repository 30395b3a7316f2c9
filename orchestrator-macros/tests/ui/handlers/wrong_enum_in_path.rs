use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
    }

    #[step(Approval::Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        complete("hi")
    }
}

fn main() {}
