//! The [`Store`] contract as an executable check. Every store (memory, SQLite, PostgreSQL,
//! Redis, or your own) runs [`check_store`] in its tests, so they all behave alike.

use chrono::{DateTime, Duration as Span, Utc};
use orchestrator_core::{
    FlowFilter, FlowRecord, FlowStart, FlowState, Incoming, MessageContext, Receipt, Received, Store, StoreError,
};
use uuid::Uuid;

/// A waiting record at version 1 in `channel`, not yet stored.
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

/// The next version of `record`, as the engine writes it.
fn bumped(record: &FlowRecord) -> FlowRecord {
    let mut next = record.clone();
    next.version += 1;
    next
}

/// An event `key` sent in the DM whose id ends with the key's last 32 characters (the run).
fn received(key: &str, at: DateTime<Utc>) -> Received {
    let channel = format!("DCONF{}", &key[key.len().saturating_sub(32)..]);
    let body = serde_json::json!({"type": "event_callback", "team_id": "T_CONFORMANCE", "event_id": key,
        "event": {"type": "message", "channel": channel, "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.1"}});
    let incoming = Incoming::from_json(&body).expect("valid").expect("an event");
    Received::new(incoming, at).expect("it has an event id")
}

/// A first delivery: `New`, `NewFirst` (nothing older unsettled) or `Later` (stored after
/// an older one timed later).
fn is_new(receipt: Receipt) -> bool {
    matches!(receipt, Receipt::New | Receipt::NewFirst | Receipt::Later(_))
}

/// Whether a `claim_due(now, lease_until)` through `store` claims flow `id`.
async fn claims(store: &dyn Store, now: DateTime<Utc>, lease_until: DateTime<Utc>, id: Uuid) -> bool {
    let claimed = store.claim_due(now, lease_until, 100_000).await.unwrap();
    claimed.iter().any(|r| r.id == id)
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict(_)))
}

/// Checks every rule of the [`Store`] contract; panics with the rule that broke.
///
/// `a` and `b` are two handles on the same data: for an in-process store the same value
/// twice, for a database two separate connections (as two processes or replicas would
/// have), so that the compare-and-swap, the one-active-flow rule, timeout claims and the
/// order of events received at once in one conversation are checked across handles that
/// race. Channels and event ids are unique per run, so a database shared with other data
/// is fine, as long as no other worker claims timeouts from it while the check runs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = orchestrator_core::MemoryStore::new();
/// orchestrator_testkit::check_store(&store, &store).await;
/// # }
/// ```
pub async fn check_store(a: &dyn Store, b: &dyn Store) {
    let run = Uuid::new_v4().simple().to_string();
    let now = Utc::now();
    let channel = |name: &str| format!("D{name}{run}");

    records_and_compare_and_swap(a, &channel, now).await;
    events_settle_with_their_write(a, &run, now).await;
    events_go_in_the_order_they_were_stored(a, &run, now).await;
    deadlines_are_claimed_once(a, b, &channel, now).await;
    one_deadline_is_claimed_once_whoever_asks(a, b, &channel, now).await;
    ending_frees_the_conversation_and_purge_drops_it(a, &channel, &run, now).await;
    two_handles_race(a, b, &channel, now).await;
    a_worker_keeps_its_lease(a, b, &run, now).await;
    a_start_reads_back_whole(a, &run, now).await;
    a_users_flow_is_found_under_newer_ones(a, &run, now).await;
}

