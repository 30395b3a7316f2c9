use slack_orchestrator::prelude::*;

#[flow(deadline = forever)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        Welcome,
        #[deadline(whenever)]
        Waiting,
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        goto(Onboarding::Waiting)
    }

    #[step(Waiting)]
    async fn waiting(_cx: &mut Cx, _text: Text) -> Next<Onboarding> {
        complete("hi")
    }
}

fn main() {}
