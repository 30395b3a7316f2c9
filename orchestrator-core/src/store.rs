//! The [`Store`] trait: where flow records and received events live.
//!
//! The engine relies on this contract, and every store keeps it (the runtime's test kit
//! checks it with `check_store`: memory, SQLite, and any store of your own):
//!
//! 1. **One write per step, compare-and-swap.** [`commit`](Store::commit) writes a record at
//!    `expected + 1` only if the stored version is `expected` (`expected == 0` inserts), so
//!    two workers, two processes or two replicas can never both apply a step: the loser gets
//!    [`StoreError::Conflict`], reloads and decides again.
//! 2. **An event counts as processed only together with the write that applied it.** The
//!    event key given to `commit` is settled in the same atomic write; the record also
//!    remembers it ([`FlowRecord::has_applied`]), so a replay after a crash between the two
//!    halves of any other order is recognised.
//! 3. **One active flow per conversation**, enforced by the store: inserting a second active
//!    record for a [`ConversationKey`] is a `Conflict`.
//! 4. **Acked means durable, and a received event has one worker at a time.**
//!    [`receive`](Store::receive) has written the event when it returns (a durable store
//!    before Slack gets its 200) and leases it to the caller; a repeat delivery while the
//!    lease runs is [`Receipt::Busy`] (another worker, maybe another replica, is applying
//!    it). An event whose worker died before settling it comes back from
//!    [`claim_pending`](Store::claim_pending) once its lease has ended, leased again.
//!    A worker whose step takes longer than the lease (a slow Slack, a 429 to wait out)
//!    keeps the event with [`renew_lease`](Store::renew_lease) while the lease runs: once it
//!    has ended, the renewal is refused, as another worker may hold the event.
//!    [`oldest_unsettled`](Store::oldest_unsettled) finds a conversation's oldest such event,
//!    so that a later event of the same conversation waits for it (per-conversation order
//!    across workers and replicas).
//! 5. **Deadlines in an ordered index.** [`claim_due`](Store::claim_due) and
//!    [`next_deadline`](Store::next_deadline) read only the due end of that index, never all
//!    flows; a claim leases the deadline so that one worker fires it, and a worker that dies
//!    leaves it to fire again when the lease ends; a worker firing it keeps its claim while it
//!    works with [`renew_claim`](Store::renew_claim). [`claim_deadline`](Store::claim_deadline)
//!    claims one flow's deadline the same way (an event that arrived after it fires it
//!    first), so that one worker fires each deadline, whoever asks.
//! 6. **Nothing grows for ever.** [`purge`](Store::purge) drops finished flows and settled
//!    events older than the retention.

use crate::context::ConversationKey;
use crate::incoming::Incoming;
use crate::record::FlowRecord;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Why a store operation failed.
///
/// ```
/// # use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store, StoreError};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), chrono::Utc::now());
/// record.version = 1;
/// store.commit(&record, 0, None).await.unwrap();
/// // A second writer that read version 0 too loses: it must load and decide again.
/// let stale = store.commit(&record, 0, None).await;
/// assert!(matches!(stale, Err(StoreError::Conflict(_))));
/// # });
/// ```
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

/// An event as the ingress received it, before it was applied.
///
/// ```
/// use orchestrator_core::{Incoming, Received};
/// let event = serde_json::json!({"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
///     "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.1"}});
/// let incoming = Incoming::from_json(&event).unwrap().unwrap();
/// let received = Received::new(incoming, chrono::Utc::now()).expect("it has an event id");
/// assert_eq!(received.key, "event:Ev1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Received {
    /// The event's deduplication key ([`Incoming::dedup_key`]).
    pub key: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// The event, normalized; shared (a store that keeps it, and the worker applying it,
    /// hold the same one).
    pub incoming: Arc<Incoming>,
}

