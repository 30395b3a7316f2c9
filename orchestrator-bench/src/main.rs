//! Load generator: plays many users through the onboarding conversation of
//! `examples/onboarding.rs` against the bot's real HTTP endpoint, with the test kit's fake
//! Slack answering the Web API, all on loopback in this process.
//!
//! ```text
//! cargo run --release -p orchestrator-bench -- http
//! ```
//!
//! Phase 1 (throughput): `--users` conversations, `--concurrency` at a time; each user sends
//! an event, waits for the bot's reply at the fake Slack, then sends the next. Phase 2
//! (latency under load): new conversations started at `--rate` events/s for `--seconds`.
//! `--store sqlite://FILE` runs the same against the SQLite store (durable acks).
//!
//! ```text
//! cargo run --release -p orchestrator-bench -- open --events 1000000
//! ```
//!
//! Every event opens a conversation that stays open (in process, no HTTP): the rate per
//! block of events shows whether the engine slows down as open conversations pile up, and
//! the resident memory what they cost.

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/onboarding.rs"]
mod onboarding_example;

use clap::{Parser, Subcommand};
use onboarding_example::onboarding::Onboarding;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{LiveBot, SignedSender, Transport, TEAM};
use slack_orchestrator::Orchestrator;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

#[derive(Parser)]
#[command(about = "Load generator for slack-orchestrator")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drive the onboarding bot over its HTTP Events API endpoint.
    Http {
        /// Conversations in the throughput phase.
        #[arg(long, default_value_t = 3000)]
        users: usize,
        /// Conversations in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Events per second in the latency phase.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Length of the latency phase.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// The store: `memory:` or `sqlite://FILE`.
        #[arg(long, default_value = "memory:")]
        store: String,
    },
    /// Open conversations that stay open, in process; report the rate per block.
    Open {
        /// Events (= conversations opened).
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Events per reported block.
        #[arg(long, default_value_t = 100_000)]
        block: usize,
        /// Events in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// The store: `memory:` or `sqlite://FILE`.
        #[arg(long, default_value = "memory:")]
        store: String,
    },
}

