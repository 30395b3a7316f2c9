//! Application state: values registered on the builder (a config, a shared client, a pool)
//! that every step reaches by type with `cx.state::<T>()`, and a clear failure when a step
//! asks for a type nobody registered.

use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Orchestrator};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A config the bot loads at start.
struct Greeting(String);

/// Something shared and stateful, as a database pool or an HTTP client would be.
#[derive(Default)]
struct Tickets {
    opened: AtomicUsize,
}

/// Never registered.
struct Unregistered;

#[slack_orchestrator::flow(trigger = direct_message)]
mod helpdesk {
    use super::{Greeting, Tickets, Unregistered};
    use slack_orchestrator::prelude::*;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;

    pub(crate) enum Helpdesk {
        #[start]
        Hello,
        Problem,
    }

    #[step(Hello)]
    async fn hello(cx: &mut Cx, said: Text) -> Next<Helpdesk> {
        if said.as_str() == "oops" {
            cx.state::<Unregistered>()?;
        }
        let greeting = &cx.state::<Greeting>()?.0;
        let text = format!("{greeting} What is the problem?");
        cx.say(text).await?;
        goto(Helpdesk::Problem)
    }

    #[step(Problem)]
    async fn problem(cx: &mut Cx, _problem: Text) -> Next<Helpdesk> {
        let tickets = cx.state::<Arc<Tickets>>()?;
        let number = tickets.opened.fetch_add(1, Ordering::SeqCst) + 1;
        complete(format!("Ticket #{number} opened."))
    }
}

fn bot(tickets: &Arc<Tickets>) -> TestBot {
    TestBot::new(
        Orchestrator::builder()
            .flow::<helpdesk::Helpdesk>()
            .state(Greeting("Hi, I'm the helpdesk.".into()))
            .state(tickets.clone()),
    )
}

#[tokio::test]
async fn every_step_reaches_the_registered_state_by_type() {
    let tickets = Arc::new(Tickets::default());
    let bot = bot(&tickets);
    for (n, user) in ["U1", "U2"].into_iter().enumerate() {
        let mut chat = bot.dm(user);
        chat.send("hi").await;
        chat.expect_reply("Hi, I'm the helpdesk. What is the problem?");
        chat.send("the printer").await;
        chat.expect_reply(&format!("Ticket #{} opened.", n + 1));
    }
    assert_eq!(
        tickets.opened.load(Ordering::SeqCst),
        2,
        "one shared value, not a copy per step"
    );
}

#[tokio::test]
async fn a_step_asking_for_unregistered_state_fails_with_what_to_do() {
    let bot = bot(&Arc::default());
    let outcome = bot.dm("U1").send("oops").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    let error = bot.flows().await[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("no app state of type `app_state::Unregistered`")
            && error.contains("Orchestrator::builder().state(value)"),
        "{error}"
    );
}
