//! [`MemoryStore`]: the [`Store`] in a process's memory, for tests and the console chat.

use crate::context::ConversationKey;
use crate::incoming::Incoming;
use crate::record::FlowRecord;
use crate::store::{FlowFilter, Purged, Receipt, Received, Store, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
// hashbrown's maps and its default hasher (foldhash), not std's SipHash: every event
// hashes its key, its conversation and its flow id several times under the store's lock,
// and SipHash was the largest part of that. SipHash resists keys chosen to collide; these
// are ids Slack or the engine assign (events, channels, users, threads, flows), so nobody
// can choose them.
use hashbrown::hash_map::EntryRef;
use hashbrown::{DefaultHashBuilder as RandomState, HashMap, HashTable};
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// An in-memory [`Store`]. Everything is lost when the process ends.
///
/// Deadlines and finished flows are kept in ordered indexes, so claiming due timeouts and
/// purging cost what they find, not what is stored. Records are shared (`Arc`), so a read
/// or a write holds the lock for a pointer's copy: the record is copied outside it.
///
/// ```
/// use orchestrator_core::{MemoryStore, Store, FlowRecord, MessageContext};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), chrono::Utc::now());
/// record.version = 1;
/// store.commit(&record, 0, None).await.unwrap();
/// record.version = 2;
/// store.commit(&record, 1, Some("event:Ev1")).await.unwrap();
/// assert!(store.commit(&record, 1, None).await.is_err(), "a stale version is refused");
/// # });
/// ```
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Behind pointers: the table's doubling at a million flows moves 8 bytes a flow, not
    /// the size of a record, and a record is copied in and out without the lock.
    records: HashMap<Uuid, Arc<FlowRecord>>,
    /// The active flow of each conversation, with the hash of the conversation key: the
    /// key itself is read from the flow's record instead of being kept a second time (at a
    /// million flows, 50 MiB less). The hash is kept, so growing the table reads no record.
    active: HashTable<(u64, Uuid)>,
    /// Hashes the conversation keys of `active`.
    hasher: RandomState,
    /// (deadline or lease end, flow) of active flows, earliest first.
    deadlines: BTreeSet<(DateTime<Utc>, Uuid)>,
    /// The lease ends of the flows claimed for firing: their entry in `deadlines`. Any
    /// other active flow's entry is its record's deadline, so a waiting flow costs no
    /// entry here (at a million flows, a table of deadlines beside the records was 60 MiB).
    leased: HashMap<Uuid, DateTime<Utc>>,
    /// (ended at, flow) of finished flows, oldest first.
    finished: BTreeSet<(DateTime<Utc>, Uuid)>,
    /// Received events: `Some` while pending, `None` once settled (boxed, so a settled
    /// event costs a pointer, not the size of an event). Keys are shared by the indexes
    /// below (one allocation per event, not one per index).
    events: HashMap<EventKey, (DateTime<Utc>, Option<Box<Unsettled>>)>,
    /// (received at, key), oldest first.
    event_order: BTreeSet<(DateTime<Utc>, EventKey)>,
    /// (received at, key) of the events not settled yet, oldest first.
    unsettled: BTreeSet<(DateTime<Utc>, EventKey)>,
    /// The same, per conversation: usually one event, so a short list rather than a tree
    /// (a B-tree's first node is a few hundred bytes). Oldest first: a new event is stored
    /// after the others (`receive`), and settling one keeps the rest in order.
    unsettled_in: HashMap<ConversationKey, Vec<(DateTime<Utc>, EventKey)>>,
}

/// An event's dedup key, shared by the store's indexes.
type EventKey = Arc<str>;

/// A received event waiting to be applied, and until when its worker holds it.
struct Unsettled {
    incoming: Arc<Incoming>,
    conversation: ConversationKey,
    lease_until: DateTime<Utc>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// use orchestrator_core::{MemoryStore, Store};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let store = MemoryStore::new();
    /// assert!(store.list(false, 10).await.unwrap().is_empty());
    /// assert_eq!(store.next_deadline().await.unwrap(), None);
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every mutation below checks first and then writes, without a panic in between, so
        // a poisoned lock still guards consistent maps.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    /// Moves flow `id`'s entry in `deadlines` from `old` to `due`.
    fn move_due(&mut self, id: Uuid, old: Option<DateTime<Utc>>, due: Option<DateTime<Utc>>) {
        if old == due {
            return;
        }
        if let Some(old) = old {
            self.deadlines.remove(&(old, id));
        }
        if let Some(due) = due {
            self.deadlines.insert((due, id));
        }
    }

