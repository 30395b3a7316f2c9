//! An accepted event on its way to a flow ([`Work`]), and what accepting an event decided
//! ([`Accepted`]).

use crate::engine::outcome::Outcome;
use orchestrator_core::{ConversationKey, Incoming, Receipt, Received};
use std::sync::Arc;

/// What [`Orchestrator::accept`] decided.
pub(crate) enum Accepted {
    /// Nothing to run (ignored, or a duplicate).
    Done(Outcome),
    /// The event to apply.
    Work(Box<Work>),
}

/// An accepted event on its way to a flow.
pub(crate) struct Work {
    /// Shared with the step context and, with the memory store, the store's copy.
    pub(crate) incoming: Arc<Incoming>,
    /// Where it was said (its context's conversation key), built once per event.
    pub(crate) conversation: ConversationKey,
    /// Its dedup key, settled with the write that applies it.
    pub(crate) key: Option<String>,
    /// Replayed after a restart: an earlier run may have posted before dying.
    pub(crate) replay: bool,
    /// No older event of its conversation was unsettled when it was stored
    /// (`Receipt::NewFirst`): nothing to wait for.
    pub(crate) earliest: bool,
    /// When Slack's event first arrived (or a start from code was asked for): a step's call
    /// that Slack cannot make now puts the run off until `slack_patience` after it.
    pub(crate) arrived: Option<chrono::DateTime<chrono::Utc>>,
}

impl Work {
    pub(crate) fn new(incoming: impl Into<Arc<Incoming>>, key: Option<String>) -> Self {
        let incoming = incoming.into();
        Work {
            conversation: incoming.context.conversation_key(),
            incoming,
            key,
            replay: false,
            earliest: false,
            arrived: None,
        }
    }

    /// An event just stored as received.
    pub(crate) fn received(received: Received) -> Self {
        Work {
            arrived: Some(received.at),
            ..Work::new(received.incoming, Some(received.key))
        }
    }

    /// The work for an event `receive` answered with `receipt`; `None` when there is none:
    /// it is settled, or another worker (maybe another replica) is applying it right now.
    pub(crate) fn on_receipt(received: Received, receipt: Receipt) -> Option<Self> {
        match receipt {
            Receipt::Settled | Receipt::Busy => None,
            Receipt::New => Some(Work::received(received)),
            Receipt::NewFirst => Some(Work {
                earliest: true,
                ..Work::received(received)
            }),
            // Stored after an event of its conversation timed later: it arrived then.
            Receipt::Later(at) => Some(Work::received(Received { at, ..received })),
            // Delivered again after its first worker's lease ended (that worker died or
            // gave up, maybe after posting): a replay, as recovery would run it.
            Receipt::Pending => Some(Work::replay(received)),
        }
    }

    /// A received event whose first worker did not settle it, applied again: an earlier
    /// run may have posted before dying.
    pub(crate) fn replay(received: Received) -> Self {
        Work {
            replay: true,
            ..Work::received(received)
        }
    }
}
