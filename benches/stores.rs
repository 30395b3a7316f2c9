#![allow(missing_docs)] // criterion_main! generates an undocumented main
//! The store operations on an event's path, per backend: `load` (by id), `commit` (a
//! compare-and-swap that settles the event), `receive` (dedup of a new event, then of a
//! repeat). `cargo bench --bench stores`.
//!
//! SQLite is measured one operation at a time, i.e. without the grouping of concurrent
//! writes into one transaction that the bot gets under load (`orchestrator-bench` shows that).

use criterion::{criterion_group, criterion_main, Criterion};
use slack_orchestrator::{FlowRecord, FlowState, Incoming, MessageContext, Received, Store};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static IDS: AtomicU64 = AtomicU64::new(0);

fn received() -> Received {
    let n = IDS.fetch_add(1, Ordering::Relaxed);
    let body = slack_orchestrator::payloads::direct_message("T1", "U1", "hello", "1.1", &format!("EvBench{n}"));
    Received::new(Incoming::from_json(&body).unwrap().unwrap(), chrono::Utc::now()).unwrap()
}

fn lease() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::seconds(10)
}

fn stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bench-stores-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}", dir.join("bench.db").display());
    for (name, url) in [("memory", "memory:"), ("sqlite", sqlite.as_str())] {
        let store: Arc<dyn Store> = runtime.block_on(slack_orchestrator::store::open(url)).unwrap();
        let context = MessageContext::new("T1", "U1", "DBENCH");
        let mut record = FlowRecord::new(
            "bench",
            1,
            serde_json::json!("Listen"),
            "Listen",
            context,
            chrono::Utc::now(),
        );
        record.state = FlowState::WaitingForResponse;
        record.version = 1;
        runtime.block_on(store.commit(&record, 0, None)).unwrap();

        c.bench_function(&format!("{name}: load"), |b| {
            b.iter(|| runtime.block_on(store.load(record.id)).unwrap().unwrap())
        });
        c.bench_function(&format!("{name}: commit (compare-and-swap + settle)"), |b| {
            b.iter(|| {
                let event = received();
                let expected = record.version;
                record.version += 1;
                record.remember_applied(&event.key);
                runtime
                    .block_on(store.commit(&record, expected, Some(&event.key)))
                    .unwrap();
            })
        });
        c.bench_function(&format!("{name}: receive a new event"), |b| {
            b.iter(|| runtime.block_on(store.receive(&received(), lease())).unwrap())
        });
        let repeat = received();
        runtime.block_on(store.receive(&repeat, lease())).unwrap();
        c.bench_function(&format!("{name}: receive a repeat (dedup)"), |b| {
            b.iter(|| runtime.block_on(store.receive(&repeat, lease())).unwrap())
        });
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
