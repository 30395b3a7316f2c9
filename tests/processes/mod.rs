//! Bot processes for the tests that run the examples as deployed: started with Slack
//! settings on a store URL, killed with SIGKILL, started again; users that talk to them
//! through the test kit's signed sender, delivering as Slack does; and what the fake
//! Slack saw posted, per channel. Also the console chat run over typed lines, as its user
//! would run the bot without Slack.
#![allow(dead_code, unreachable_pub)] // each test file uses its part; `pub` within the tests

use serde_json::Value;
use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{FakeSlack, Sent, SignedSender, SIGNING_SECRET, TEAM};
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// How long any one wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(90);

pub fn example(name: &str) -> PathBuf {
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

/// A bot process that can be killed and started again on the same store and port.
pub struct Bot {
    binary: PathBuf,
    store: String,
    log: PathBuf,
    api_url: String,
    port: u16,
    child: Option<Child>,
    pub starts: usize,
    /// Settings beyond Slack's and the store's, for the next start.
    env: Vec<(String, String)>,
}

impl Bot {
    /// The example `name` on a new SQLite file.
    pub async fn start(name: &str, slack: &FakeSlack) -> Bot {
        let dir = std::env::temp_dir().join(format!("crash-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = format!("sqlite://{}", dir.join("bot.db").display());
        Bot::start_on(name, slack, &store, &dir).await
    }

    /// The example `name` on the store `store` (shared by every bot started on it), with its
    /// log in `dir`.
    pub async fn start_on(name: &str, slack: &FakeSlack, store: &str, dir: &Path) -> Bot {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut bot = Bot {
            binary: example(name),
            store: store.to_owned(),
            log: dir.join(format!("bot-{port}.log")),
            api_url: slack.api_url(),
            port,
            child: None,
            starts: 0,
            env: Vec::new(),
        };
        bot.restart().await;
        bot
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
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
            .env("ORCHESTRATOR_STORE", &self.store)
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
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
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("the bot exited ({status}) instead of coming up:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "the bot did not come up; see {}",
                self.log.display()
            );
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sets `name` to `value` in the bot's environment from its next start on.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// What the bot wrote to stderr and stdout so far, every start of it.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the bot");
            child.wait().unwrap();
        }
    }

    /// Waits until `flows list` (another process, on the same store) shows `count`
    /// COMPLETED flows. A flow whose last post a killed process made but never saved is
    /// finished when its event's lease ends, by a replay that finds the post: not at once.
    pub async fn wait_completed(&self, count: usize) {
        self.wait_in_state("COMPLETED", count).await;
    }

    /// Waits until `flows list` shows `count` flows in `state` (as `flows list` prints it):
    /// saved, not only posted, since a post comes before the step's result is written.
    pub async fn wait_in_state(&self, state: &str, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let listed = self.list_flows();
            let found = listed.lines().filter(|l| l.contains(state)).count();
            if found == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{count} flows {state} in the store ({found} so far):\n{listed}"
            );
            sleep(Duration::from_millis(500)).await;
        }
    }

    pub fn list_flows(&self) -> String {
        let out = self.command(&["flows", "list", "--all"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The bot's binary with `args`, on its store (an operator's command), and no Slack
    /// settings unless the caller adds them.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command.args(args).env("ORCHESTRATOR_STORE", &self.store);
        for name in [
            "SLACK_BOT_TOKEN",
            "SLACK_APP_TOKEN",
            "SLACK_SIGNING_SECRET",
            "SLACK_API_URL",
        ] {
            command.env_remove(name);
        }
        command
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` off the test's runtime (which serves the fake Slack meanwhile): whether
/// it succeeded, and what it printed.
pub async fn run_command(mut command: Command) -> (bool, String) {
    let output = tokio::task::spawn_blocking(move || command.output().expect("run the bot's binary"))
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// What the fake Slack has seen posted, per channel, as the calls arrive.
#[derive(Clone, Default)]
pub struct Posts(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Posts {
    pub fn follow(slack: &FakeSlack) -> Posts {
        let posts = Posts::default();
        let mut calls = slack.subscribe();
        let map = posts.0.clone();
        tokio::spawn(async move {
            while let Some(call) = calls.recv().await {
                if call.method == "chat.postMessage" {
                    let channel = call.args["channel"].as_str().unwrap_or_default().to_owned();
                    let text = call.args["text"].as_str().unwrap_or_default().to_owned();
                    map.lock().unwrap().entry(channel).or_default().push(text);
                }
            }
        });
        posts
    }

    pub fn in_channel(&self, channel: &str) -> Vec<String> {
        self.0.lock().unwrap().get(channel).cloned().unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(Vec::len).sum()
    }

    pub async fn wait(&self, channel: &str, count: usize) {
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

/// Where a user's events go: one bot, or a load balancer over several.
pub trait Deliver: Send + Sync + 'static {
    /// Sends `body` signed, as delivery attempt `attempt`.
    fn deliver(&self, body: &Value, attempt: u32) -> impl Future<Output = Result<Sent, String>> + Send;
}

impl Deliver for SignedSender {
    async fn deliver(&self, body: &Value, attempt: u32) -> Result<Sent, String> {
        SignedSender::deliver(self, body, attempt)
            .await
            .map_err(|e| e.to_string())
    }
}

/// A round-robin load balancer in front of several replicas: each request goes to the
/// next one (a dead replica's requests fail, and Slack delivers them again, to the next).
#[derive(Clone)]
pub struct RoundRobin {
    senders: Arc<Vec<SignedSender>>,
    next: Arc<AtomicUsize>,
}

impl RoundRobin {
    pub fn new(bots: &[Bot]) -> RoundRobin {
        RoundRobin {
            senders: Arc::new(
                bots.iter()
                    .map(|b| SignedSender::new(&b.url(), SIGNING_SECRET))
                    .collect(),
            ),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }
}

impl Deliver for RoundRobin {
    async fn deliver(&self, body: &Value, attempt: u32) -> Result<Sent, String> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len();
        Deliver::deliver(&self.senders[index], body, attempt).await
    }
}

/// Delivers like Slack: again and again, with `X-Slack-Retry-Num`, until the bot acks.
pub async fn deliver_until_acked(sender: &impl Deliver, body: &Value) {
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
pub async fn onboard(sender: impl Deliver + Clone, posts: Posts, n: usize) {
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

/// What the console chat shows for the `typed` lines, with the flows of `builder`.
pub async fn console(builder: slack_orchestrator::OrchestratorBuilder, typed: &str) -> String {
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    slack_orchestrator::console::run(builder, typed.as_bytes(), out.clone())
        .await
        .unwrap();
    let shown = out.lock().unwrap().clone();
    String::from_utf8(shown).unwrap()
}

/// Asserts that `shown` has a line containing each of `expected`, in that order.
pub fn assert_in_order(shown: &str, expected: &[&str]) {
    let lines: Vec<&str> = shown.lines().collect();
    let mut from = 0;
    for wanted in expected {
        let found = lines[from..].iter().position(|l| l.contains(wanted));
        let at = found.unwrap_or_else(|| panic!("{wanted:?} after line {from} in:\n{shown}"));
        from += at + 1;
    }
}