async fn records_and_compare_and_swap(store: &dyn Store, channel: &dyn Fn(&str) -> String, now: DateTime<Utc>) {
    let first = record(&channel("A"), now);
    store.commit(&first, 0, None).await.expect("insert a new record");
    assert_eq!(
        store.load(first.id).await.unwrap().as_ref(),
        Some(&first),
        "load returns what was inserted"
    );
    assert_eq!(
        store.active_for(&first.key).await.unwrap().map(|r| r.id),
        Some(first.id),
        "active_for finds it"
    );
    assert!(
        conflict(store.commit(&first, 0, None).await),
        "a second insert of an id conflicts"
    );
    assert!(
        conflict(store.commit(&record(&channel("A"), now), 0, None).await),
        "one active flow per conversation"
    );

    let mut second = bumped(&first);
    second.metadata.insert("k".into(), serde_json::json!("v"));
    store
        .commit(&second, 1, None)
        .await
        .expect("a write at the expected version");
    assert!(
        conflict(store.commit(&second, 1, None).await),
        "a stale version conflicts"
    );
    let mut skipping = bumped(&second);
    skipping.version = 5;
    assert!(
        conflict(store.commit(&skipping, 2, None).await),
        "versions go up by one"
    );
    let ghost = bumped(&record(&channel("G"), now));
    assert!(
        matches!(store.commit(&ghost, 1, None).await, Err(StoreError::NotFound(_))),
        "writing a record that was never inserted is NotFound"
    );
    assert_eq!(store.load(second.id).await.unwrap().unwrap().metadata["k"], "v");
    assert_eq!(
        store.load_shared(second.id).await.unwrap().as_deref(),
        Some(&second),
        "load_shared reads the latest version, as load does"
    );
    assert!(store.delete(first.id).await.unwrap());
    assert!(!store.delete(first.id).await.unwrap(), "deleting twice says so");
    assert!(store.load(first.id).await.unwrap().is_none());
    assert!(store.load_shared(first.id).await.unwrap().is_none());
    assert!(
        store.active_for(&first.key).await.unwrap().is_none(),
        "a deleted flow frees its conversation"
    );
}

async fn events_settle_with_their_write(store: &dyn Store, run: &str, now: DateTime<Utc>) {
    let lease = now + Span::seconds(10);
    let applied = received(&format!("EvA{run}"), now);
    assert!(is_new(store.receive(&applied, lease).await.unwrap()), "first delivery");
    assert_eq!(
        store.receive(&applied, lease).await.unwrap(),
        Receipt::Busy,
        "a repeat while its worker holds the lease is busy, not settled"
    );
    let ignored = received(&format!("EvB{run}"), now + Span::milliseconds(1));
    assert_eq!(
        store.receive(&ignored, lease).await.unwrap(),
        Receipt::New,
        "while an older event of its conversation is unsettled, a new one is New, never NewFirst"
    );
    let ours =
        |pending: Vec<Received>| -> Vec<Received> { pending.into_iter().filter(|r| r.key.ends_with(run)).collect() };
    let keys = |pending: &[Received]| -> Vec<String> { pending.iter().map(|r| r.key.clone()).collect() };
    assert!(
        ours(
            store
                .claim_pending(now, now + Span::seconds(30), 100_000)
                .await
                .unwrap()
        )
        .is_empty(),
        "claim_pending leaves events whose lease runs"
    );
    let after = lease + Span::seconds(1);
    let again = after + Span::seconds(30);
    let claimed = ours(store.claim_pending(after, again, 100_000).await.unwrap());
    assert_eq!(
        keys(&claimed),
        vec![applied.key.clone(), ignored.key.clone()],
        "claim_pending gives unsettled events whose lease ended, oldest first"
    );
    assert_eq!(
        (&claimed[0].incoming, claimed[0].at.timestamp_millis()),
        (&applied.incoming, applied.at.timestamp_millis()),
        "claim_pending gives the event back as received (its time to the millisecond)"
    );
    assert!(
        ours(store.claim_pending(after, again, 100_000).await.unwrap()).is_empty(),
        "a claimed event is leased again"
    );
    let mut repeat = applied.clone();
    repeat.at = again + Span::seconds(1);
    assert_eq!(
        store.receive(&repeat, repeat.at + Span::seconds(10)).await.unwrap(),
        Receipt::Pending,
        "a repeat after the lease ended is pending: its deliverer takes the lease"
    );

    // Both events were sent in one conversation: the oldest unsettled one comes first.
    let conversation = applied.conversation();
    let oldest = store.oldest_unsettled(&conversation, None).await.unwrap();
    assert_eq!(
        oldest.as_ref().map(|(event, _)| &event.key),
        Some(&applied.key),
        "oldest_unsettled gives the conversation's oldest unsettled event"
    );
    assert_eq!(
        oldest.map(|(_, lease)| lease.timestamp_millis()),
        Some((repeat.at + Span::seconds(10)).timestamp_millis()),
        "with the end of its lease"
    );
    assert!(
        store
            .oldest_unsettled(&conversation, Some(&applied.key))
            .await
            .unwrap()
            .is_none(),
        "nothing earlier for the oldest event itself"
    );

    // The event is settled by the write that applies it, and only then.
    let flow = record(&format!("DE{run}"), now);
    store.commit(&flow, 0, None).await.unwrap();
    let mut next = bumped(&flow);
    next.remember_applied(&applied.key);
    store.commit(&next, 1, Some(&applied.key)).await.unwrap();
    assert_eq!(
        store.receive(&applied, lease).await.unwrap(),
        Receipt::Settled,
        "settled with the write"
    );
    // A write that loses its compare-and-swap settles nothing.
    let late = received(&format!("EvC{run}"), now + Span::milliseconds(2));
    assert_eq!(store.receive(&late, lease).await.unwrap(), Receipt::New);
    assert!(conflict(store.commit(&next, 1, Some(&late.key)).await));
    let mut late_repeat = late.clone();
    late_repeat.at = after;
    assert_eq!(
        store.receive(&late_repeat, again).await.unwrap(),
        Receipt::Pending,
        "a lost compare-and-swap leaves the event pending"
    );
    store.settle(&ignored.key).await.unwrap();
    assert_eq!(
        store
            .oldest_unsettled(&conversation, Some(&ignored.key))
            .await
            .unwrap()
            .map(|(event, _)| event.key),
        Some(late.key.clone()),
        "a settled event is no longer the oldest unsettled one"
    );
    store.settle(&late.key).await.unwrap();
    assert_eq!(
        store.receive(&ignored, lease).await.unwrap(),
        Receipt::Settled,
        "settled on its own"
    );
    let far = now + Span::days(1);
    assert!(
        ours(store.claim_pending(far, far, 100_000).await.unwrap()).is_empty(),
        "nothing of ours is pending"
    );
    store.delete(flow.id).await.unwrap();
}

