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
//! `--baseline` drives the hand-written axum + slack-morphism bot instead, and
//! `--side-by-side ROUNDS` both in turn, reporting the medians of events/s and of CPU time
//! per event, their ratios and the median of the rounds' own ratios.
//! `--store sqlite://FILE` runs the same against the SQLite store (durable acks);
//! `--store postgres://… --replicas 3` against three bots sharing one PostgreSQL (or Redis),
//! each event sent to the next bot in turn.
//!
//! ```text
//! cargo run --release -p orchestrator-bench -- open --events 1000000
//! ```
//!
//! Every event opens a conversation that stays open (in process, no HTTP): the rate per
//! block of events shows whether the engine slows down as open conversations pile up, and
//! the resident memory what they cost.
//!
//! ```text
//! cargo run --release -p orchestrator-bench -- timers --flows 100000 --rate 10000
//! ```
//!
//! Opens `--flows` conversations at `--rate` per second, each waiting with a 10 s deadline,
//! so that the deadlines fall due at that rate; the timer engine fires them. Reports the
//! expiries per second and how late each fired. With `--store sqlite://FILE` it also
//! reopens the file afterwards and reports how long a restart takes to be ready.

// slack-orchestrator's `mimalloc` feature (on by default) makes mimalloc this binary's
// allocator, as in every bot binary: the framework's bot and the baseline share it.
#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/onboarding.rs"]
mod onboarding_example;

mod baseline;

