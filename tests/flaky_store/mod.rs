//! A store that fails its next commits in a chosen way, around a real memory store: the
//! faults of a database and of other processes writing the same flows.
#![allow(dead_code, unreachable_pub)] // each test file uses its part; `pub` within the tests

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use slack_orchestrator::{
    ConversationKey, FlowFilter, FlowRecord, MemoryStore, Purged, Receipt, Received, Store, StoreError,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// How [`Flaky`] fails the next commits.
#[derive(Clone, Copy)]
pub enum Failure {
    /// As if the database were briefly unreachable.
    Backend,
    /// As if another process had written the flow first (the store says so, but nothing
    /// was written: the loser's version is still the stored one).
    Conflict,
    /// Another process writes the flow first, for real (the stored record again, one
    /// version up), and the commit loses its compare-and-swap.
    Interloper,
}

/// A store whose next `n` commits fail, around a real one.
pub struct Flaky {
    inner: Arc<MemoryStore>,
    failures: AtomicUsize,
    failure: Failure,
    /// Only the commits that apply an event fail (not the creation of a new flow).
    events_only: bool,
    /// How many of the next events received fail to be stored.
    failing_receives: AtomicUsize,
    /// How long each event takes to reach the store (a slow network to the database).
    receive_delay: std::time::Duration,
}

impl Flaky {
    /// Fails the next `times` commits that apply an event.
    pub fn new(inner: Arc<MemoryStore>, failure: Failure, times: usize) -> Arc<Flaky> {
        Arc::new(Flaky {
            inner,
            failures: AtomicUsize::new(times),
            failure,
            events_only: true,
            failing_receives: AtomicUsize::new(0),
            receive_delay: std::time::Duration::ZERO,
        })
    }

    /// Stores each event received `delay` after it is asked to (after the event was
    /// timed); the rest goes through at once.
    pub fn slow_receives(inner: Arc<MemoryStore>, delay: std::time::Duration) -> Arc<Flaky> {
        Arc::new(Flaky {
            receive_delay: delay,
            ..Arc::into_inner(Flaky::new(inner, Failure::Backend, 0)).expect("not shared yet")
        })
    }

    /// Cannot store the next `times` events received (the database is briefly
    /// unreachable); commits go through.
    pub fn unreachable_for_receives(inner: Arc<MemoryStore>, times: usize) -> Arc<Flaky> {
        Arc::new(Flaky {
            failing_receives: AtomicUsize::new(times),
            ..Arc::into_inner(Flaky::new(inner, Failure::Backend, 0)).expect("not shared yet")
        })
    }

    /// Fails the next `times` commits, whatever they write (a cancel, a timeout).
    pub fn any_write(inner: Arc<MemoryStore>, failure: Failure, times: usize) -> Arc<Flaky> {
        Arc::new(Flaky {
            events_only: false,
            ..Arc::into_inner(Flaky::new(inner, failure, times)).expect("not shared yet")
        })
    }
}

#[async_trait]
impl Store for Flaky {
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
        let fails = (event.is_some() || !self.events_only)
            && self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
        match (fails, self.failure) {
            (true, Failure::Backend) => Err(StoreError::Backend("connection reset".into())),
            (true, Failure::Conflict) => Err(StoreError::Conflict("another process wrote first".into())),
            (true, Failure::Interloper) => {
                let mut theirs = self
                    .inner
                    .load(record.id)
                    .await?
                    .expect("a flow is written before it runs");
                theirs.version = expected + 1;
                self.inner.commit(&theirs, expected, None).await?;
                Err(StoreError::Conflict("another process wrote first".into()))
            }
            (false, _) => self.inner.commit(record, expected, event).await,
        }
    }
    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        self.inner.load(id).await
    }
    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        self.inner.active_for(key).await
    }
    async fn list_where(&self, filter: &FlowFilter, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        self.inner.list_where(filter, limit).await
    }
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        self.inner.delete(id).await
    }
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FlowRecord>, StoreError> {
        self.inner.claim_due(now, until, limit).await
    }
    async fn renew_claim(&self, id: Uuid, held: DateTime<Utc>, lease: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.renew_claim(id, held, lease).await
    }
    async fn claim_deadline(&self, id: Uuid, now: DateTime<Utc>, lease: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.claim_deadline(id, now, lease).await
    }
    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.next_deadline().await
    }
    async fn receive(&self, event: &Received, lease: DateTime<Utc>) -> Result<Receipt, StoreError> {
        let fails = self
            .failing_receives
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !self.receive_delay.is_zero() {
            tokio::time::sleep(self.receive_delay).await;
        }
        match fails {
            true => Err(StoreError::Backend("connection refused".into())),
            false => self.inner.receive(event, lease).await,
        }
    }
    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease: DateTime<Utc>) -> Result<bool, StoreError> {
        self.inner.renew_lease(key, now, lease).await
    }
    async fn settle(&self, key: &str) -> Result<(), StoreError> {
        self.inner.settle(key).await
    }
    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError> {
        self.inner.oldest_unsettled(conversation, unless).await
    }
    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Received>, StoreError> {
        self.inner.claim_pending(now, until, limit).await
    }
    async fn purge(&self, flows: DateTime<Utc>, events: DateTime<Utc>) -> Result<Purged, StoreError> {
        self.inner.purge(flows, events).await
    }
}