impl Received {
    /// The received form of `incoming`; `None` for an event without an id, which cannot be
    /// deduplicated and is handled at once instead.
    ///
    /// ```
    /// # use orchestrator_core::{Incoming, MessageContext, Received};
    /// let now = chrono::Utc::now();
    /// let dm = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": "Ev1",
    ///     "event": {"type": "message", "channel": "D1", "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.1"}});
    /// let received = Received::new(Incoming::from_json(&dm).unwrap().unwrap(), now).unwrap();
    /// assert_eq!(received.key, "event:Ev1");
    /// // A timeout has no event id: it cannot be deduplicated, so it is not received.
    /// assert!(Received::new(Incoming::timeout(MessageContext::new("T1", "U1", "D1"), now), now).is_none());
    /// ```
    pub fn new(incoming: Incoming, at: DateTime<Utc>) -> Option<Self> {
        Some(Received {
            key: incoming.dedup_key()?,
            at,
            incoming: Arc::new(incoming),
        })
    }
}

impl Received {
    /// The conversation the event belongs to, from where it was sent (a click on a flow's
    /// message in a DM or a thread has the same one as a reply there).
    ///
    /// ```
    /// # use orchestrator_core::{Incoming, Received};
    /// let click = serde_json::json!({"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
    ///     "channel": {"id": "D1"}, "message": {"ts": "1.1"}, "trigger_id": "1.2",
    ///     "actions": [{"type": "button", "action_id": "yes", "block_id": "b", "value": "y"}]});
    /// let received = Received::new(Incoming::from_json(&click).unwrap().unwrap(), chrono::Utc::now()).unwrap();
    /// assert_eq!(received.conversation().as_str(), "T1/D1", "a click in a DM: the DM's conversation");
    /// ```
    pub fn conversation(&self) -> ConversationKey {
        self.incoming.context.conversation_key()
    }
}

/// What [`Store::receive`] knew of an event.
///
/// ```
/// # use orchestrator_core::{Incoming, MemoryStore, MessageContext, Receipt, Received, Store};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let now = chrono::Utc::now();
/// # let incoming = Incoming::timeout(MessageContext::new("T", "U", "D1"), now);
/// let event = Received { key: "Ev1".into(), incoming: incoming.into(), at: now };
/// let lease = now + chrono::TimeDelta::seconds(30);
/// assert_eq!(store.receive(&event, lease).await.unwrap(), Receipt::NewFirst);
/// assert_eq!(store.receive(&event, lease).await.unwrap(), Receipt::Busy, "Slack's retry, while it is applied");
/// store.settle("Ev1").await.unwrap();
/// assert_eq!(store.receive(&event, lease).await.unwrap(), Receipt::Settled, "a duplicate");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// First delivery: it is stored now, leased to the caller, and will be applied. An
    /// older event of its conversation may still be unsettled: the caller asks
    /// [`Store::oldest_unsettled`] before it applies this one.
    New,
    /// [`Receipt::New`], and no other event of its conversation was unsettled when it was
    /// stored: the caller applies it without asking. A store that does not look answers
    /// `New` instead, which is always correct.
    NewFirst,
    /// [`Receipt::New`], stored at this time, later than the event's own: an unsettled event
    /// of its conversation was timed later and stored first, and this one goes after it (see
    /// [`Store::receive`]). The caller applies it as received then, so that a deadline
    /// between the two times is before both of them, as the timer engine sees it too.
    Later(DateTime<Utc>),
    /// Delivered before and not yet applied, and its lease had ended (its first worker
    /// failed or died): it is leased to the caller now, who applies it.
    Pending,
    /// Delivered before and not yet applied, and another worker holds its lease: leave it.
    Busy,
    /// Delivered before and applied: a duplicate.
    Settled,
}

impl Receipt {
    /// How much later than its conversation's latest unsettled event a new event is stored
    /// when its own time is not later: a millisecond, the finest time the database stores
    /// keep.
    ///
    /// ```
    /// # use orchestrator_core::Receipt;
    /// let now = chrono::Utc::now();
    /// // An event timed like the one before it, still unsettled, is stored one step after it.
    /// assert_eq!(Receipt::for_new(now, Some(now)).0, now + Receipt::STEP);
    /// ```
    pub const STEP: chrono::TimeDelta = chrono::TimeDelta::milliseconds(1);

