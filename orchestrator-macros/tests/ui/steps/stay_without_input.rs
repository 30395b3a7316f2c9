// A step whose only handler takes no input and can `stay()`: the flow could never leave it.
use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
        Wait,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx, _hi: Text) -> Next<Onboarding> {
        goto(Onboarding::Wait)
    }

    #[step(Wait)]
    async fn wait(cx: &mut Cx) -> Next<Onboarding> {
        cx.say("Still there?").await?;
        stay()
    }
}

fn main() {}
