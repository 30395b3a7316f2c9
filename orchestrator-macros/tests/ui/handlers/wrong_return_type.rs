use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Result<(), StepError> {
        Ok(())
    }
}

fn main() {}