use clap::{Parser, Subcommand};
use onboarding_example::Onboarding;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, LiveBot, SignedSender, Transport, SIGNING_SECRET, TEAM};
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
        /// Drive the hand-written axum + slack-morphism bot instead (the baseline).
        #[arg(long)]
        baseline: bool,
        /// Drive the framework's bot and the baseline in turn, this many rounds each (the
        /// first of each pair alternates), and report both medians and their ratio: side by
        /// side in one run, since a shared machine's speed drifts between runs.
        #[arg(long, value_name = "ROUNDS", conflicts_with = "baseline")]
        side_by_side: Option<usize>,
        /// Bots sharing the store, each with its own connections and HTTP server, behind a
        /// round-robin balancer (use a shared store: `postgres://…` or `redis://…`).
        #[arg(long, default_value_t = 1)]
        replicas: usize,
    },
    /// Deadlines falling due at a given rate; report expiries/s and lateness.
    Timers {
        /// Conversations (= deadlines).
        #[arg(long, default_value_t = 100_000)]
        flows: usize,
        /// Conversations opened (and deadlines due) per second.
        #[arg(long, default_value_t = 10_000)]
        rate: usize,
        /// The store: `memory:`, `sqlite://FILE`, `postgres://…` or `redis://…`.
        #[arg(long, default_value = "memory:")]
        store: String,
        /// Bots sharing the store, each with its own timer engine racing for the deadlines.
        #[arg(long, default_value_t = 1)]
        replicas: usize,
        /// Write the waiting flows into the store first (as a bot restarting with them
        /// would find them), with deadlines falling due at `--rate` from a moment after,
        /// instead of opening them while earlier ones fire: measures the timer engine alone.
        #[arg(long)]
        preload: bool,
        /// Each flow posts a question when it opens (as a reminder flow does), so its
        /// deadline also waits for replies in the thread under it: one more store read
        /// per timeout.
        #[arg(long)]
        post: bool,
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

/// A conversation that waits 10 s and records how late its deadline fired.
#[slack_orchestrator::flow(trigger = direct_message, timeout = "10s")]
mod waiting {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Waiting {
        #[start]
        Open,
        Wait,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx) -> Next<Waiting> {
        if super::POSTS.load(std::sync::atomic::Ordering::Relaxed) {
            cx.say("Still there? Answer in the thread.").await?;
        }
        goto(Waiting::Wait)
    }

    #[step(Wait)]
    async fn expired(cx: &mut Cx, deadline: Timeout) -> Next<Waiting> {
        let late = (cx.now() - deadline.deadline).to_std().unwrap_or_default();
        super::LATENESS
            .lock()
            .unwrap()
            .push((tokio::time::Instant::now(), late));
        complete_silently()
    }
}

/// When each deadline fired and how late.
static LATENESS: Mutex<Vec<(Instant, Duration)>> = Mutex::new(Vec::new());

/// Whether the waiting flows post a question when they open (`timers --post`).
static POSTS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn timers(flows: usize, rate: usize, store_url: &str, replicas: usize, preload: bool) {
    let mut bots = Vec::new();
    for _ in 0..replicas.max(1) {
        let store = slack_orchestrator::store::open(store_url).await.expect("a store");
        let orchestrator = Orchestrator::builder()
            .flow::<waiting::Waiting>()
            .store(store)
            .slack(slack_orchestrator::RecordingSlack::discarding())
            .build()
            .expect("a bot");
        bots.push(orchestrator);
    }
    // The last deadline is `flows / rate` seconds after the first, which is 10 s away
    // (opened flows) or after the preloading.
    let mut patience = Duration::from_secs_f64(flows as f64 / rate as f64) + Duration::from_secs(60);
    if preload {
        patience += preload_waiting(&bots[0], flows, rate).await;
    }
    let engines: Vec<_> = bots.iter().map(Orchestrator::spawn_timers).collect();
    if !preload {
        open_waiting(&bots, flows, rate).await;
    }
    let deadline = Instant::now() + patience;
    while LATENESS.lock().unwrap().len() < flows && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // a timeout fired twice would show now
    for engine in &engines {
        engine.abort();
    }
    println!("resident memory  {:>10.1} MiB after they fired", resident_mib());
    let fired = std::mem::take(&mut *LATENESS.lock().unwrap());
    let first = fired.iter().map(|(at, _)| *at).min().unwrap_or_else(Instant::now);
    let last = fired.iter().map(|(at, _)| *at).max().unwrap_or_else(Instant::now);
    if fired.len() > flows {
        println!("fired twice      {:>10}", fired.len() - flows);
    }
    println!(
        "expiries/s       {:>10.0}   ({} of {flows} fired over {:.2} s)",
        fired.len() as f64 / (last - first).as_secs_f64().max(1e-9),
        fired.len(),
        (last - first).as_secs_f64()
    );
    report(
        "fired after deadline",
        fired.into_iter().map(|(_, late)| late).collect(),
    );
    if store_url.starts_with("sqlite") {
        drop(bots);
        restart::<waiting::Waiting>(store_url).await;
    }
}

/// Writes `flows` waiting flows straight into the store, copies of one the bot opened,
/// with deadlines falling due at `rate` per second from a moment after the writing ends;
/// returns how far away the first deadline is then.
async fn preload_waiting(bot: &Orchestrator, flows: usize, rate: usize) -> Duration {
    bot.handle_json(&event("Wtemplate", "hi", 0)).await.expect("handled");
    let store = bot.store().clone();
    let template = store
        .list(true, 1)
        .await
        .expect("listed")
        .pop()
        .expect("the template flow");
    store.delete(template.id).await.expect("deleted");
    // Deadlines start after the writing, which goes at 15,000/s or more here.
    let start = bot.now() + chrono::Duration::milliseconds((flows as f64 / 15.0) as i64 + 10_000);
    println!("{flows} waiting flows written into the store, deadlines due at {rate}/s from then");
    let began = Instant::now();
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..flows {
        let permit = gate.clone().acquire_owned().await.expect("open semaphore");
        let mut record = template.clone();
        record.id = uuid::Uuid::new_v4();
        record.context.channel_id = format!("DW{i:08}");
        record.key = record.context.conversation_key();
        record.version = 1;
        record.deadline = Some(start + chrono::Duration::microseconds((i as f64 * 1e6 / rate as f64) as i64));
        let store = store.clone();
        tasks.spawn(async move {
            store.commit(&record, 0, None).await.expect("written");
            drop(permit);
        });
        // Let go of the finished writers as we go: a million of them kept until the end
        // would count in the resident memory reported for the bot.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let away = (start - bot.now()).to_std().unwrap_or_default();
    println!(
        "written          {:>10.0} flows/s; the first deadline is {:.1} s away",
        flows as f64 / began.elapsed().as_secs_f64(),
        away.as_secs_f64()
    );
    println!("resident memory  {:>10.1} MiB with the flows waiting", resident_mib());
    away
}

/// Opens `flows` conversations at `rate` per second (round-robin over the bots), each
/// waiting with a 10 s deadline, while the earlier ones fall due.
async fn open_waiting(bots: &[Orchestrator], flows: usize, rate: usize) {
    println!(
        "{flows} conversations opened at {rate}/s, each with a 10 s deadline; {} timer engine(s)",
        bots.len()
    );
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    let per_tick = (rate / 100).max(1);
    let mut opened = 0;
    let gate = Arc::new(Semaphore::new(256));
    while opened < flows {
        ticker.tick().await;
        for i in opened..(opened + per_tick).min(flows) {
            let permit = gate.clone().acquire_owned().await.expect("open semaphore");
            let orchestrator = bots[i % bots.len()].clone();
            tokio::spawn(async move {
                orchestrator
                    .handle_json(&event(&format!("W{i:08}"), "hi", 0))
                    .await
                    .expect("handled");
                drop(permit);
            });
        }
        opened = (opened + per_tick).min(flows);
    }
    println!(
        "opened           {:>10.0} conversations/s",
        flows as f64 / started.elapsed().as_secs_f64()
    );
}

/// Reopens a durable store as a restarted bot would, and reports how long until it is ready:
/// open (and migrate) the file, apply pending events, find the next deadline.
async fn restart<F: slack_orchestrator::Flow>(store_url: &str) {
    let started = Instant::now();
    let store = slack_orchestrator::store::open(store_url).await.expect("reopen");
    let orchestrator = Orchestrator::builder()
        .flow::<F>()
        .store(store.clone())
        .slack(slack_orchestrator::RecordingSlack::discarding())
        .build()
        .expect("a bot");
    orchestrator.recover().await.expect("recover");
    store.next_deadline().await.expect("next deadline");
    println!(
        "restart ready in {:>10.3} s (open, migrate, replay pending, next deadline)",
        started.elapsed().as_secs_f64()
    );
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

/// CPU time this process has used so far (all threads, user and system), from
/// `/proc/self/stat` (read by hand: std has no `getrusage`, and one file read beats a
/// dependency). The kernel reports it in USER_HZ ticks, which are 1/100 s on Linux.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime), counted after the parenthesised command name.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

async fn open(events: usize, block: usize, concurrency: usize, store_url: &str) {
    let store = slack_orchestrator::store::open(store_url).await.expect("a store");
    let orchestrator = Orchestrator::builder()
        .flow::<Onboarding>()
        .store(store)
        .slack(slack_orchestrator::RecordingSlack::discarding())
        .build()
        .expect("a bot");
    println!("{events} events, each opening a conversation that stays open ({concurrency} in flight)");
    let mut first_rate = None;
    let mut shares = Vec::new();
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
        let share = 100.0 * rate / *first_rate.get_or_insert(rate);
        shares.push(share);
        println!(
            "open {done:>9}  events/s {rate:>9.0}  ({share:>5.1}% of the first block)  rss {:>7.1} MiB",
            resident_mib()
        );
    }
    // A hash table doubles (at 7/8 of a power of two) inside some blocks: those blocks pay
    // for the larger table's fresh memory, the others show the steady cost of an event.
    shares.sort_by(f64::total_cmp);
    if let (Some(lowest), Some(median)) = (shares.first(), shares.get(shares.len() / 2)) {
        println!("blocks' rates against the first: median {median:.1}%, lowest {lowest:.1}%");
    }
    if store_url.starts_with("sqlite") {
        drop(orchestrator);
        restart::<Onboarding>(store_url).await;
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

/// Passes each post the fake Slack `slack` receives to the user waiting in its channel.
fn follow_replies(slack: &FakeSlack, waiters: Waiters) {
    let mut posted = slack.subscribe();
    tokio::spawn(async move {
        while let Some(call) = posted.recv().await {
            if call.method == "chat.postMessage" {
                let channel = call.args["channel"].as_str().unwrap_or_default();
                if let Some(waiter) = waiters.lock().unwrap().get(channel) {
                    let _ = waiter.send(call.at);
                }
            }
        }
    });
}

/// Sends each event to the next bot in turn, as a round-robin load balancer would.
#[derive(Clone)]
struct Balancer {
    senders: Arc<Vec<SignedSender>>,
    next: Arc<std::sync::atomic::AtomicUsize>,
}

impl Balancer {
    fn new(senders: Vec<SignedSender>) -> Balancer {
        Balancer {
            senders: Arc::new(senders),
            next: Arc::default(),
        }
    }

    async fn event(&self, body: &serde_json::Value) -> slack_orchestrator::testkit::Sent {
        let index = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.senders.len();
        self.senders[index].event(body).await
    }
}

/// One user through the whole conversation; returns (ack latencies, reply latencies).
async fn converse(sender: Balancer, waiters: Waiters, user: String) -> Result<(Vec<Duration>, Vec<Duration>), String> {
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

/// The bot under load: the framework's (one [`LiveBot`] per replica) or the hand-written
/// baseline.
enum Target {
    Framework(Vec<LiveBot>),
    Baseline(FakeSlack, tokio::task::JoinHandle<()>),
}

impl Target {
    async fn start(baseline: bool, store: &str, replicas: usize) -> (Target, Balancer) {
        if baseline {
            let slack = FakeSlack::start().await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
            let url = format!("http://{}", listener.local_addr().expect("bound"));
            let api_url = slack.api_url();
            let server = tokio::spawn(async move { baseline::serve(listener, &api_url, SIGNING_SECRET).await });
            let sender = Balancer::new(vec![SignedSender::new(&url, SIGNING_SECRET)]);
            return (Target::Baseline(slack, server), sender);
        }
        let mut bots = Vec::new();
        for _ in 0..replicas.max(1) {
            // Each replica opens the store itself: its own connections, as a process has.
            let store = slack_orchestrator::store::open(store).await.expect("a store");
            let builder = Orchestrator::builder().flow::<Onboarding>().store(store);
            bots.push(LiveBot::start(Transport::Http, builder).await);
        }
        let senders = bots.iter().map(|b| b.sender().expect("an HTTP bot").clone()).collect();
        (Target::Framework(bots), Balancer::new(senders))
    }

    fn slacks(&self) -> Vec<&FakeSlack> {
        match self {
            Target::Framework(bots) => bots.iter().map(LiveBot::slack).collect(),
            Target::Baseline(slack, _) => vec![slack],
        }
    }

    async fn stop(self) {
        match self {
            Target::Framework(bots) => {
                for bot in bots {
                    drop(bot.stop().await);
                }
            }
            Target::Baseline(_, server) => server.abort(),
        }
    }
}

/// The load of the `http` command.
#[derive(Clone, Copy)]
struct HttpLoad {
    users: usize,
    concurrency: usize,
    rate: u64,
    seconds: u64,
}

/// What phase 1 of an `http` run measured.
#[derive(Clone, Copy)]
struct Phase1 {
    events_per_second: f64,
    /// The whole process's CPU time per event (load generator and fake Slack included, the
    /// same for either bot): what the events cost, beside how fast they went.
    cpu_us_per_event: f64,
}

/// `rounds` pairs of runs, the framework's bot (on `store`) and the baseline, the first of
/// each pair alternating; prints each pair, then the medians of events/s and of CPU time
/// per event and their ratios.
async fn side_by_side(rounds: usize, load: HttpLoad, store: &str, replicas: usize) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=rounds.max(1) {
        let baseline_first = round % 2 == 0;
        for baseline in [baseline_first, !baseline_first] {
            let measured = http(load, store, baseline, replicas).await;
            match baseline {
                true => theirs.push(measured),
                false => ours.push(measured),
            }
        }
        let (o, t) = (ours[round - 1], theirs[round - 1]);
        println!(
            "round {round}: slack-orchestrator {:.0} events/s {:.1} µs CPU/event, baseline {:.0} events/s {:.1} µs CPU/event\n",
            o.events_per_second, o.cpu_us_per_event, t.events_per_second, t.cpu_us_per_event
        );
    }
    // Each round's own ratio too: the machine's speed drifts between rounds, and a pair
    // run back to back shares the drift, where the two medians may come from different rounds.
    let summary = |name: &str, unit: &str, of: fn(&Phase1) -> f64| {
        let ratios = ours.iter().zip(&theirs).map(|(o, t)| of(o) / of(t)).collect();
        let (o, t) = (
            median(ours.iter().map(of).collect()),
            median(theirs.iter().map(of).collect()),
        );
        println!(
            "median {name}  slack-orchestrator {o:.1}, baseline {t:.1} {unit}: ratio {:.2}; median of the rounds' ratios {:.2}",
            o / t,
            median(ratios)
        );
    };
    summary("events/s", "events/s", |m| m.events_per_second);
    summary("CPU/event", "µs", |m| m.cpu_us_per_event);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One run of the `http` command's two phases; returns what phase 1 measured.
async fn http(load: HttpLoad, store: &str, baseline: bool, replicas: usize) -> Phase1 {
    let HttpLoad {
        users,
        concurrency,
        rate,
        seconds,
    } = load;
    let (bot, sender) = Target::start(baseline, store, replicas).await;
    match baseline {
        true => println!("bot: hand-written axum + slack-morphism (baseline)"),
        false => println!("bot: slack-orchestrator on {store}, {replicas} replica(s)"),
    }
    let waiters: Waiters = Arc::default();
    for slack in bot.slacks() {
        follow_replies(slack, waiters.clone());
    }

    println!(
        "phase 1: {users} conversations x {} events, {concurrency} at a time",
        CONVERSATION.len()
    );
    let gate = Arc::new(Semaphore::new(concurrency));
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
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
    let (elapsed, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_before);
    let completed = users - failures;
    println!(
        "conversations/s  {:>10.0}   ({completed} completed, {failures} failed, {elapsed:.2} s)",
        completed as f64 / elapsed
    );
    let events_per_second = acks.len() as f64 / elapsed;
    let cpu_us_per_event = cpu * 1e6 / acks.len().max(1) as f64;
    println!("events/s         {events_per_second:>10.0}");
    println!("CPU per event    {cpu_us_per_event:>10.1} µs   (the whole process: load generator, fake Slack, bot)");
    report("ack latency", acks);
    report("event-to-reply latency", replies);
    let mut calls: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for method in bot.slacks().iter().flat_map(|slack| slack.methods()) {
        *calls.entry(method).or_default() += 1;
    }
    println!("slack calls      {calls:?}");

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
    Phase1 {
        events_per_second,
        cpu_us_per_event,
    }
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
            baseline,
            side_by_side: rounds,
            replicas,
        } => {
            let load = HttpLoad {
                users,
                concurrency,
                rate,
                seconds,
            };
            match rounds {
                Some(rounds) => runtime.block_on(side_by_side(rounds, load, &store, replicas)),
                None => {
                    runtime.block_on(http(load, &store, baseline, replicas));
                }
            }
        }
        Command::Open {
            events,
            block,
            concurrency,
            store,
        } => runtime.block_on(open(events, block, concurrency, &store)),
        Command::Timers {
            flows,
            rate,
            store,
            replicas,
            preload,
            post,
        } => {
            POSTS.store(post, std::sync::atomic::Ordering::Relaxed);
            runtime.block_on(timers(flows, rate, &store, replicas, preload))
        }
    }
}
