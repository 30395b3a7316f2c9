//! [`Signal`]: an input from outside Slack (a CI job that finished, a ticket that closed, a
//! payment that cleared) sent to one waiting flow by its id, and the event that carries it.

use crate::context::MessageContext;
use crate::incoming::{Incoming, Payload};
use crate::input::FromInput;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// An input from outside Slack, for one flow: a `name` the step can tell signals apart by,
/// `data` (any JSON) and an `id`. A signal sent again with the same `id` (a webhook its
/// sender retried) is applied once. The step that waits for it takes it like any input:
///
/// ```
/// # use slack_orchestrator::prelude::*;
/// #[flow(trigger = command("/deploy"))]
/// mod deploy {
///     use slack_orchestrator::prelude::*;
///     #[derive(Debug)]
///     pub enum Deploy { #[start] Start, Running { version: String } }
///     #[step(Start)]
///     async fn start(cx: &mut Cx, command: Command) -> Next<Deploy> {
///         cx.say(format!("Deploying {}…", command.text)).await?;
///         goto(Deploy::Running { version: command.text.clone() })
///     }
///     #[derive(serde::Deserialize)]
///     struct Finished { ok: bool }
///     #[step(Running { version })]
///     async fn finished(cx: &mut Cx, version: String, signal: Signal) -> Next<Deploy> {
///         if signal.name != "deployed" {
///             return stay(); // another signal: keep waiting for this one
///         }
///         let finished: Finished = signal.data()?;
///         complete_flow(finished.ok, Some(format!("{version}: {}", if finished.ok { "live" } else { "failed" })))
///     }
/// }
/// # fn main() {}
/// ```
///
/// Sent from code with `Orchestrator::signal(flow_id, signal)`; beside a running bot, with
/// the bot's binary: `flows signal FLOW_ID NAME --data JSON`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// What happened, as the sender names it (`deployed`, `ticket_closed`).
    pub name: String,
    /// Its id: the same signal sent again (same flow, same id) is applied once.
    pub id: String,
    /// What the sender says about it.
    pub data: serde_json::Value,
}

impl Signal {
    /// A signal named `name` carrying `data`, with a new random id.
    ///
    /// ```
    /// use orchestrator_core::Signal;
    /// let signal = Signal::new("deployed", serde_json::json!({"ok": true}));
    /// assert_eq!(signal.name, "deployed");
    /// assert_ne!(signal.id, Signal::new("deployed", serde_json::Value::Null).id, "each its own");
    /// ```
    pub fn new(name: impl Into<String>, data: serde_json::Value) -> Signal {
        Signal {
            name: name.into(),
            id: Uuid::new_v4().to_string(),
            data,
        }
    }

    /// The same signal under the sender's own id (a webhook's delivery id, a job's run id),
    /// so that sending it twice applies it once.
    ///
    /// ```
    /// use orchestrator_core::Signal;
    /// let signal = Signal::new("deployed", serde_json::Value::Null).with_id("run-42");
    /// assert_eq!(signal.id, "run-42");
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Signal {
        self.id = id.into();
        self
    }

    /// The data, read as a `T`; an error (which `?` in a step turns into the flow's
    /// failure) when it is not one.
    ///
    /// ```
    /// use orchestrator_core::Signal;
    /// #[derive(serde::Deserialize)]
    /// struct Finished { ok: bool }
    /// let signal = Signal::new("deployed", serde_json::json!({"ok": true}));
    /// assert!(signal.data::<Finished>().unwrap().ok);
    /// assert!(Signal::new("deployed", serde_json::json!("yes")).data::<Finished>().is_err());
    /// ```
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

impl FromInput for Signal {
    const NAME: &'static str = "Signal";
    fn from_input(incoming: &Incoming) -> Option<Self> {
        match &incoming.payload {
            Payload::Signal(signal) => Some(signal.clone()),
            _ => None,
        }
    }
}

impl Incoming {
    /// The event that brings `signal` to flow `flow_id`, in the flow's conversation
    /// `context`. Its key ([`Incoming::dedup_key`]) is the flow and the signal's id.
    ///
    /// ```
    /// use orchestrator_core::{FromInput, Incoming, MessageContext, Signal};
    /// let flow = uuid::Uuid::nil();
    /// let signal = Signal::new("deployed", serde_json::json!({"ok": true})).with_id("run-42");
    /// let event = Incoming::signal(MessageContext::new("T1", "U1", "D1"), flow, signal.clone());
    /// assert_eq!(Signal::from_input(&event), Some(signal));
    /// assert_eq!(event.dedup_key().unwrap(), format!("signal:{flow}:run-42"));
    /// assert!(!event.is_user_input(), "not a user's: an `Incoming` handler does not take it");
    /// ```
    pub fn signal(context: MessageContext, flow_id: Uuid, signal: Signal) -> Incoming {
        Incoming {
            flow_id: Some(flow_id),
            ..Incoming::bare(context, BTreeSet::new(), Payload::Signal(signal))
        }
    }
}