    /// The entry in `deadlines` of `record`, the stored version of its flow: the lease end
    /// if it is claimed, otherwise its deadline while active.
    fn due_of(&self, record: &FlowRecord) -> Option<DateTime<Utc>> {
        let leased = self.leased.get(&record.id).copied();
        leased.or(record.deadline.filter(|_| record.is_active()))
    }

    /// Takes the entry in `deadlines` of `record` ([`Inner::due_of`]) and forgets its lease.
    fn take_due(&mut self, record: &FlowRecord) -> Option<DateTime<Utc>> {
        let due = self.due_of(record);
        self.leased.remove(&record.id);
        due
    }

    /// Leases flow `id`'s deadline, whose entry in `deadlines` is `due`, until `until`.
    fn lease(&mut self, id: Uuid, due: DateTime<Utc>, until: DateTime<Utc>) {
        self.move_due(id, Some(due), Some(until));
        self.leased.insert(id, until);
    }

    /// The active flow of conversation `key`.
    fn active_in(&self, key: &ConversationKey) -> Option<Uuid> {
        let hash = self.hasher.hash_one(key);
        let records = &self.records;
        let in_key = |(h, id): &(u64, Uuid)| *h == hash && records.get(id).is_some_and(|r| r.key == *key);
        self.active.find(hash, in_key).map(|(_, id)| *id)
    }

    /// Makes `record` the active flow of its conversation.
    fn set_active(&mut self, record: &FlowRecord) {
        let hash = self.hasher.hash_one(&record.key);
        self.active.insert_unique(hash, (hash, record.id), |(h, _)| *h);
    }

    fn unindex(&mut self, record: &FlowRecord) {
        let hash = self.hasher.hash_one(&record.key);
        if let Ok(entry) = self.active.find_entry(hash, |(_, id)| *id == record.id) {
            entry.remove();
        }
        self.finished.remove(&(record.updated_at, record.id));
        let due = self.take_due(record);
        self.move_due(record.id, due, None);
    }

    /// Indexes `record`, which replaces `previous` (the same flow's earlier version) if
    /// there was one. A flow that stays active in its conversation keeps its entry there;
    /// otherwise the conversation has no active flow now (the caller checked), so the
    /// record's entry is added without looking.
    fn reindex(&mut self, previous: Option<&FlowRecord>, record: &FlowRecord) {
        let stays = previous.is_some_and(|p| p.is_active() && record.is_active() && p.key == record.key);
        let due = match previous {
            Some(previous) if stays => self.take_due(previous),
            Some(previous) => {
                self.unindex(previous);
                None
            }
            None => None,
        };
        if record.is_active() {
            if !stays {
                self.set_active(record);
            }
            self.move_due(record.id, due, record.deadline);
        } else {
            self.finished.insert((record.updated_at, record.id));
        }
    }

    fn settle(&mut self, key: &str, now: DateTime<Utc>) {
        match self.events.get_mut(key) {
            Some((_, unsettled)) => {
                let Some(event) = unsettled.take() else { return };
                let Some(list) = self.unsettled_in.get_mut(&event.conversation) else {
                    return;
                };
                if let Some(i) = list.iter().position(|(_, k)| &**k == key) {
                    let entry = list.remove(i);
                    self.unsettled.remove(&entry);
                }
                if list.is_empty() {
                    self.unsettled_in.remove(&event.conversation);
                }
            }
            None => {
                let key = EventKey::from(key);
                self.events.insert(key.clone(), (now, None));
                self.event_order.insert((now, key));
            }
        }
    }

