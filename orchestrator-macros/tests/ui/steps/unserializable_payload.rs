use slack_orchestrator::prelude::*;

pub struct Connection;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;
    use super::Connection;

    pub enum Onboarding {
        #[start]
        Welcome,
        Busy { connection: Connection },
    }

    #[step(Welcome)]
    async fn welcome(_cx: &mut Cx) -> Next<Onboarding> {
        goto(Onboarding::Busy { connection: Connection })
    }

    #[step(Busy)]
    async fn busy(_cx: &mut Cx, _text: Text) -> Next<Onboarding> {
        complete("done")
    }
}

fn main() {}
