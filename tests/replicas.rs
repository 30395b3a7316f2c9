//! Several replicas of one bot on one shared store (PostgreSQL at `DATABASE_URL`, Redis at
//! `REDIS_URL`; the local servers by default, each test in a schema or key prefix of its
//! own). Three processes of an example run as deployed behind a round-robin load balancer,
//! so consecutive events of one conversation land on different replicas; one replica is
//! killed with SIGKILL in the middle of the load and the other two finish its
//! conversations. Every conversation completes with the right texts, nothing is posted
//! twice, and every timeout fires once although three timer engines race for it.

mod processes;

use processes::{deliver_until_acked, onboard, Bot, Posts, RoundRobin};
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{self, FakeSlack, TEAM};
use std::time::Duration;
use tokio::time::{sleep, Instant};

const REPLICAS: usize = 3;

async fn replicas(example: &str, slack: &FakeSlack, store: &str) -> Vec<Bot> {
    let dir = std::env::temp_dir().join(format!("replicas-{example}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bots = Vec::new();
    for _ in 0..REPLICAS {
        bots.push(Bot::start_on(example, slack, store, &dir).await);
    }
    bots
}

async fn a_killed_replica_loses_nothing(store: String) {
    const USERS: usize = 150;
    let slack = FakeSlack::start().await;
    let posts = Posts::follow(&slack);
    let mut bots = replicas("onboarding", &slack, &store).await;
    let balancer = RoundRobin::new(&bots);
    let users: Vec<_> = (0..USERS)
        .map(|n| tokio::spawn(onboard(balancer.clone(), posts.clone(), n)))
        .collect();

    // SIGKILL one replica when about 40% of the posts are out; it does not come back.
    let at = 3 * USERS * 2 / 5;
    let deadline = Instant::now() + processes::PATIENCE;
    while posts.total() < at {
        assert!(Instant::now() < deadline, "stuck at {} posts", posts.total());
        sleep(Duration::from_millis(5)).await;
    }
    bots[1].kill();
    for user in users {
        user.await.expect("every conversation finished");
    }
    sleep(Duration::from_millis(500)).await; // anything posted twice would show by now

    for n in 0..USERS {
        assert_eq!(
            posts.in_channel(&format!("DU{n:04}")),
            [
                "Let's start the workflow. Step 1: What's your name?".to_owned(),
                format!("Nice to meet you, Name{n}! Step 2: What can I help you with?"),
                format!("Thanks, Name{n}! I'll help you with: request {n}"),
            ],
            "user {n}: every step's message exactly once, in order"
        );
    }
    // A flow whose last step the killed replica posted but never saved is finished by
    // another replica once the event's lease ends (its replay finds the post).
    bots[0].wait_completed(USERS).await;
}

async fn every_timeout_fires_once(store: String) {
    const USERS: usize = 30;
    let slack = FakeSlack::start().await;
    let posts = Posts::follow(&slack);
    let bots = replicas("quiz", &slack, &store).await;
    let balancer = RoundRobin::new(&bots);
    let channel = |n: usize| format!("DUQ{n:03}");
    let say = |n: usize, text: &str, ts: &str, id: String| {
        payloads::direct_message(TEAM, &format!("UQ{n:03}"), text, ts, &id)
    };
    for n in 0..USERS {
        deliver_until_acked(&balancer, &say(n, "hi", "1800000001.000001", format!("EvQuiz{n}"))).await;
    }
    // Each 20-second deadline is claimed by one of three timer engines.
    for n in 0..USERS {
        posts.wait(&channel(n), 2).await;
    }
    for n in 0..USERS {
        deliver_until_acked(&balancer, &say(n, "Paris", "1800000001.000002", format!("EvQuizA{n}"))).await;
    }
    for n in 0..USERS {
        posts.wait(&channel(n), 3).await;
    }
    sleep(Duration::from_millis(500)).await;
    for n in 0..USERS {
        assert_eq!(
            posts.in_channel(&channel(n)),
            [
                "Quick quiz: what is the capital of France? You have 20 seconds.",
                "Hint: it is called the City of Light. 20 more seconds.",
                "Correct: Paris!"
            ],
            "user {n}: the deadline fired exactly once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_replicas_one_killed_every_conversation_completes_once() {
    a_killed_replica_loses_nothing(testkit::postgres_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_three_replicas_one_killed_every_conversation_completes_once() {
    a_killed_replica_loses_nothing(testkit::redis_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_replicas_fire_every_timeout_once() {
    every_timeout_fires_once(testkit::postgres_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_three_replicas_fire_every_timeout_once() {
    every_timeout_fires_once(testkit::redis_url()).await;
}