/// The resident memory of this process, from `/proc/self/status` (Linux).
fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn open(events: usize, block: usize, concurrency: usize, store: &str) {
    let store = slack_orchestrator::store::open(store).await.expect("a store");
    let orchestrator = Orchestrator::builder()
        .flow::<Onboarding>()
        .store(store)
        .slack(slack_orchestrator::RecordingSlack::discarding())
        .build()
        .expect("a bot");
    println!("{events} events, each opening a conversation that stays open ({concurrency} in flight)");
    let mut first_rate = None;
    let mut done = 0;
    while done < events {
        let n = block.min(events - done);
        let started = Instant::now();
        let gate = Arc::new(Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for i in done..done + n {
            let permit = gate.clone().acquire_owned().await.expect("open semaphore");
            let orchestrator = orchestrator.clone();
            tasks.spawn(async move {
                let outcome = orchestrator.handle_json(&event(&format!("O{i:08}"), "hi", 0)).await;
                drop(permit);
                outcome
            });
            while let Some(done) = tasks.try_join_next() {
                done.expect("a task").expect("handled");
            }
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("a task").expect("handled");
        }
        done += n;
        let rate = n as f64 / started.elapsed().as_secs_f64();
        let first = *first_rate.get_or_insert(rate);
        println!(
            "open {done:>9}  events/s {rate:>9.0}  ({:>5.1}% of the first block)  rss {:>7.1} MiB",
            100.0 * rate / first,
            resident_mib()
        );
    }
}

/// Where replies posted to each DM channel are announced.
type Waiters = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Instant>>>>;

const CONVERSATION: [&str; 3] = ["hi", "Alice", "setting up deploys"];
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

fn event(user: &str, text: &str, n: usize) -> serde_json::Value {
    payloads::direct_message(
        TEAM,
        user,
        text,
        &format!("1900000000.{n:06}"),
        &format!("EvLoad{user}x{n}"),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<28} n={:<7} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms",
        samples.len(),
        percentile(&samples, 50.0).as_secs_f64() * 1e3,
        percentile(&samples, 99.0).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

/// One user through the whole conversation; returns (ack latencies, reply latencies).
async fn converse(
    sender: SignedSender,
    waiters: Waiters,
    user: String,
) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    let (tx, mut replies) = mpsc::unbounded_channel();
    waiters.lock().unwrap().insert(format!("D{user}"), tx);
    let (mut acks, mut reply_latencies) = (Vec::new(), Vec::new());
    for (n, text) in CONVERSATION.iter().enumerate() {
        let started = Instant::now();
        let sent = sender.event(&event(&user, text, n)).await;
        acks.push(started.elapsed());
        if sent.status != 200 {
            return Err(format!("{user}: HTTP {}", sent.status));
        }
        match tokio::time::timeout(REPLY_TIMEOUT, replies.recv()).await {
            Ok(Some(at)) => reply_latencies.push(at.saturating_duration_since(started)),
            _ => return Err(format!("{user}: no reply to {text:?}")),
        }
    }
    waiters.lock().unwrap().remove(&format!("D{user}"));
    Ok((acks, reply_latencies))
}

async fn http(users: usize, concurrency: usize, rate: u64, seconds: u64, store: &str) {
    let store = slack_orchestrator::store::open(store).await.expect("a store");
    let bot = LiveBot::start(
        Transport::Http,
        Orchestrator::builder().flow::<Onboarding>().store(store),
    )
    .await;
    let sender = bot.sender().expect("an HTTP bot").clone();
    let waiters: Waiters = Arc::default();
    let mut posted = bot.slack().subscribe();
    let routes = waiters.clone();
    tokio::spawn(async move {
        loop {
            match posted.recv().await {
                Ok(call) if call.method == "chat.postMessage" => {
                    let channel = call.args["channel"].as_str().unwrap_or_default().to_owned();
                    if let Some(waiter) = routes.lock().unwrap().get(&channel) {
                        let _ = waiter.send(call.at);
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("lost {n} reply notices"),
                Err(_) => break,
            }
        }
    });

    println!(
        "phase 1: {users} conversations x {} events, {concurrency} at a time",
        CONVERSATION.len()
    );
    let gate = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for u in 0..users {
        let permit = gate.clone().acquire_owned().await.expect("open semaphore");
        let (sender, waiters) = (sender.clone(), waiters.clone());
        tasks.spawn(async move {
            let result = converse(sender, waiters, format!("U{u:07}")).await;
            drop(permit);
            result
        });
    }
    let (mut acks, mut replies, mut failures) = (Vec::new(), Vec::new(), 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("a user task") {
            Ok((a, r)) => {
                acks.extend(a);
                replies.extend(r);
            }
            Err(error) => {
                failures += 1;
                eprintln!("{error}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let completed = users - failures;
    println!(
        "conversations/s  {:>10.0}   ({completed} completed, {failures} failed, {elapsed:.2} s)",
        completed as f64 / elapsed
    );
    println!("events/s         {:>10.0}", acks.len() as f64 / elapsed);
    report("ack latency", acks);
    report("event-to-reply latency", replies);

    println!("phase 2: new conversations at {rate} events/s for {seconds} s");
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let per_ms = rate as f64 / 1000.0;
    let total = (rate * seconds) as usize;
    let mut tasks = tokio::task::JoinSet::new();
    let (mut due, mut sent) = (0.0, 0usize);
    let phase = Instant::now();
    while sent < total {
        ticker.tick().await;
        due += per_ms;
        while sent < total && (sent as f64) < due {
            let sender = sender.clone();
            let user = format!("P{sent:07}");
            tasks.spawn(async move {
                let started = Instant::now();
                let answer = sender.event(&event(&user, "hi", 0)).await;
                (answer.status, started.elapsed())
            });
            sent += 1;
        }
    }
    let mut acks = Vec::new();
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (status, latency) = done.expect("a sender task");
        if status != 200 {
            refused += 1;
        }
        acks.push(latency);
    }
    println!(
        "offered          {:>10.0} events/s over {:.2} s ({refused} non-200)",
        total as f64 / phase.elapsed().as_secs_f64(),
        phase.elapsed().as_secs_f64()
    );
    report("ack latency at rate", acks);
    bot.stop().await;
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match args.command {
        Command::Http {
            users,
            concurrency,
            rate,
            seconds,
            store,
        } => runtime.block_on(http(users, concurrency, rate, seconds, &store)),
        Command::Open {
            events,
            block,
            concurrency,
            store,
        } => runtime.block_on(open(events, block, concurrency, &store)),
    }
}
