#![allow(missing_docs)] // criterion_main! generates an undocumented main
//! The cost of one in-process event: normalize + dedup + route + lock + step + save on the
//! memory store, with a Slack API that discards calls. `cargo bench --bench in_process`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use slack_orchestrator::payloads;
use slack_orchestrator::prelude::*;
use slack_orchestrator::RecordingSlack;
use std::sync::atomic::{AtomicU64, Ordering};

#[flow(trigger = direct_message, timeout = "30m")]
mod chat {
    use slack_orchestrator::prelude::*;

    /// Answers every message and keeps waiting.
    pub(crate) enum Chat {
        #[start]
        Listen,
    }

    #[step(Listen)]
    async fn listen(cx: &mut Cx, text: Text) -> Next<Chat> {
        cx.say(format!("got {} characters", text.len())).await?;
        stay()
    }
}

static IDS: AtomicU64 = AtomicU64::new(0);

fn body(user: &str) -> serde_json::Value {
    let n = IDS.fetch_add(1, Ordering::Relaxed);
    payloads::direct_message(
        "T1",
        user,
        "hello there",
        &format!("1700000000.{n:06}"),
        &format!("Ev{n}"),
    )
}

fn one_event(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let orchestrator = Orchestrator::builder()
        .flow::<chat::Chat>()
        .slack(RecordingSlack::discarding())
        .build()
        .unwrap();
    runtime.block_on(orchestrator.handle_json(&body("U1"))).unwrap();

    c.bench_function("event on an active flow (memory store)", |b| {
        b.iter_batched(
            || body("U1"),
            |event| runtime.block_on(orchestrator.handle_json(&event)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("event that starts a flow (memory store)", |b| {
        b.iter_batched(
            || body(&format!("U{}", IDS.fetch_add(1, Ordering::Relaxed))),
            |event| runtime.block_on(orchestrator.handle_json(&event)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("normalize a message event", |b| {
        b.iter_batched(
            || body("U1"),
            |event| slack_orchestrator::Incoming::from_json(&event).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, one_event);
criterion_main!(benches);
