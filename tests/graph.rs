//! The transition graph is read from what the handlers really return: the prelude's
//! transitions (not another function that happens to share a name), `reject` for what it
//! is, the module's helper functions, and the deadline of each waiting step.

use slack_orchestrator::Flow;

#[slack_orchestrator::flow(trigger = command("/order"), timeout = "10m")]
mod order {
    use slack_orchestrator::prelude::*;

    /// A function that is not a transition, whatever its name.
    mod audit {
        pub(crate) fn fail(_what: &str) {}
    }

    pub(crate) enum Order {
        #[start]
        Open,
        Form,
        #[timeout("1h")]
        Confirm,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Order> {
        let what = blocks::text_input("what", "what", "What?");
        cx.open_modal(blocks::modal("order", "Order", "Send", vec![what]))
            .await?;
        goto(Order::Form)
    }

    #[step(Form)]
    async fn form(_cx: &mut Cx, form: Submission) -> Next<Order> {
        audit::fail("nothing failed");
        match form.value("what") {
            Some(what) if !what.is_empty() => goto(Order::Confirm),
            _ => reject([("what", "Say what.")]),
        }
    }

    #[step(Confirm)]
    async fn confirm(_cx: &mut Cx, said: Text) -> Next<Order> {
        decide(said.as_str())
    }

    #[step(Confirm)]
    async fn remind(_cx: &mut Cx, _deadline: Timeout) -> Next<Order> {
        Ok(slack_orchestrator::Transition::Stay)
    }

    fn decide(said: &str) -> Next<Order> {
        if said == "yes" {
            complete("Ordered.")
        } else {
            reask()
        }
    }
}

#[test]
fn the_graph_shows_what_the_handlers_return() {
    let graph = <order::Order as Flow>::graph().to_mermaid();
    assert_eq!(
        graph,
        "stateDiagram-v2\n    [*] --> Open\n    Open --> Form: Command\n    Form --> Confirm: Submission\n    \
         Form --> Form: Submission / reject\n    Form --> [*]: timed out\n    Confirm --> [*]: Text / complete\n    \
         Confirm --> Confirm: Text / stay\n    Confirm --> Confirm: Timeout / stay\n"
    );
}