    /// The rule of [`Store::receive`] for a new event timed `at`, given the time of its
    /// conversation's latest unsettled event (`None`: there is none): when to store it,
    /// and what to answer.
    ///
    /// ```
    /// use orchestrator_core::Receipt;
    /// let (now, step) = (chrono::Utc::now(), Receipt::STEP);
    /// assert_eq!(Receipt::for_new(now, None), (now, Receipt::NewFirst));
    /// assert_eq!(Receipt::for_new(now, Some(now - step)), (now, Receipt::New));
    /// assert_eq!(Receipt::for_new(now - step, Some(now)), (now + step, Receipt::Later(now + step)));
    /// ```
    pub fn for_new(at: DateTime<Utc>, latest: Option<DateTime<Utc>>) -> (DateTime<Utc>, Receipt) {
        match latest {
            None => (at, Receipt::NewFirst),
            Some(latest) if at > latest => (at, Receipt::New),
            Some(latest) => (latest + Self::STEP, Receipt::Later(latest + Self::STEP)),
        }
    }
}

/// What [`Store::purge`] removed.
///
/// ```
/// # use orchestrator_core::{MemoryStore, Purged, Store};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let now = chrono::Utc::now();
/// assert_eq!(MemoryStore::new().purge(now, now).await.unwrap(), Purged::default());
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Finished flows.
    pub flows: u64,
    /// Settled events.
    pub events: u64,
}

/// Which records [`Store::list_where`] lists: what an operator looks for.
///
/// ```
/// use orchestrator_core::{FlowFilter, FlowRecord, MessageContext};
/// let context = MessageContext::new("T1", "U1", "D1");
/// let record = FlowRecord::new("survey", 1, serde_json::json!("Ask"), "Ask", context, chrono::Utc::now());
/// let of_u1 = FlowFilter { user: Some("U1".into()), ..FlowFilter::default() };
/// assert!(of_u1.keeps(&record));
/// assert!(!FlowFilter { flow: Some("onboarding".into()), ..of_u1 }.keeps(&record));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowFilter {
    /// Only active flows.
    pub active_only: bool,
    /// Only the flows this user started (their record's `context.user_id`).
    pub user: Option<String>,
    /// Only the flows of this name.
    pub flow: Option<String>,
}

impl FlowFilter {
    /// Whether `record` is one of those this filter lists.
    pub fn keeps(&self, record: &FlowRecord) -> bool {
        (!self.active_only || record.is_active())
            && self.user.as_ref().is_none_or(|user| record.context.user_id == *user)
            && self.flow.as_ref().is_none_or(|flow| record.flow == *flow)
    }
}

