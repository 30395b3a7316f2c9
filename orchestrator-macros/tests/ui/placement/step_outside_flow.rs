use slack_orchestrator::prelude::*;

#[step(Welcome)]
async fn welcome(_cx: &mut Cx) -> Next<()> {
    complete("hi")
}

fn main() {}
