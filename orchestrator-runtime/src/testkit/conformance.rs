//! The [`Store`] contract as an executable check. Every store (memory, SQLite, PostgreSQL,
//! Redis, or your own) runs [`check_store`] in its tests, so they all behave alike.

use chrono::{DateTime, Duration as Span, Utc};
use orchestrator_core::{FlowRecord, FlowState, MessageContext, Store, StoreError};
use std::time::Duration;
use uuid::Uuid;

fn record(channel: &str, now: DateTime<Utc>) -> FlowRecord {
    let mut record = FlowRecord::new(
        "conformance",
        1,
        serde_json::json!({"Step": {"n": 1}}),
        "Step",
        MessageContext::new("T_CONFORMANCE", "U1", channel),
        now,
    );
    record.state = FlowState::WaitingForResponse;
    record.version = 1;
    record
}

/// Checks every rule of the [`Store`] contract against an empty-or-not `store`; panics
/// with the rule that broke. Channels are made unique per run, so a shared database is fine.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// orchestrator_runtime::testkit::check_store(&orchestrator_core::MemoryStore::new()).await;
/// # }
/// ```
pub async fn check_store(store: &dyn Store) {
    let run = Uuid::new_v4().simple().to_string();
    let now = Utc::now();
    let channel = |name: &str| format!("D{name}{run}");

    // Insert, load, index by conversation.
    let mut a = record(&channel("A"), now);
    store.insert(&a).await.expect("insert a new record");
    assert_eq!(
        store.load(a.id).await.unwrap().as_ref(),
        Some(&a),
        "load returns what was inserted"
    );
    assert_eq!(
        store.active_for(&a.key).await.unwrap().map(|r| r.id),
        Some(a.id),
        "active_for finds it"
    );
    assert!(
        matches!(store.insert(&a).await, Err(StoreError::Conflict(_))),
        "a second insert of an id conflicts"
    );

    // One active flow per conversation.
    let twin = record(&channel("A"), now);
    assert!(
        matches!(store.insert(&twin).await, Err(StoreError::Conflict(_))),
        "one active flow per key"
    );

    // Compare-and-swap.
    a.version = 2;
    a.metadata.insert("k".into(), serde_json::json!("v"));
    store.update(&a, 1).await.expect("update at the expected version");
    assert!(
        matches!(store.update(&a, 1).await, Err(StoreError::Conflict(_))),
        "a stale version conflicts"
    );
    let mut skipping = a.clone();
    skipping.version = 5;
    assert!(
        matches!(store.update(&skipping, 2).await, Err(StoreError::Conflict(_))),
        "versions go up by one"
    );
    let ghost = record(&channel("G"), now);
    assert!(
        matches!(store.update(&ghost, 0).await, Err(StoreError::NotFound(_))),
        "updating nothing is NotFound"
    );
    assert_eq!(store.load(a.id).await.unwrap().unwrap().metadata["k"], "v");

    // Deadlines.
    let mut due = record(&channel("B"), now);
    due.deadline = Some(now - Span::seconds(5));
    store.insert(&due).await.unwrap();
    let mut later = record(&channel("C"), now);
    later.deadline = Some(now + Span::seconds(3600));
    store.insert(&later).await.unwrap();
    let found: Vec<Uuid> = store.due(now, 1000).await.unwrap().into_iter().map(|r| r.id).collect();
    assert!(
        found.contains(&due.id) && !found.contains(&later.id),
        "due returns exactly the passed deadlines"
    );
    let next = store.next_deadline().await.unwrap().expect("a deadline exists");
    assert!(next <= due.deadline.unwrap(), "next_deadline is the earliest");

    // Ending a flow frees its conversation and its deadline.
    due.state = FlowState::TimedOut;
    due.deadline = None;
    due.version = 2;
    store.update(&due, 1).await.unwrap();
    assert!(
        store.active_for(&due.key).await.unwrap().is_none(),
        "an ended flow is not active"
    );
    assert!(!store.due(now, 1000).await.unwrap().iter().any(|r| r.id == due.id));
    let fresh = record(&channel("B"), now);
    store
        .insert(&fresh)
        .await
        .expect("an ended flow's conversation takes a new flow");
    let listed = store.list(false, 10_000).await.unwrap();
    assert!(
        listed.iter().any(|r| r.id == due.id),
        "list(false) includes ended flows"
    );
    assert!(
        !store.list(true, 10_000).await.unwrap().iter().any(|r| r.id == due.id),
        "list(true) only active"
    );

    // Delete.
    assert!(store.delete(fresh.id).await.unwrap());
    assert!(!store.delete(fresh.id).await.unwrap(), "deleting twice says so");
    assert!(store.load(fresh.id).await.unwrap().is_none());

    // Seen events.
    let key = format!("event:{run}");
    let ttl = Duration::from_secs(60);
    assert!(store.mark_seen(&key, now, ttl).await.unwrap(), "first sighting");
    assert!(
        !store.mark_seen(&key, now + Span::seconds(30), ttl).await.unwrap(),
        "a repeat within the TTL"
    );
    assert!(
        store.mark_seen(&key, now + Span::seconds(61), ttl).await.unwrap(),
        "seen again after the TTL"
    );

    for id in [a.id, due.id, later.id] {
        store.delete(id).await.unwrap();
    }
}