/// Persistence of flow records and of received events. The module docs hold the contract;
/// `orchestrator_testkit::check_store` checks a backend against it.
///
/// ```
/// # use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let mut record = FlowRecord::new("onboarding", 1, serde_json::json!("AskName"), "AskName",
///     MessageContext::new("T1", "U1", "D1"), chrono::Utc::now());
/// record.version = 1;
/// store.commit(&record, 0, None).await.unwrap(); // inserted at version 1
/// record.version = 2;
/// store.commit(&record, 1, None).await.unwrap(); // compare-and-swap on version 1
/// assert_eq!(store.active_for(&record.key).await.unwrap().unwrap().version, 2);
/// # });
/// ```
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Writes `record` (whose version must be `expected + 1`) if the stored version is
    /// `expected`, inserting when `expected` is 0; settles `event` in the same write.
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError>;
    /// [`commit`](Store::commit) for a record its caller will not change again (the
    /// engine's every write): a store that keeps records in memory keeps this one, shared,
    /// instead of a copy. The default commits a borrow of it.
    ///
    /// ```
    /// use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store};
    /// use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), chrono::Utc::now());
    /// record.version = 1;
    /// let record = Arc::new(record);
    /// store.commit_shared(record.clone(), 0, Some("event:Ev1")).await.unwrap();
    /// assert_eq!(store.load(record.id).await.unwrap().as_ref(), Some(&*record));
    /// # });
    /// ```
    async fn commit_shared(
        &self,
        record: Arc<FlowRecord>,
        expected: u64,
        event: Option<&str>,
    ) -> Result<(), StoreError> {
        self.commit(&record, expected, event).await
    }
    /// Loads a record by id.
    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError>;
    /// [`Store::load`] for a caller that only reads the record: a store that keeps records
    /// in memory gives its own, uncopied (the default wraps `load`'s).
    ///
    /// ```
    /// use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store};
    /// use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), chrono::Utc::now());
    /// record.version = 1;
    /// let record = Arc::new(record);
    /// store.commit_shared(record.clone(), 0, None).await.unwrap();
    /// let read = store.load_shared(record.id).await.unwrap().unwrap();
    /// assert!(Arc::ptr_eq(&read, &record), "the memory store's own record");
    /// # });
    /// ```
    async fn load_shared(&self, id: Uuid) -> Result<Option<Arc<FlowRecord>>, StoreError> {
        Ok(self.load(id).await?.map(Arc::new))
    }
    /// Loads the active flow of a conversation, if there is one.
    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError>;
    /// Lists records, newest first, at most `limit`; only active ones when `active_only`
    /// ([`Store::list_where`] with no other filter).
    async fn list(&self, active_only: bool, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let filter = FlowFilter {
            active_only,
            ..FlowFilter::default()
        };
        self.list_where(&filter, limit).await
    }
    /// Lists the records `filter` keeps, newest first, at most `limit`: among all records,
    /// not only the newest (`flows list --user U1` finds U1's flow under a thousand newer
    /// ones), so a store filters where its records are.
    ///
    /// ```
    /// use orchestrator_core::{FlowFilter, FlowRecord, MemoryStore, MessageContext, Store};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// for user in ["U1", "U2", "U3"] {
    ///     let context = MessageContext::new("T1", user, format!("D{user}"));
    ///     let mut record = FlowRecord::new("survey", 1, serde_json::json!("Ask"), "Ask", context, chrono::Utc::now());
    ///     record.version = 1;
    ///     store.commit(&record, 0, None).await.unwrap();
    /// }
    /// let of_u1 = FlowFilter { user: Some("U1".into()), ..FlowFilter::default() };
    /// let found = store.list_where(&of_u1, 10).await.unwrap();
    /// assert_eq!(found.len(), 1);
    /// assert_eq!(found[0].context.user_id, "U1");
    /// # });
    /// ```
    async fn list_where(&self, filter: &FlowFilter, limit: usize) -> Result<Vec<FlowRecord>, StoreError>;
    /// Deletes a record; `false` if there was none.
    async fn delete(&self, id: Uuid) -> Result<bool, StoreError>;

    /// Active records whose deadline is at or before `now` (never one a moment later, whatever
    /// the store's precision), earliest first, at most `limit`;
    /// each is leased until `lease_until` (no other claim returns it before then).
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FlowRecord>, StoreError>;
    /// Extends the claim on flow `id`'s deadline, leased until `held_until` by the caller's
    /// [`claim_due`](Store::claim_due) (or its last renewal), to `lease_until`. `false` (and
    /// nothing written) if the claim is no longer the caller's: the flow was written since,
    /// or claimed again after the lease ended.
    ///
    /// ```
    /// use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// let now = chrono::Utc::now();
    /// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), now);
    /// (record.version, record.deadline) = (1, Some(now));
    /// store.commit(&record, 0, None).await.unwrap();
    /// let (lease, renewed) = (now + chrono::Duration::seconds(60), now + chrono::Duration::seconds(90));
    /// assert_eq!(store.claim_due(now, lease, 10).await.unwrap().len(), 1);
    /// assert!(store.renew_claim(record.id, lease, renewed).await.unwrap(), "still ours");
    /// assert!(store.claim_due(lease, lease, 10).await.unwrap().is_empty(), "kept past the first lease");
    /// assert!(!store.renew_claim(record.id, lease, renewed).await.unwrap(), "renewed from a lease it no longer has");
    /// # });
    /// ```
    async fn renew_claim(
        &self,
        id: Uuid,
        held_until: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Claims flow `id`'s deadline for the caller, as [`claim_due`](Store::claim_due)
    /// would, if it is due at `now` and no claim holds it (none was taken, or its lease
    /// ended): leased until `lease_until`, and `true`. `false`, and nothing written, when
    /// the flow is not active, has no deadline due, or another claim holds it. An event
    /// that arrives after its flow's deadline fires the timeout first, and claims it so.
    ///
    /// ```
    /// use orchestrator_core::{FlowRecord, MemoryStore, MessageContext, Store};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// let now = chrono::Utc::now();
    /// let mut record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T", "U", "D1"), now);
    /// (record.version, record.deadline) = (1, Some(now));
    /// store.commit(&record, 0, None).await.unwrap();
    /// let lease = now + chrono::Duration::seconds(60);
    /// assert!(!store.claim_deadline(record.id, now - chrono::Duration::seconds(1), lease).await.unwrap(), "not due yet");
    /// assert!(store.claim_deadline(record.id, now, lease).await.unwrap(), "claimed");
    /// assert!(!store.claim_deadline(record.id, now, lease).await.unwrap(), "held");
    /// assert!(store.claim_due(now, lease, 10).await.unwrap().is_empty(), "held from the timer engine too");
    /// assert!(store.claim_deadline(record.id, lease, lease).await.unwrap(), "its lease ended");
    /// # });
    /// ```
    async fn claim_deadline(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The earliest deadline (or lease end) among active records; a store that keeps
    /// coarser times may round it up, by at most a millisecond.
    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Stores a received event unless it was received before, leased to the caller until
    /// `lease_until` (a repeat whose lease has ended is leased to the caller again).
    ///
    /// A new event goes after every unsettled event of its conversation: if one of those
    /// has a later time (it was timed after this one but stored first, by another worker
    /// or replica), this one is stored with a time just after it (a millisecond). So a
    /// conversation's unsettled events are ordered as they were stored, and an event
    /// stored first, alone, cannot be overtaken by one that comes to the store after it.
    /// Such an event is answered [`Receipt::Later`] with the time it was stored at.
    /// Receives of one conversation that overlap (two workers or replicas at once) must
    /// see each other as one of them stored first: a store serializes them (a lock, one
    /// writer, an atomic script), never lets each miss the other's.
    async fn receive(&self, event: &Received, lease_until: DateTime<Utc>) -> Result<Receipt, StoreError>;
    /// Extends the lease of received event `key` to `lease_until`, if it is not settled and
    /// its lease has not ended at `now`: the worker holding it keeps it while it works.
    /// `false` (and nothing written) if the event is settled or unknown, or its lease ended
    /// (another worker may have taken it over since).
    ///
    /// ```
    /// use orchestrator_core::{Incoming, MemoryStore, Received, Store};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let store = MemoryStore::new();
    /// let now = chrono::Utc::now();
    /// let body = serde_json::json!({"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
    ///     "event": {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "text": "hi", "ts": "1.1"}});
    /// let event = Received::new(Incoming::from_json(&body).unwrap().unwrap(), now).unwrap();
    /// let (soon, later) = (now + chrono::Duration::seconds(10), now + chrono::Duration::seconds(20));
    /// store.receive(&event, soon).await.unwrap();
    /// assert!(store.renew_lease("event:Ev1", now, later).await.unwrap(), "held: renewed");
    /// assert!(store.claim_pending(soon, soon, 10).await.unwrap().is_empty(), "still held at the first end");
    /// assert!(!store.renew_lease("event:Ev1", later, later).await.unwrap(), "ended: refused");
    /// # });
    /// ```
    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Settles an event that changed no record (ignored, unhandled, refused).
    async fn settle(&self, key: &str) -> Result<(), StoreError>;
    /// The oldest event of a conversation (as [`Received::conversation`] gives it) that was
    /// received and not settled, with the end of its lease (in the order the store received
    /// them: see [`Store::receive`]; no two of them share a time). `None`
    /// also when that event is `unless` (the caller's own, the common case: nothing earlier
    /// to wait for), without reading the event itself.
    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError>;
    /// Received events that were never settled and whose lease ended at or before `now`,
    /// oldest first, at most `limit`; each is leased until `lease_until`.
    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Received>, StoreError>;

    /// Drops flows that ended before `flows_before` and settled events received before
    /// `events_before`.
    async fn purge(&self, flows_before: DateTime<Utc>, events_before: DateTime<Utc>) -> Result<Purged, StoreError>;
}
