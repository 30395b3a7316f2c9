use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    use slack_orchestrator::prelude::*;

    pub enum Onboarding {
        #[start]
        AskAge,
    }

    #[step(AskAge)]
    async fn ask_age(_cx: &mut Cx, age: u32) -> Next<Onboarding> {
        complete(format!("you are {age}"))
    }
}

fn main() {}
