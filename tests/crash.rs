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

use serde_json::Value;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, SignedSender, SIGNING_SECRET, TEAM};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// How long any one wait may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(90);

fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary");
    let path = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/debug")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run the whole `cargo test`, which builds the examples",
        path.display()
    );
    path
}

/// A bot process that can be killed and started again on the same file and port.
struct Bot {
    binary: PathBuf,
    db: PathBuf,
    log: PathBuf,
    api_url: String,
    port: u16,
    child: Option<Child>,
    starts: usize,
}

impl Bot {
    async fn start(name: &str, slack: &FakeSlack) -> Bot {
        let dir = std::env::temp_dir().join(format!("crash-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut bot = Bot {
            binary: example(name),
            db: dir.join("bot.db"),
            log: dir.join("bot.log"),
            api_url: slack.api_url(),
            port,
            child: None,
            starts: 0,
        };
        bot.restart().await;
        bot
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(&self.binary)
            .env("SLACK_BOT_TOKEN", "xoxb-crash-test")
            .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
            .env("SLACK_API_URL", &self.api_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", self.port.to_string())
            .env("ORCHESTRATOR_STORE", format!("sqlite://{}", self.db.display()))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the example");
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + PATIENCE;
        let client = reqwest::Client::new();
        while client.get(format!("{}/healthz", self.url())).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "the bot did not come up; see {}",
                self.log.display()
            );
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the bot");
            child.wait().unwrap();
        }
    }

    /// `flows list --all` from another process, on the same file.
    fn list_flows(&self) -> String {
        let out = Command::new(&self.binary)
            .args(["flows", "list", "--all"])
            .env("ORCHESTRATOR_STORE", format!("sqlite://{}", self.db.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the fake Slack has seen posted, per channel, as the calls arrive.
#[derive(Clone, Default)]
struct Posts(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Posts {
    fn follow(slack: &FakeSlack) -> Posts {
        let posts = Posts::default();
        let mut calls = slack.subscribe();
        let map = posts.0.clone();
        tokio::spawn(async move {
            while let Ok(call) = calls.recv().await {
                if call.method == "chat.postMessage" {
                    let channel = call.args["channel"].as_str().unwrap_or_default().to_owned();
                    let text = call.args["text"].as_str().unwrap_or_default().to_owned();
                    map.lock().unwrap().entry(channel).or_default().push(text);
                }
            }
        });
        posts
    }

    fn in_channel(&self, channel: &str) -> Vec<String> {
        self.0.lock().unwrap().get(channel).cloned().unwrap_or_default()
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(Vec::len).sum()
    }

    async fn wait(&self, channel: &str, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.in_channel(channel).len() < count {
            assert!(
                Instant::now() < deadline,
                "{channel} waited for {count} posts, has {:?}",
                self.in_channel(channel)
            );
            sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Delivers like Slack: again and again, with `X-Slack-Retry-Num`, until the bot acks.
async fn deliver_until_acked(sender: &SignedSender, body: &Value) {
    let deadline = Instant::now() + PATIENCE;
    for attempt in 0.. {
        match sender.deliver(body, attempt).await {
            Ok(sent) if sent.status == 200 => return,
            Ok(sent) => assert!(sent.status >= 500, "refused for good: {sent:?}"),
            Err(_) => {} // down or restarting
        }
        assert!(Instant::now() < deadline, "never acked: {body}");
        sleep(Duration::from_millis(50)).await;
    }
}

/// One user's side of an onboarding conversation: each message once the bot answered the last.
async fn onboard(sender: SignedSender, posts: Posts, n: usize) {
    let user = format!("U{n:04}");
    let channel = format!("D{user}");
    let texts = ["hi".to_owned(), format!("Name{n}"), format!("request {n}")];
    for (i, text) in texts.iter().enumerate() {
        let ts = format!("1800000000.{n:04}{i:02}");
        let body = payloads::direct_message(TEAM, &user, text, &ts, &format!("EvCrash{n}x{i}"));
        deliver_until_acked(&sender, &body).await;
        posts.wait(&channel, i + 1).await;
    }
}

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
    let listed = bot.list_flows();
    assert_eq!(
        listed.lines().filter(|l| l.contains("COMPLETED")).count(),
        USERS,
        "another process reads every flow from the file:\n{listed}"
    );
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