    /// Refuses a write whose version is not the next one, or whose stored record is not at
    /// `expected` (missing, or already there for an insert).
    fn check(&self, record: &FlowRecord, expected: u64) -> Result<(), StoreError> {
        if record.version != expected + 1 {
            return Err(StoreError::Conflict(format!(
                "a write at version {expected} makes version {}, not {}",
                expected + 1,
                record.version
            )));
        }
        let stored = self.records.get(&record.id).map(|r| &**r);
        match (expected, stored) {
            (0, Some(_)) => Err(StoreError::Conflict(format!("flow {} already exists", record.id))),
            (0, None) => Ok(()),
            (_, None) => Err(StoreError::NotFound(record.id)),
            (_, Some(stored)) if stored.version != expected => Err(StoreError::Conflict(format!(
                "flow {} is at version {}, expected {expected}",
                record.id, stored.version
            ))),
            (_, Some(_)) => Ok(()),
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
        self.commit_shared(Arc::new(record.clone()), expected, event).await
    }

    async fn commit_shared(
        &self,
        record: Arc<FlowRecord>,
        expected: u64,
        event: Option<&str>,
    ) -> Result<(), StoreError> {
        let previous = {
            let mut inner = self.lock();
            inner.check(&record, expected)?;
            if record.is_active() {
                if let Some(other) = inner.active_in(&record.key).filter(|id| *id != record.id) {
                    return Err(StoreError::Conflict(format!(
                        "flow {other} is already active in {}",
                        record.key
                    )));
                }
            }
            let previous = inner.records.insert(record.id, record.clone());
            inner.reindex(previous.as_deref(), &record);
            if let Some(key) = event {
                inner.settle(key, record.updated_at);
            }
            previous
        };
        drop(previous); // freed outside the lock
        Ok(())
    }

    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        let shared = self.lock().records.get(&id).cloned();
        Ok(shared.map(|r| (*r).clone()))
    }

