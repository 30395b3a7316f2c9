//! [`MemoryStore`]: the [`Store`] in a process's memory, for tests and the console chat.

use crate::context::ConversationKey;
use crate::record::FlowRecord;
use crate::store::{Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

/// An in-memory [`Store`]. Everything is lost when the process ends.
///
/// ```
/// use orchestrator_core::{MemoryStore, Store, FlowRecord, MessageContext};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), chrono::Utc::now());
/// record.version = 1;
/// store.insert(&record).await.unwrap();
/// record.version = 2;
/// store.update(&record, 1).await.unwrap();
/// assert!(store.update(&record, 1).await.is_err(), "a stale version is refused");
/// # });
/// ```
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    records: HashMap<Uuid, FlowRecord>,
    active: HashMap<ConversationKey, Uuid>,
    seen: HashMap<String, DateTime<Utc>>,
    seen_sweep_at: usize,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-written (every
        // mutation is a single insert/remove), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn index(&mut self, record: &FlowRecord) {
        if record.is_active() {
            self.active.insert(record.key.clone(), record.id);
        } else if self.active.get(&record.key) == Some(&record.id) {
            self.active.remove(&record.key);
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn insert(&self, record: &FlowRecord) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if record.version != 1 {
            return Err(StoreError::Conflict(format!(
                "a new record has version 1, not {}",
                record.version
            )));
        }
        if inner.records.contains_key(&record.id) {
            return Err(StoreError::Conflict(format!("flow {} already exists", record.id)));
        }
        if record.is_active() && inner.active.contains_key(&record.key) {
            return Err(StoreError::Conflict(format!(
                "another flow is active in {}",
                record.key
            )));
        }
        inner.index(record);
        inner.records.insert(record.id, record.clone());
        Ok(())
    }

    async fn update(&self, record: &FlowRecord, expected_version: u64) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let stored = inner.records.get(&record.id).ok_or(StoreError::NotFound(record.id))?;
        if stored.version != expected_version || record.version != expected_version + 1 {
            return Err(StoreError::Conflict(format!(
                "flow {} is at version {}, expected {expected_version}",
                record.id, stored.version
            )));
        }
        inner.index(record);
        inner.records.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        Ok(self.lock().records.get(&id).cloned())
    }

    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner.active.get(key).and_then(|id| inner.records.get(id)).cloned())
    }

    async fn list(&self, active_only: bool, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let inner = self.lock();
        let mut records: Vec<FlowRecord> = inner
            .records
            .values()
            .filter(|r| !active_only || r.is_active())
            .cloned()
            .collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        records.truncate(limit);
        Ok(records)
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let inner = self.lock();
        let mut due: Vec<FlowRecord> = inner
            .active
            .values()
            .filter_map(|id| inner.records.get(id))
            .filter(|r| r.deadline.is_some_and(|d| d <= now))
            .cloned()
            .collect();
        due.sort_by_key(|r| r.deadline);
        due.truncate(limit);
        Ok(due)
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .active
            .values()
            .filter_map(|id| inner.records.get(id)?.deadline)
            .min())
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(record) = inner.records.remove(&id) else {
            return Ok(false);
        };
        if inner.active.get(&record.key) == Some(&id) {
            inner.active.remove(&record.key);
        }
        Ok(true)
    }

    async fn mark_seen(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        // Sweep expired keys whenever the map doubled since the last sweep: amortized O(1).
        if inner.seen.len() >= 2 * inner.seen_sweep_at.max(1024) {
            inner.seen.retain(|_, at| now.signed_duration_since(*at) < ttl);
            inner.seen_sweep_at = inner.seen.len();
        }
        match inner.seen.get(key) {
            Some(at) if now.signed_duration_since(*at) < ttl => Ok(false),
            _ => {
                inner.seen.insert(key.to_owned(), now);
                Ok(true)
            }
        }
    }
}
