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

/// The bytes Slack sends for a DM and for a button click, as the HTTP ingress gets them.
fn wire_bodies() -> [(&'static str, Vec<u8>); 2] {
    let click = payloads::block_action(
        "T1",
        "U1",
        &payloads::ElementAt {
            channel: "D1",
            message_ts: "1700000000.000100",
            thread_ts: None,
            block_id: "decision",
        },
        serde_json::json!({"type": "button", "action_id": "approve", "value": "yes",
                           "text": {"type": "plain_text", "text": "Approve"}}),
        "13345224609.738474",
    );
    [
        ("message", serde_json::to_vec(&body("U1")).unwrap()),
        ("block_actions", serde_json::to_vec(&click).unwrap()),
    ]
}

/// Bytes to `Incoming` through a `serde_json::Value` (the ingress before the wire structs).
fn parse_through_value(c: &mut Criterion) {
    for (name, bytes) in wire_bodies() {
        c.bench_function(&format!("parse {name} bytes: Value, then from_json"), |b| {
            b.iter(|| {
                let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                slack_orchestrator::Incoming::from_json(&value).unwrap()
            })
        });
    }
}

/// Bytes to `Incoming` in one pass through the private wire structs (the ingress today).
fn parse_wire_structs(c: &mut Criterion) {
    for (name, bytes) in wire_bodies() {
        c.bench_function(&format!("parse {name} bytes: wire structs"), |b| {
            b.iter(|| slack_orchestrator::SlackJson::from_slice(&bytes).unwrap())
        });
    }
}

criterion_group!(benches, one_event, parse_through_value, parse_wire_structs);
criterion_main!(benches);