    async fn load_shared(&self, id: Uuid) -> Result<Option<Arc<FlowRecord>>, StoreError> {
        Ok(self.lock().records.get(&id).cloned())
    }

    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        let shared = {
            let inner = self.lock();
            inner.active_in(key).and_then(|id| inner.records.get(&id)).cloned()
        };
        Ok(shared.map(|r| (*r).clone()))
    }

    async fn list_where(&self, filter: &FlowFilter, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let mut shared: Vec<Arc<FlowRecord>> = {
            let inner = self.lock();
            inner.records.values().filter(|r| filter.keeps(r)).cloned().collect()
        };
        shared.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        // Copied outside the lock, and only those listed.
        Ok(shared.iter().take(limit).map(|r| (**r).clone()).collect())
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(record) = inner.records.remove(&id) else {
            return Ok(false);
        };
        inner.unindex(&record);
        Ok(true)
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FlowRecord>, StoreError> {
        let mut inner = self.lock();
        let due: Vec<(DateTime<Utc>, Uuid)> = inner
            .deadlines
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .copied()
            .collect();
        let mut claimed = Vec::with_capacity(due.len());
        for (at, id) in due {
            inner.lease(id, at, lease_until);
            claimed.extend(inner.records.get(&id).cloned());
        }
        drop(inner);
        Ok(claimed.iter().map(|r| (**r).clone()).collect())
    }

    async fn renew_claim(
        &self,
        id: Uuid,
        held_until: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        if inner.leased.get(&id) != Some(&held_until) {
            return Ok(false);
        }
        inner.lease(id, held_until, lease_until);
        Ok(true)
    }

    async fn claim_deadline(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let due = inner.records.get(&id).and_then(|record| inner.due_of(record));
        match due {
            Some(due) if due <= now => {
                inner.lease(id, due, lease_until);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().deadlines.first().map(|(at, _)| *at))
    }

    async fn receive(&self, event: &Received, lease_until: DateTime<Utc>) -> Result<Receipt, StoreError> {
        // Built before the lock is taken (a new event is the common case, and the first
        // pending one of its conversation: the key of a new entry in `unsettled_in`).
        let conversation = event.conversation();
        let unsettled = Box::new(Unsettled {
            incoming: event.incoming.clone(),
            conversation: conversation.clone(),
            lease_until,
        });
        let mut inner = self.lock();
        let inner = &mut *inner;
        // One probe of the table, for a new event and a repeat alike.
        let key = match inner.events.entry_ref(event.key.as_str()) {
            EntryRef::Occupied(mut seen) => {
                return Ok(match &mut seen.get_mut().1 {
                    Some(unsettled) if unsettled.lease_until > event.at => Receipt::Busy,
                    Some(unsettled) => {
                        unsettled.lease_until = lease_until;
                        Receipt::Pending
                    }
                    None => Receipt::Settled,
                });
            }
            // The key is made once, and shared with the indexes below.
            EntryRef::Vacant(new) => new.insert_entry((event.at, Some(unsettled))).key().clone(),
        };
        // After its conversation's unsettled events (see `Store::receive`).
        let list = inner.unsettled_in.entry(conversation).or_default();
        let (at, receipt) = Receipt::for_new(event.at, list.last().map(|(at, _)| *at));
        list.push((at, key.clone()));
        if at != event.at {
            if let Some(stored) = inner.events.get_mut(&key) {
                stored.0 = at;
            }
        }
        let entry = (at, key);
        inner.event_order.insert(entry.clone());
        inner.unsettled.insert(entry);
        Ok(receipt)
    }

    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(match self.lock().events.get_mut(key) {
            Some((_, Some(event))) if event.lease_until > now => {
                event.lease_until = lease_until;
                true
            }
            _ => false,
        })
    }

    async fn settle(&self, key: &str) -> Result<(), StoreError> {
        self.lock().settle(key, Utc::now());
        Ok(())
    }

    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError> {
        let inner = self.lock();
        let Some((at, key)) = inner.unsettled_in.get(conversation).and_then(|list| list.first()) else {
            return Ok(None);
        };
        if unless == Some(&**key) {
            return Ok(None);
        }
        let Some((_, Some(event))) = inner.events.get(key) else {
            return Ok(None);
        };
        let received = Received {
            key: key.to_string(),
            at: *at,
            incoming: event.incoming.clone(),
        };
        Ok(Some((received, event.lease_until)))
    }

    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Received>, StoreError> {
        let mut inner = self.lock();
        let Inner { events, unsettled, .. } = &mut *inner;
        let mut claimed = Vec::new();
        for (at, key) in unsettled.iter() {
            if claimed.len() >= limit {
                break;
            }
            let Some((_, Some(event))) = events.get_mut(key) else {
                continue;
            };
            if event.lease_until <= now {
                event.lease_until = lease_until;
                claimed.push(Received {
                    key: key.to_string(),
                    at: *at,
                    incoming: event.incoming.clone(),
                });
            }
        }
        Ok(claimed)
    }

    async fn purge(&self, flows_before: DateTime<Utc>, events_before: DateTime<Utc>) -> Result<Purged, StoreError> {
        let mut inner = self.lock();
        let mut purged = Purged::default();
        while let Some(&(ended, id)) = inner.finished.first() {
            if ended >= flows_before {
                break;
            }
            inner.finished.pop_first();
            inner.records.remove(&id);
            purged.flows += 1;
        }
        // Settled events before the cutoff go; pending ones stay (they still have to be
        // applied) and are looked at again by the next purge.
        let old: Vec<(DateTime<Utc>, EventKey)> = inner
            .event_order
            .iter()
            .take_while(|(at, _)| *at < events_before)
            .filter(|(_, key)| matches!(inner.events.get(key), Some((_, None))))
            .cloned()
            .collect();
        for entry in old {
            inner.events.remove(&entry.1);
            inner.event_order.remove(&entry);
            purged.events += 1;
        }
        Ok(purged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::MessageContext;

    fn received(key: &str, at: DateTime<Utc>) -> Received {
        Received {
            key: key.to_owned(),
            at,
            incoming: Arc::new(Incoming::timeout(MessageContext::new("T1", "U1", "D1"), at)),
        }
    }

    #[tokio::test]
    async fn a_conversations_events_go_in_the_order_they_were_stored_and_settling_moves_to_the_next() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let (lease, second) = (now + chrono::Duration::seconds(30), chrono::Duration::seconds(1));
        // First of its conversation when stored (nothing else unsettled), or not. C was
        // timed before B but stored after it (by another worker): it goes after B, a
        // millisecond after it, and A (timed with B) a millisecond after C.
        for (key, at, receipt) in [
            ("event:B", now, Receipt::NewFirst),
            ("event:C", now - second, Receipt::Later(now + Receipt::STEP)),
            ("event:A", now, Receipt::Later(now + Receipt::STEP + Receipt::STEP)),
            ("event:D", now + second, Receipt::New),
        ] {
            assert_eq!(
                store.receive(&received(key, at), lease).await.unwrap(),
                receipt,
                "{key}"
            );
        }
        let conversation = received("x", now).conversation();
        let oldest = |unless: Option<&'static str>| {
            let store = &store;
            let conversation = &conversation;
            async move {
                store
                    .oldest_unsettled(conversation, unless)
                    .await
                    .unwrap()
                    .map(|(r, _)| r.key)
            }
        };
        assert_eq!(oldest(None).await.as_deref(), Some("event:B"), "the first stored first");
        assert_eq!(oldest(Some("event:B")).await, None, "the caller's own event");
        assert_eq!(
            oldest(Some("event:C")).await.as_deref(),
            Some("event:B"),
            "a later one waits"
        );
        for (settled, next) in [
            ("event:B", Some("event:C")),
            ("event:C", Some("event:A")),
            ("event:A", Some("event:D")),
            ("event:D", None),
        ] {
            store.settle(settled).await.unwrap();
            assert_eq!(oldest(None).await.as_deref(), next, "after {settled}");
        }
        // Alone in its conversation, an event is stored at its own time, however early.
        let early = received("event:E", now - second);
        assert_eq!(store.receive(&early, lease).await.unwrap(), Receipt::NewFirst);
        let pending = store.claim_pending(lease, lease, 10).await.unwrap();
        assert_eq!(
            pending.iter().map(|r| (r.key.as_str(), r.at)).collect::<Vec<_>>(),
            [("event:E", early.at)]
        );
        store.settle("event:E").await.unwrap();
        assert_eq!(
            store.receive(&received("event:A", now), lease).await.unwrap(),
            Receipt::Settled
        );
        assert!(store.lock().unsettled_in.is_empty() && store.lock().unsettled.is_empty());
    }

    #[tokio::test]
    async fn a_shared_commit_keeps_the_callers_record_instead_of_a_copy() {
        let store = MemoryStore::new();
        let context = MessageContext::new("T1", "U1", "D1");
        let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", context, Utc::now());
        record.version = 1;
        let record = Arc::new(record);
        store.commit_shared(record.clone(), 0, None).await.unwrap();
        assert_eq!(Arc::strong_count(&record), 2, "the store holds the same allocation");
        let mut next = (*record).clone();
        next.version = 2;
        store.commit_shared(Arc::new(next), 1, None).await.unwrap();
        assert_eq!(Arc::strong_count(&record), 1, "the replaced version is let go");
    }

    fn waiting(channel: &str, deadline: DateTime<Utc>) -> FlowRecord {
        let context = MessageContext::new("T1", "U1", channel);
        let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", context, deadline);
        record.state = crate::FlowState::WaitingForResponse;
        record.version = 1;
        record.deadline = Some(deadline);
        record
    }

    #[tokio::test]
    async fn a_flow_has_one_deadline_entry_through_claims_commits_and_a_delete() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let later = |s| now + chrono::Duration::seconds(s);
        let mut record = waiting("D1", now);
        store.commit(&record, 0, None).await.unwrap();
        assert_eq!(store.claim_due(now, later(30), 10).await.unwrap().len(), 1);
        assert!(store.claim_due(now, later(30), 10).await.unwrap().is_empty(), "leased");
        assert_eq!(store.next_deadline().await.unwrap(), Some(later(30)));
        assert_eq!(
            store.claim_due(later(30), later(60), 10).await.unwrap().len(),
            1,
            "lease ended"
        );

        record.version = 2;
        record.deadline = Some(later(90));
        store.commit(&record, 1, None).await.unwrap();
        assert_eq!(
            store.next_deadline().await.unwrap(),
            Some(later(90)),
            "the lease is gone"
        );
        assert!(store.lock().leased.is_empty());
        assert_eq!(store.lock().deadlines.len(), 1);

        assert_eq!(store.claim_due(later(90), later(120), 10).await.unwrap().len(), 1);
        assert!(store.delete(record.id).await.unwrap());
        let inner = store.lock();
        assert!(inner.leased.is_empty() && inner.deadlines.is_empty() && inner.active.is_empty());
    }

    #[tokio::test]
    async fn the_active_flow_of_each_conversation_is_found_as_the_index_grows_and_shrinks() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let records: Vec<FlowRecord> = (0..500).map(|n| waiting(&format!("D{n}"), now)).collect();
        for record in &records {
            store.commit(record, 0, None).await.unwrap();
        }
        for record in &records {
            let found = store.active_for(&record.key).await.unwrap().map(|r| r.id);
            assert_eq!(found, Some(record.id), "{}", record.key);
        }
        for record in records.iter().step_by(2) {
            let mut done = record.clone();
            done.version = 2;
            done.state = crate::FlowState::Completed;
            done.deadline = None;
            store.commit(&done, 1, None).await.unwrap();
        }
        for (n, record) in records.iter().enumerate() {
            let found = store.active_for(&record.key).await.unwrap().map(|r| r.id);
            assert_eq!(found, (n % 2 == 1).then_some(record.id), "{}", record.key);
        }
        let again = waiting("D0", now);
        store.commit(&again, 0, None).await.unwrap();
        assert_eq!(
            store.active_for(&again.key).await.unwrap().map(|r| r.id),
            Some(again.id)
        );
        let busy = waiting("D1", now);
        assert!(store.commit(&busy, 0, None).await.is_err(), "D1's flow is still active");
        assert_eq!(store.lock().active.len(), 251);
    }
}