/// A new event goes after its conversation's unsettled events, also after one timed later
/// that was stored first (by another worker or replica, between this one's timing and its
/// storing): the first stored goes first, so an event that found itself alone is never
/// overtaken.
async fn events_go_in_the_order_they_were_stored(store: &dyn Store, run: &str, now: DateTime<Utc>) {
    let lease = now + Span::seconds(10);
    // `received` puts an event in the conversation named by its id's last 32 characters.
    let event = |id: &str, at| received(&format!("Ev{id}o{}", &run[1..]), at);
    let (stored_first, timed_first) = (event("O1", now + Span::milliseconds(50)), event("O2", now));
    assert!(is_new(store.receive(&stored_first, lease).await.unwrap()), "alone: new");
    match store.receive(&timed_first, lease).await.unwrap() {
        // A store that keeps milliseconds stores the other one's time rounded down.
        Receipt::Later(at) => assert!(
            at > timed_first.at && at > stored_first.at - Span::milliseconds(1),
            "stored after the other one: {at}, not at its own time {}",
            timed_first.at
        ),
        other => panic!("stored after an unsettled event of its conversation timed later: Later, not {other:?}"),
    }
    let conversation = stored_first.conversation();
    let oldest = |unless: Option<&str>| {
        let (store, conversation, unless) = (store, &conversation, unless.map(str::to_owned));
        async move {
            let found = store.oldest_unsettled(conversation, unless.as_deref()).await;
            found.unwrap().map(|(event, _)| event.key)
        }
    };
    assert_eq!(
        oldest(None).await,
        Some(stored_first.key.clone()),
        "the first stored is the oldest"
    );
    assert_eq!(
        oldest(Some(&timed_first.key)).await,
        Some(stored_first.key.clone()),
        "the one timed first waits for it"
    );
    assert_eq!(oldest(Some(&stored_first.key)).await, None, "and it waits for nothing");
    let ended = lease + Span::seconds(1);
    let ours = [&stored_first.key, &timed_first.key];
    let claimed: Vec<String> = store
        .claim_pending(ended, ended + Span::seconds(10), 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .filter(|key| ours.contains(&key))
        .collect();
    assert_eq!(
        claimed,
        [stored_first.key.clone(), timed_first.key.clone()],
        "taken over in that order too"
    );
    store.settle(&stored_first.key).await.unwrap();
    store.settle(&timed_first.key).await.unwrap();
    assert_eq!(oldest(None).await, None, "both settled");
}

async fn deadlines_are_claimed_once(
    a: &dyn Store,
    b: &dyn Store,
    channel: &dyn Fn(&str) -> String,
    now: DateTime<Utc>,
) {
    let mut due = record(&channel("B"), now);
    due.deadline = Some(now - Span::seconds(5));
    a.commit(&due, 0, None).await.unwrap();
    let mut later = record(&channel("C"), now);
    later.deadline = Some(now + Span::seconds(3600));
    a.commit(&later, 0, None).await.unwrap();
    let next = a.next_deadline().await.unwrap().expect("a deadline exists");
    assert!(
        next <= due.deadline.unwrap() + Span::milliseconds(1),
        "next_deadline is the earliest (rounded up to the store's precision, at most 1 ms)"
    );

    let lease = now + Span::seconds(60);
    let claimed: Vec<Uuid> = a
        .claim_due(now, lease, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(
        claimed.contains(&due.id) && !claimed.contains(&later.id),
        "claim_due returns exactly the passed deadlines"
    );
    assert!(
        !claims(b, now, lease, due.id).await,
        "a claimed deadline is not claimed again while leased, through another handle either"
    );
    let after_lease = lease + Span::seconds(1);
    assert!(
        claims(b, after_lease, after_lease + Span::seconds(60), due.id).await,
        "a lease that ran out (its worker died) can be claimed again"
    );
    // The new holder keeps its claim while it fires; the first one no longer can.
    let (taken, renewed) = (after_lease + Span::seconds(60), after_lease + Span::seconds(120));
    assert!(
        !a.renew_claim(due.id, lease, renewed).await.unwrap(),
        "a claim taken over after its lease ran out is not renewed by its first holder"
    );
    assert!(
        b.renew_claim(due.id, taken, renewed).await.unwrap(),
        "the holder renews its claim"
    );
    let past_taken = taken + Span::seconds(1);
    assert!(
        !claims(a, past_taken, past_taken, due.id).await,
        "a renewed claim holds past its first end"
    );

    // A deadline a fraction of a millisecond after `now` is not due yet (a store that keeps
    // coarser times must round deadlines up, not down).
    let whole_ms = DateTime::from_timestamp_millis(now.timestamp_millis()).expect("in range");
    let (at, soon) = (whole_ms + Span::microseconds(300), whole_ms + Span::microseconds(600));
    let mut almost = record(&channel("Almost"), now);
    almost.deadline = Some(soon);
    a.commit(&almost, 0, None).await.unwrap();
    assert!(
        !claims(a, at, at + Span::seconds(60), almost.id).await,
        "a deadline 300 µs away is not claimed"
    );
    a.delete(almost.id).await.unwrap();

    // Writing the flow sets its deadline again, whatever the lease.
    let mut timed_out = bumped(&due);
    timed_out.state = FlowState::TimedOut;
    timed_out.deadline = None;
    a.commit(&timed_out, 1, None).await.unwrap();
    assert!(
        !b.renew_claim(due.id, renewed, renewed + Span::seconds(60))
            .await
            .unwrap(),
        "once the flow is written, there is no claim to renew"
    );
    assert!(
        !claims(a, now + Span::days(1), now + Span::days(2), due.id).await,
        "an ended flow has no deadline"
    );
    a.delete(due.id).await.unwrap();
    a.delete(later.id).await.unwrap();
}

/// `claim_deadline` (an event that arrived after its flow's deadline fires it first) and
/// the timer engine's `claim_due` take the same claim: one of them fires each deadline.
async fn one_deadline_is_claimed_once_whoever_asks(
    a: &dyn Store,
    b: &dyn Store,
    channel: &dyn Fn(&str) -> String,
    now: DateTime<Utc>,
) {
    let mut due = record(&channel("OneDue"), now);
    due.deadline = Some(now - Span::seconds(5));
    a.commit(&due, 0, None).await.unwrap();
    let mut later = record(&channel("OneLater"), now);
    later.deadline = Some(now + Span::seconds(3600));
    a.commit(&later, 0, None).await.unwrap();
    let lease = now + Span::seconds(60);

    assert!(
        !a.claim_deadline(later.id, now, lease).await.unwrap(),
        "a deadline not due yet is not claimed"
    );
    assert!(
        !a.claim_deadline(Uuid::new_v4(), now, lease).await.unwrap(),
        "an unknown flow has no deadline to claim"
    );
    assert!(
        a.claim_deadline(due.id, now, lease).await.unwrap(),
        "a due deadline is claimed"
    );
    assert!(
        !b.claim_deadline(due.id, now, lease).await.unwrap(),
        "once, through another handle either"
    );
    assert!(
        !claims(b, now, lease, due.id).await,
        "and the timer engine's claim_due leaves it alone while the lease runs"
    );
    let after_lease = lease + Span::seconds(1);
    let taken = after_lease + Span::seconds(60);
    assert!(
        b.claim_deadline(due.id, after_lease, taken).await.unwrap(),
        "a lease that ran out (its worker died) can be claimed again"
    );
    assert!(
        !a.renew_claim(due.id, lease, taken + Span::seconds(60)).await.unwrap(),
        "its first holder no longer renews it"
    );
    assert!(
        b.renew_claim(due.id, taken, taken + Span::seconds(60)).await.unwrap(),
        "its holder renews it as a claim_due claim"
    );

    // Taken by claim_due first: then claim_deadline finds it held.
    let past = taken + Span::seconds(120);
    assert!(claims(a, past, past + Span::seconds(60), due.id).await);
    assert!(
        !b.claim_deadline(due.id, past, past + Span::seconds(60)).await.unwrap(),
        "a deadline the timer engine claimed is not claimed again"
    );

    // A deadline a fraction of a millisecond away is not due yet.
    let whole_ms = DateTime::from_timestamp_millis(now.timestamp_millis()).expect("in range");
    let (at, soon) = (whole_ms + Span::microseconds(300), whole_ms + Span::microseconds(600));
    let mut almost = record(&channel("OneAlmost"), now);
    almost.deadline = Some(soon);
    a.commit(&almost, 0, None).await.unwrap();
    assert!(
        !a.claim_deadline(almost.id, at, at + Span::seconds(60)).await.unwrap(),
        "a deadline 300 µs away is not claimed"
    );

    // An ended flow has no deadline to claim.
    let mut ended = bumped(&later);
    ended.state = FlowState::TimedOut;
    ended.deadline = None;
    a.commit(&ended, 1, None).await.unwrap();
    assert!(!a
        .claim_deadline(later.id, now + Span::days(1), now + Span::days(2))
        .await
        .unwrap());
    for id in [due.id, later.id, almost.id] {
        a.delete(id).await.unwrap();
    }
}

async fn ending_frees_the_conversation_and_purge_drops_it(
    store: &dyn Store,
    channel: &dyn Fn(&str) -> String,
    run: &str,
    now: DateTime<Utc>,
) {
    let old = now - Span::days(10);
    let mut ended = record(&channel("D"), old);
    ended.updated_at = old;
    store.commit(&ended, 0, None).await.unwrap();
    let mut done = bumped(&ended);
    done.state = FlowState::Completed;
    store.commit(&done, 1, None).await.unwrap();
    assert!(
        store.active_for(&ended.key).await.unwrap().is_none(),
        "an ended flow is not active"
    );
    let fresh = record(&channel("D"), now);
    store
        .commit(&fresh, 0, None)
        .await
        .expect("an ended flow's conversation takes a new flow");
    let listed = store.list(false, 100_000).await.unwrap();
    assert!(
        listed.iter().any(|r| r.id == ended.id),
        "list(false) includes ended flows"
    );
    assert!(
        !store
            .list(true, 100_000)
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == ended.id),
        "list(true) only active"
    );

    let settled = received(&format!("EvOld{run}"), now - Span::hours(2));
    let pending = received(&format!("EvPend{run}"), now - Span::hours(2));
    let lease = now - Span::hours(2) + Span::seconds(10);
    store.receive(&settled, lease).await.unwrap();
    store.settle(&settled.key).await.unwrap();
    store.receive(&pending, lease).await.unwrap();

    let purged = store.purge(now - Span::days(7), now - Span::hours(1)).await.unwrap();
    assert!(
        purged.flows >= 1 && purged.events >= 1,
        "purge reports what it dropped: {purged:?}"
    );
    assert!(
        store.load(ended.id).await.unwrap().is_none(),
        "an old finished flow is purged"
    );
    assert!(
        store.load(fresh.id).await.unwrap().is_some(),
        "an active flow is never purged"
    );
    assert!(
        is_new(store.receive(&settled, lease).await.unwrap()),
        "an old settled event is forgotten"
    );
    assert_eq!(
        store
            .receive(
                &Received {
                    at: now,
                    ..pending.clone()
                },
                now + Span::seconds(10)
            )
            .await
            .unwrap(),
        Receipt::Pending,
        "a pending event is kept: it still has to be applied"
    );
    store.settle(&settled.key).await.unwrap();
    store.settle(&pending.key).await.unwrap();
    store.delete(fresh.id).await.unwrap();
}

async fn two_handles_race(a: &dyn Store, b: &dyn Store, channel: &dyn Fn(&str) -> String, now: DateTime<Utc>) {
    // One record, two writers at the same version, many times: exactly one wins each round.
    let mut current = record(&channel("R"), now);
    a.commit(&current, 0, None).await.unwrap();
    for round in 0..20 {
        let mut mine = bumped(&current);
        mine.metadata.insert("writer".into(), serde_json::json!("a"));
        let mut theirs = bumped(&current);
        theirs.metadata.insert("writer".into(), serde_json::json!("b"));
        let expected = current.version;
        let (ra, rb) = tokio::join!(a.commit(&mine, expected, None), b.commit(&theirs, expected, None));
        assert!(
            ra.is_ok() != rb.is_ok(),
            "round {round}: exactly one of two racing writes wins ({ra:?}, {rb:?})"
        );
        let a_won = ra.is_ok();
        assert!(
            conflict(if a_won { rb } else { ra }),
            "round {round}: the losing write is a conflict"
        );
        current = if a_won { mine } else { theirs };
        assert_eq!(
            b.load(current.id).await.unwrap().as_ref(),
            Some(&current),
            "round {round}: both handles read the winner"
        );
    }
    a.delete(current.id).await.unwrap();

    // One conversation, two new flows at once: the store lets exactly one be active.
    for round in 0..20 {
        let key = channel(&format!("S{round}"));
        let (one, two) = (record(&key, now), record(&key, now));
        let (r1, r2) = tokio::join!(a.commit(&one, 0, None), b.commit(&two, 0, None));
        assert!(
            r1.is_ok() != r2.is_ok(),
            "round {round}: exactly one new flow per conversation ({r1:?}, {r2:?})"
        );
        let winner = if r1.is_ok() { &one } else { &two };
        assert_eq!(a.active_for(&winner.key).await.unwrap().map(|r| r.id), Some(winner.id));
        a.delete(winner.id).await.unwrap();
    }

    // Due flows claimed by two handles at once: each is claimed by one of them.
    let mut ids = Vec::new();
    for n in 0..40 {
        let mut due = record(&channel(&format!("T{n}")), now);
        due.deadline = Some(now - Span::seconds(1));
        a.commit(&due, 0, None).await.unwrap();
        ids.push(due.id);
    }
    let lease = now + Span::seconds(60);
    let (ca, cb) = tokio::join!(a.claim_due(now, lease, 100_000), b.claim_due(now, lease, 100_000));
    let (ca, cb) = (ca.unwrap(), cb.unwrap());
    for id in &ids {
        let times = ca.iter().chain(&cb).filter(|r| r.id == *id).count();
        assert_eq!(times, 1, "a due flow is claimed exactly once");
    }
    for id in ids {
        a.delete(id).await.unwrap();
    }

    // Unsettled events claimed by two handles at once: each is claimed by one of them.
    let lease = now + Span::seconds(10);
    let events: Vec<Received> = (0..40)
        .map(|n| received(&format!("EvRace{n}-{}", channel("")), now + Span::milliseconds(n)))
        .collect();
    for event in &events {
        a.receive(event, lease).await.unwrap();
    }
    let after = lease + Span::seconds(1);
    let (ca, cb) = tokio::join!(
        a.claim_pending(after, after + Span::seconds(60), 100_000),
        b.claim_pending(after, after + Span::seconds(60), 100_000)
    );
    let (ca, cb) = (ca.unwrap(), cb.unwrap());
    for event in &events {
        let times = ca.iter().chain(&cb).filter(|r| r.key == event.key).count();
        assert_eq!(times, 1, "an abandoned event is claimed by exactly one worker");
        a.settle(&event.key).await.unwrap();
    }
    // Two deliveries of one new event at once: exactly one worker gets it.
    for round in 0..20 {
        let event = received(&format!("EvTwice{round}-{}", channel("")), now);
        let (r1, r2) = tokio::join!(a.receive(&event, lease), b.receive(&event, lease));
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        assert!(
            (is_new(r1) && r2 == Receipt::Busy) || (r1 == Receipt::Busy && is_new(r2)),
            "round {round}: one delivery is new, the other busy: {r1:?}, {r2:?}"
        );
        a.settle(&event.key).await.unwrap();
    }
    // Two events of one conversation received at once through the two handles: one of
    // them goes first, and the other waits for it, however the two receives interleave.
    for round in 0..20 {
        let event = |name: &str, at| received(&format!("Ev{name}{round}-{}", channel("")), at);
        let (early, late) = (event("Early", now), event("Late", now + Span::milliseconds(5)));
        let (late_goes, early_goes) = tokio::join!(goes_now(a, &late, lease), goes_now(b, &early, lease));
        assert!(
            late_goes != early_goes,
            "round {round}: exactly one of two events received at once goes first ({late_goes}, {early_goes})"
        );
        a.settle(&early.key).await.unwrap();
        a.settle(&late.key).await.unwrap();
    }
}

/// Whether a worker that receives `event` through `store` applies it at once, as the engine
/// decides: nothing else of its conversation was unsettled when it was stored (`NewFirst`),
/// or no other unsettled event of it is older.
async fn goes_now(store: &dyn Store, event: &Received, lease_until: DateTime<Utc>) -> bool {
    let receipt = store.receive(event, lease_until).await.unwrap();
    let older = store.oldest_unsettled(&event.conversation(), Some(&event.key)).await;
    receipt == Receipt::NewFirst || (is_new(receipt) && older.unwrap().is_none())
}

/// A worker renews the lease of the event it applies while the lease runs, so that a claim
/// through another handle leaves the event; once the lease has ended the renewal is refused.
async fn a_worker_keeps_its_lease(a: &dyn Store, b: &dyn Store, run: &str, now: DateTime<Utc>) {
    let (first_end, renewed_end) = (now + Span::seconds(10), now + Span::seconds(20));
    let event = received(&format!("EvL{run}"), now);
    assert!(is_new(a.receive(&event, first_end).await.unwrap()));
    assert!(
        a.renew_lease(&event.key, now + Span::seconds(3), renewed_end)
            .await
            .unwrap(),
        "a lease that runs is renewed"
    );
    let ours = |claimed: Vec<Received>| claimed.into_iter().any(|r| r.key == event.key);
    let past_first = first_end + Span::seconds(1);
    assert!(
        !ours(b.claim_pending(past_first, past_first, 100_000).await.unwrap()),
        "after its first end, a renewed lease still keeps the event from another handle's claim"
    );
    let mut repeat = event.clone();
    repeat.at = past_first;
    assert_eq!(
        b.receive(&repeat, past_first).await.unwrap(),
        Receipt::Busy,
        "and a repeat delivery is busy"
    );
    assert!(
        !a.renew_lease(&event.key, renewed_end, renewed_end + Span::seconds(10))
            .await
            .unwrap(),
        "a lease that ended is not renewed: another worker may hold the event now"
    );
    let taken = renewed_end + Span::seconds(30);
    assert!(
        ours(b.claim_pending(renewed_end, taken, 100_000).await.unwrap()),
        "the event is claimed once its renewed lease ends"
    );
    let unknown = format!("event:EvNever{run}");
    assert!(
        !a.renew_lease(&unknown, now, taken).await.unwrap(),
        "an event never received has no lease to renew"
    );
    b.settle(&event.key).await.unwrap();
    assert!(
        !a.renew_lease(&event.key, renewed_end, taken).await.unwrap(),
        "a settled event has no lease to renew"
    );
}

/// A flow started from code is kept as a received event (`start:<flow id>`, its flow, step
/// and conversation inside) until the write of its first step settles it: one whose worker
/// died is claimed again, and reads back whole.
async fn a_start_reads_back_whole(store: &dyn Store, run: &str, now: DateTime<Utc>) {
    let step = serde_json::json!({"Ask": {"topic": format!("the \"launch\" {run}")}});
    let start = FlowStart {
        flow: "checkin".into(),
        context: MessageContext::new("T_CONFORMANCE", "U1", format!("DSTART{run}")),
        step: step.into(),
    };
    let event = Received::new(Incoming::started(start, Uuid::new_v4()), now).expect("keyed by its flow id");
    let lease = now + Span::seconds(10);
    assert!(
        is_new(store.receive(&event, lease).await.unwrap()),
        "a start is received"
    );
    let after = lease + Span::seconds(1);
    let claimed = store
        .claim_pending(after, after + Span::seconds(30), 100_000)
        .await
        .unwrap();
    let claimed = claimed.into_iter().find(|r| r.key == event.key);
    let claimed = claimed.expect("a start whose worker died is claimed again");
    assert_eq!(claimed.incoming, event.incoming, "a start reads back whole");
    store.settle(&event.key).await.unwrap();
    assert_eq!(store.receive(&event, lease).await.unwrap(), Receipt::Settled);
}

/// `flows list --user U1`: the filters look at every record, not only the newest (a store
/// that reads records in pages reads past its first).
async fn a_users_flow_is_found_under_newer_ones(store: &dyn Store, run: &str, now: DateTime<Utc>) {
    let (user, other, name) = (format!("UFIND{run}"), format!("UOTHER{run}"), format!("find{run}"));
    let flow = |user: &str, n: usize, age: Span| {
        let context = MessageContext::new("T_CONFORMANCE", user, format!("DFIND{n}{run}"));
        let mut record = FlowRecord::new(&name, 1, serde_json::json!("Ask"), "Ask", context, now - age);
        (record.state, record.version) = (FlowState::WaitingForResponse, 1);
        record
    };
    let mut ended = flow(&user, 0, Span::hours(2));
    ended.state = FlowState::Completed;
    let waiting = flow(&user, 1, Span::hours(1));
    for record in [&ended, &waiting] {
        store.commit(record, 0, None).await.unwrap();
    }
    const NEWER: usize = 1_200;
    for n in 0..NEWER {
        let newer = flow(&other, n + 2, Span::milliseconds(n as i64));
        store.commit(&newer, 0, None).await.unwrap();
    }

    let listed = |active_only: bool, user: Option<&str>, flow: Option<&str>, limit: usize| {
        let filter = FlowFilter {
            active_only,
            user: user.map(str::to_owned),
            flow: flow.map(str::to_owned),
        };
        async move { store.list_where(&filter, limit).await.unwrap() }
    };
    let ids = |records: Vec<FlowRecord>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(listed(true, Some(&user), None, 10).await),
        [waiting.id],
        "the user's active flow, under {NEWER} newer ones"
    );
    assert_eq!(
        ids(listed(false, Some(&user), None, 10).await),
        [waiting.id, ended.id],
        "with the ended ones, newest first"
    );
    assert_eq!(
        ids(listed(false, Some(&user), None, 1).await),
        [waiting.id],
        "at most the limit"
    );
    assert_eq!(
        ids(listed(true, Some(&user), Some(&name), 10).await),
        [waiting.id],
        "a user's flows of one name"
    );
    assert!(
        listed(true, Some(&user), Some("another flow"), 10).await.is_empty(),
        "both filters hold"
    );
    let of_flow = listed(true, None, Some(&name), 3).await;
    assert_eq!(of_flow.len(), 3, "a flow's, at most the limit");
    assert!(
        of_flow.iter().all(|r| r.context.user_id == other) && of_flow[0].created_at >= of_flow[2].created_at,
        "the newest first"
    );
    assert_eq!(
        listed(true, None, Some(&name), NEWER + 10).await.len(),
        NEWER + 1,
        "all of them, past any page"
    );
}
