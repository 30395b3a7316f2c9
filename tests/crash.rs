//! Crash tests. The examples run as child processes, exactly as deployed (`run` with Slack
//! settings, a real SQLite file, signed HTTP from the test kit's sender, the fake Slack Web
//! API on loopback). The bot is killed with SIGKILL in the middle of many concurrent
//! conversations and started again on the same file, several times, at different moments.
//! Events the bot did not ack are delivered again as Slack does (same `event_id`,
//! `X-Slack-Retry-Num`); acked ones are not. Afterwards every conversation must have
//! completed with the right texts, each posted exactly once.
//!
//! The examples are built by `cargo test` (as every example is); this file finds them
//! beside its own binary.

mod processes;

use processes::{deliver_until_acked, onboard, Bot, Posts, PATIENCE};
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, SignedSender, SIGNING_SECRET, TEAM};
use std::time::Duration;
use tokio::time::{sleep, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_many_conversations_loses_nothing_and_posts_nothing_twice() {
    const USERS: usize = 200;
    let slack = FakeSlack::start().await;
    let posts = Posts::follow(&slack);
    let mut bot = Bot::start("onboarding", &slack).await;
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    let users: Vec<_> = (0..USERS)
        .map(|n| tokio::spawn(onboard(sender.clone(), posts.clone(), n)))
        .collect();

    // Kill at different moments of the load: after a fifth, half, and most of the posts.
    for share in [0.2, 0.5, 0.8] {
        let at = (share * (3 * USERS) as f64) as usize;
        let deadline = Instant::now() + PATIENCE;
        while posts.total() < at {
            assert!(Instant::now() < deadline, "stuck at {} posts", posts.total());
            sleep(Duration::from_millis(5)).await;
        }
        bot.kill();
        sleep(Duration::from_millis(300)).await; // Slack keeps delivering into the void
        bot.restart().await;
    }
    for user in users {
        user.await.expect("every conversation finished");
    }

    for n in 0..USERS {
        let posted = posts.in_channel(&format!("DU{n:04}"));
        assert_eq!(
            posted,
            [
                "Let's start the workflow. Step 1: What's your name?".to_owned(),
                format!("Nice to meet you, Name{n}! Step 2: What can I help you with?"),
                format!("Thanks, Name{n}! I'll help you with: request {n}"),
            ],
            "user {n}: every step's message exactly once, in order (bot started {} times)",
            bot.starts
        );
    }
    // Another process reads every flow from the file, each COMPLETED (one whose last post
    // was made just before a kill is completed by its replay once its lease ends).
    bot.wait_completed(USERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_due_while_the_bot_was_down_fire_once_after_the_restart() {
    const USERS: usize = 30;
    let slack = FakeSlack::start().await;
    let posts = Posts::follow(&slack);
    let mut bot = Bot::start("quiz", &slack).await;
    let sender = SignedSender::new(&bot.url(), SIGNING_SECRET);
    let question = "Quick quiz: what is the capital of France? You have 20 seconds.";
    for n in 0..USERS {
        let body = payloads::direct_message(
            TEAM,
            &format!("UQ{n:03}"),
            "hi",
            "1800000001.000001",
            &format!("EvQuiz{n}"),
        );
        deliver_until_acked(&sender, &body).await;
    }
    for n in 0..USERS {
        posts.wait(&format!("DUQ{n:03}"), 1).await;
    }
    // Saved with their deadlines, not only posted: a flow whose question was posted but
    // not yet saved when the kill came is saved by the replay after the restart, with a
    // deadline from then, and its hint would come 20 s after the others.
    bot.wait_in_state("WAITING_FOR_RESPONSE", USERS).await;
    bot.kill();
    // The 20-second deadlines pass while the bot is down.
    sleep(Duration::from_secs(21)).await;
    bot.restart().await;
    let hint = "Hint: it is called the City of Light. 20 more seconds.";
    for n in 0..USERS {
        posts.wait(&format!("DUQ{n:03}"), 2).await;
    }
    // A late answer after the hint still counts.
    for n in 0..USERS {
        let body = payloads::direct_message(
            TEAM,
            &format!("UQ{n:03}"),
            "Paris",
            "1800000001.000002",
            &format!("EvQuizA{n}"),
        );
        deliver_until_acked(&sender, &body).await;
    }
    for n in 0..USERS {
        posts.wait(&format!("DUQ{n:03}"), 3).await;
    }
    sleep(Duration::from_millis(500)).await;
    for n in 0..USERS {
        assert_eq!(
            posts.in_channel(&format!("DUQ{n:03}")),
            [question, hint, "Correct: Paris!"],
            "user {n}: the missed deadline fired exactly once"
        );
    }
}
