use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        #[timeout("5 minutes")]
        Welcome,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx, _text: Text) -> Next<Onboarding> {
        complete("hi")
    }
}

fn main() {}
