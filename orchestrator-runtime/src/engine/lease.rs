//! Keeping what a worker works on: the event it applies, or the deadline it fires. The
//! worker renews its lease every third of it, so that a step slower than the lease (a slow
//! Slack, a 429 to wait out, a long wait for an earlier event of the conversation) is not
//! taken over by another worker or replica, which would run it a second time. A worker
//! that dies stops renewing, and what it held is taken over once the lease ends, as before.

use crate::engine::clock::{later, Clock};
use chrono::{DateTime, Utc};
use orchestrator_core::{Store, StoreError};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use uuid::Uuid;

/// What a worker holds under a lease.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Held<'a> {
    /// A received event, by its key ([`Store::renew_lease`]).
    Event(&'a str),
    /// A claimed deadline, leased until `until` ([`Store::renew_claim`]).
    Claim { id: Uuid, until: DateTime<Utc> },
}

impl Held<'_> {
    /// Renews the lease to `lease` from `now`; `false` once it is no longer this worker's.
    async fn renew(&mut self, store: &dyn Store, now: DateTime<Utc>, lease: Duration) -> Result<bool, StoreError> {
        let until = later(now, lease);
        match self {
            Held::Event(key) => store.renew_lease(key, now, until).await,
            Held::Claim { id, until: held } => {
                let renewed = store.renew_claim(*id, *held, until).await?;
                if renewed {
                    *held = until;
                }
                Ok(renewed)
            }
        }
    }
}

/// Runs `work` while renewing the lease (`lease` long) on `held` in `store`; returns what
/// `work` returns. The renewals run beside the work, never in its way: a slow store delays
/// only the next renewal.
///
/// `work` comes pinned where the caller keeps it: an async function's future taken by
/// value is kept twice in the caller's state (as the argument, and where it is awaited),
/// which for an event's run is several kilobytes copied and touched per event.
pub(crate) async fn holding<T>(
    store: &dyn Store,
    clock: &Clock,
    mut held: Held<'_>,
    lease: Duration,
    work: Pin<&mut impl Future<Output = T>>,
) -> T {
    let renewing = async {
        let every = lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match held.renew(store, clock.now(), lease).await {
                Ok(true) => {}
                Ok(false) => {
                    // Written meanwhile (the work's own write), or held too long without a
                    // renewal: another worker may have it now; its write or this one will
                    // lose the compare-and-swap.
                    tracing::debug!(?held, "the lease is no longer this worker's");
                    break;
                }
                Err(error) => tracing::warn!(?held, %error, "cannot renew a lease; trying again"),
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        biased;
        done = work => done,
        () = renewing => unreachable!("renewing never ends"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator_core::{FlowRecord, Incoming, MemoryStore, MessageContext, Received};

    #[tokio::test(start_paused = true)]
    async fn a_worker_keeps_its_event_while_it_works_and_lets_go_when_done() {
        let (store, clock) = (MemoryStore::new(), Clock::new());
        let body = serde_json::json!({"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
            "event": {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "text": "hi", "ts": "1.1"}});
        let event = Received::new(Incoming::from_json(&body).unwrap().unwrap(), clock.now()).unwrap();
        let lease = Duration::from_secs(3);
        store.receive(&event, later(clock.now(), lease)).await.unwrap();

        let claimable = || async { store.claim_pending(clock.now(), clock.now(), 10).await.unwrap().len() };
        let work = async {
            tokio::time::sleep(Duration::from_secs(10)).await; // more than three leases
            claimable().await
        };
        assert_eq!(
            holding(&store, &clock, Held::Event(&event.key), lease, std::pin::pin!(work)).await,
            0,
            "kept while working"
        );
        tokio::time::sleep(lease).await;
        assert_eq!(
            claimable().await,
            1,
            "once done, the lease ends and the event can be taken over"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_keeps_the_deadline_it_fires_while_it_works() {
        let (store, clock) = (MemoryStore::new(), Clock::new());
        let now = clock.now();
        let context = MessageContext::new("T1", "U1", "D1");
        let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", context, now);
        (record.version, record.deadline) = (1, Some(now));
        store.commit(&record, 0, None).await.unwrap();
        let lease = Duration::from_secs(3);
        let until = later(now, lease);
        assert_eq!(store.claim_due(now, until, 10).await.unwrap().len(), 1);

        let claimable = || async { store.claim_due(clock.now(), clock.now(), 10).await.unwrap().len() };
        let work = async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            claimable().await
        };
        let held = Held::Claim { id: record.id, until };
        assert_eq!(
            holding(&store, &clock, held, lease, std::pin::pin!(work)).await,
            0,
            "kept while firing"
        );
        tokio::time::sleep(lease).await;
        assert_eq!(
            claimable().await,
            1,
            "once done, the claim ends and the deadline can fire again"
        );
    }
}
