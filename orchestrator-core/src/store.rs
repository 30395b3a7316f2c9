//! The [`Store`] trait: where flow records live. Writes are compare-and-swap on
//! [`FlowRecord::version`], so two workers (or two replicas) can never both apply a step;
//! due deadlines are queried so that the timer engine finds timeouts after a restart.
//! [`MemoryStore`](crate::MemoryStore) implements it for tests; the runtime adds durable ones.

use crate::context::ConversationKey;
use crate::record::FlowRecord;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Somebody else wrote first: the version did not match, the id exists, or another
    /// flow is already active in the conversation. Reload and decide again.
    #[error("conflict: {0}")]
    Conflict(String),
    /// No record with this id.
    #[error("flow {0} not found")]
    NotFound(Uuid),
    /// The backend failed (connection, I/O, corrupt row).
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// Persistence of flow records and of seen event ids.
///
/// Contract, checked by the store conformance tests:
/// - [`insert`](Store::insert) stores a record at `version` 1 and fails with
///   [`StoreError::Conflict`] if the id exists or another active flow has the same key;
/// - [`update`](Store::update) replaces the record only if the stored version is
///   `expected_version`, and the new record's version must be `expected_version + 1`;
/// - [`mark_seen`](Store::mark_seen) returns `true` exactly once per key within the TTL.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new record (its `version` must be 1).
    async fn insert(&self, record: &FlowRecord) -> Result<(), StoreError>;
    /// Replaces a record if nobody wrote since `expected_version`.
    async fn update(&self, record: &FlowRecord, expected_version: u64) -> Result<(), StoreError>;
    /// Loads a record by id.
    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError>;
    /// Loads the active flow of a conversation, if there is one.
    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError>;
    /// Lists records, newest first; only active ones when `active_only`.
    async fn list(&self, active_only: bool, limit: usize) -> Result<Vec<FlowRecord>, StoreError>;
    /// Active records whose deadline is at or before `now`, earliest first.
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<FlowRecord>, StoreError>;
    /// The earliest deadline among active records.
    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Deletes a record; `false` if there was none.
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError>;
    /// Records that an event was seen; `true` the first time within `ttl`.
    async fn mark_seen(&self, key: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, StoreError>;
}
