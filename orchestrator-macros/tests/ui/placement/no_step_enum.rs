use slack_orchestrator::prelude::*;

#[flow(trigger = mention)]
mod onboarding {
    pub struct Onboarding;
}

fn main() {}
