//! The test kit for bot authors.
//!
//! - [`TestBot`] and [`Chat`]: play a conversation against your flows in process and assert
//!   on what the bot said, with no network. Events go through the same normalization,
//!   routing and store as production traffic; Slack calls are recorded. Time can be advanced
//!   under `#[tokio::test(start_paused = true)]` to test timeouts without waiting.
//! - [`FakeSlack`], [`SignedSender`] and [`LiveBot`]: the same over real sockets, with a
//!   fake Slack Web API (and Socket Mode server) on 127.0.0.1 and signed requests to the
//!   bot's HTTP endpoint.
//! - [`check_store`]: the contract every [`Store`](orchestrator_core::Store) must keep.
//!
//! ```
//! use slack_orchestrator::prelude::*;
//! use slack_orchestrator::testkit::TestBot;
//!
//! #[flow(trigger = direct_message)]
//! mod echo {
//!     use slack_orchestrator::prelude::*;
//!     pub enum Echo { #[start] Listen }
//!     #[step(Listen)]
//!     async fn listen(cx: &mut Cx, text: Text) -> Next<Echo> {
//!         complete(format!("You said: {text}"))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
//! let mut alice = bot.dm("U_ALICE");
//! alice.send("hello").await;
//! alice.expect_reply("You said: hello");
//! # }
//! ```

mod conformance;
mod fake_slack;
mod live;
mod sender;
mod servers;

pub use conformance::check_store;
pub use fake_slack::{FakeSlack, RecordedCall};
pub use live::{Delivered, LiveBot, Transport, SIGNING_SECRET, WORKFLOW_TOKEN_PREFIX};
use orchestrator_core::{FlowRecord, Incoming, SelectOption, SlackReply, SlackRequest};
use orchestrator_runtime::payloads::{self, ElementAt, Said};
use orchestrator_runtime::Outcome;
use orchestrator_runtime::RecordingSlack;
use orchestrator_runtime::{Orchestrator, OrchestratorBuilder};
pub use sender::{Sent, SignedSender};
use serde_json::Value;
pub use servers::{postgres_url, redis_url, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The bot's user id in tests.
///
/// ```
/// use slack_orchestrator::testkit::{FakeSlack, BOT_USER, TEAM};
/// use slack_orchestrator::SlackWebApi;
/// # #[tokio::main] async fn main() {
/// // The fake Slack's `auth.test` answers with them, so a bot under test knows itself.
/// let slack = FakeSlack::start().await;
/// let me = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap().auth_test().await.unwrap();
/// assert_eq!((me.user_id.as_str(), me.team_id.as_str()), (BOT_USER, TEAM));
/// # }
/// ```
pub const BOT_USER: &str = "UBOT";
/// The workspace id in tests.
///
/// ```
/// use slack_orchestrator::testkit::TEAM;
/// use slack_orchestrator::payloads;
/// let body = payloads::direct_message(TEAM, "U1", "hi", "1.1", "Ev1");
/// assert_eq!(body["team_id"], TEAM);
/// ```
pub const TEAM: &str = "T0TEST";

/// Plays `input` (one line per thing typed) in the console chat of a bot built from
/// `builder`, and returns everything the console printed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let printed = orchestrator_testkit::console_transcript(orchestrator_runtime::Orchestrator::builder(), "hello\n").await;
/// assert!(printed.contains("no flow started"));
/// # }
/// ```
///
/// # Panics
/// If the console cannot run (an invalid builder).
pub async fn console_transcript(builder: OrchestratorBuilder, input: &str) -> String {
    let out = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    orchestrator_runtime::console::run(builder, input.as_bytes(), out.clone())
        .await
        .expect("the console runs");
    let printed = out.lock().unwrap_or_else(|p| p.into_inner()).clone();
    String::from_utf8(printed).expect("the console prints UTF-8")
}

/// A bot under test: an [`Orchestrator`] with a [`RecordingSlack`] and a memory store
/// (unless the builder was given another store).
///
/// ```
/// # use slack_orchestrator::prelude::*;
/// #[flow(trigger = direct_message)]
/// mod greet {
///     use slack_orchestrator::prelude::*;
///     pub enum Greet {
///         #[start]
///         Ask,
///         Name,
///     }
///     #[step(Ask)]
///     async fn ask(cx: &mut Cx) -> Next<Greet> {
///         cx.say("What's your name?").await?;
///         goto(Greet::Name)
///     }
///     #[step(Name)]
///     async fn name(_cx: &mut Cx, name: Text) -> Next<Greet> {
///         complete(format!("Hi, {name}!"))
///     }
/// }
/// use slack_orchestrator::testkit::TestBot;
/// use slack_orchestrator::Orchestrator;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bot = TestBot::new(Orchestrator::builder().flow::<greet::Greet>());
/// let mut chat = bot.dm("U1");
/// chat.send("hello").await;
/// chat.expect_reply("What's your name?");
/// chat.send("Ada").await;
/// chat.expect_reply("Hi, Ada!");
/// assert!(bot.flows().await.iter().all(|flow| !flow.is_active()));
/// # }
/// ```
#[derive(Clone)]
pub struct TestBot {
    orchestrator: Orchestrator,
    slack: Arc<RecordingSlack>,
}

/// Event and trigger ids, unique in the process: bots sharing a store (replicas, restarts)
/// must not see each other's events as duplicates.
static IDS: AtomicU64 = AtomicU64::new(0);

impl TestBot {
    /// Builds the bot from `builder` (flows, store, settings), recording Slack calls.
    ///
    /// # Panics
    /// If the builder is invalid (e.g. two flows with one name).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(_cx: &mut Cx, said: Text) -> Next<Echo> { complete(format!("You said: {said}")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // A bot with the echo flow, its Slack calls recorded instead of made.
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hello").await;
    /// chat.expect_reply("You said: hello");
    /// assert_eq!(bot.slack().requests().len(), 1, "one chat.postMessage");
    /// # }
    /// ```
    pub fn new(builder: OrchestratorBuilder) -> TestBot {
        let slack = RecordingSlack::new();
        let orchestrator = builder
            .slack(slack.clone())
            .bot_user(BOT_USER)
            .team(TEAM)
            .build()
            .expect("a valid orchestrator");
        TestBot { orchestrator, slack }
    }

    /// The orchestrator under test.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let names: Vec<&str> = bot.orchestrator().flows().map(|f| f.name()).collect();
    /// assert_eq!(names, ["echo"]);
    /// # }
    /// ```
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orchestrator
    }

    /// Every Slack call the bot made.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// bot.dm("U1").send("hi").await;
    /// let methods: Vec<String> = bot.slack().requests().iter().map(|r| r.method().to_owned()).collect();
    /// assert_eq!(methods, ["chat.postMessage"]);
    /// # }
    /// ```
    pub fn slack(&self) -> &RecordingSlack {
        &self.slack
    }

    /// A direct-message conversation between `user` and the bot; the chat reads what the
    /// bot says from now on.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1"); // the channel `DU1`
    /// chat.send("hi").await;
    /// chat.expect_reply("<@U1> said: hi");
    /// # }
    /// ```
    pub fn dm(&self, user: &str) -> Chat {
        self.chat(user, &format!("D{user}"), None)
    }

    /// `user`'s top-level messages in `channel` (no mention, no thread).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut general = bot.channel("U1", "C_GENERAL");
    /// general.send("hi all").await; // at the top of a channel, not to the bot: no DM flow
    /// general.expect_no_reply();
    /// # }
    /// ```
    pub fn channel(&self, user: &str, channel: &str) -> Chat {
        self.chat(user, channel, None)
    }

    /// `user`'s replies in the thread under the message `root` in `channel` (e.g. under one of
    /// the bot's messages).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut thread = bot.thread("U1", "DU1", "1700000000.000100"); // a thread of U1's DM
    /// assert_eq!(thread.thread_ts(), Some("1700000000.000100"));
    /// thread.send("in a thread").await;
    /// thread.expect_reply("<@U1> said: in a thread"); // answered in that thread
    /// # }
    /// ```
    pub fn thread(&self, user: &str, channel: &str, root: &str) -> Chat {
        self.chat(user, channel, Some(root.to_owned()))
    }

    /// `user` mentions the bot at the top of `channel`; the conversation continues in the
    /// thread under the mention.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = mention)]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] Greet, Chat }
    /// #     #[step(Greet)]
    /// #     async fn greet(cx: &mut Cx) -> Next<Hello> { cx.say("Hi! What's up?").await?; goto(Hello::Chat) }
    /// #     #[step(Chat)]
    /// #     async fn chat(_cx: &mut Cx, said: Text) -> Next<Hello> { complete(format!("Noted: {said}")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>());
    /// let mut thread = bot.mention("U1", "C1", "<@UBOT> hello").await;
    /// thread.expect_reply("Hi! What's up?"); // in the thread under the mention
    /// thread.send("the build is red").await;
    /// thread.expect_reply("Noted: the build is red");
    /// # }
    /// ```
    pub async fn mention(&self, user: &str, channel: &str, text: &str) -> Chat {
        let ts = self.slack.next_ts();
        let event_id = self.event_id();
        let said = Said {
            team: TEAM,
            user,
            channel,
            text,
            ts: &ts,
            thread_ts: None,
            event_id: &event_id,
        };
        let body = payloads::mention(&said, BOT_USER);
        let mut chat = self.chat(user, channel, Some(ts));
        chat.deliver(&body).await;
        chat
    }

    /// `user` opens a new thread with the app in Slack's assistant container, viewing the
    /// channel `viewing`; the chat is that thread of their DM with the bot.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = assistant)]
    /// # mod helper {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Helper { #[start] Opened, Chatting }
    /// #     #[step(Opened)]
    /// #     async fn greet(cx: &mut Cx, thread: AssistantThread) -> Next<Helper> {
    /// #         let beside = thread.viewing.unwrap_or_else(|| "nothing".into());
    /// #         cx.say(format!("Hi! You are viewing {beside}.")).await?;
    /// #         goto(Helper::Chatting)
    /// #     }
    /// #     #[step(Chatting)]
    /// #     async fn answer(_cx: &mut Cx, question: Text) -> Next<Helper> { complete(format!("About {question}: restart it.")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<helper::Helper>());
    /// let mut thread = bot.assistant("U1", Some("C_GENERAL")).await;
    /// assert!(thread.thread_ts().is_some(), "an assistant conversation is a thread of the DM");
    /// thread.expect_reply("Hi! You are viewing C_GENERAL.");
    /// thread.send("the VPN").await;
    /// thread.expect_reply("About the VPN: restart it.");
    /// # }
    /// ```
    pub async fn assistant(&self, user: &str, viewing: Option<&str>) -> Chat {
        let (root, event_id) = (self.slack.next_ts(), self.event_id());
        let channel = format!("D{user}");
        let body = payloads::assistant_thread(TEAM, user, &channel, &root, viewing, true, &event_id);
        let mut chat = self.chat(user, &channel, Some(root));
        chat.deliver(&body).await;
        chat
    }

    /// A workflow runs the app's custom step `callback_id` with `inputs`; returns the run's
    /// `function_execution_id` and what the bot made of it.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = function("double"))]
    /// # mod double {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Double { #[start] Run }
    /// #     #[step(Run)]
    /// #     async fn run(cx: &mut Cx, run: FunctionRun) -> Next<Double> {
    /// #         let n: i64 = run.input("n").and_then(|n| n.parse().ok()).unwrap_or_default();
    /// #         cx.complete_function(serde_json::json!({"doubled": n * 2})).await?;
    /// #         complete_silently()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<double::Double>());
    /// let (execution, outcome) = bot.run_function("double", serde_json::json!({"n": "21"})).await;
    /// assert_eq!(outcome.state(), Some(slack_orchestrator::FlowState::Completed));
    /// let completed = bot.slack().requests().into_iter().find_map(|r| match r {
    ///     SlackRequest::Call { method, args } if method == "functions.completeSuccess" => Some(args),
    ///     _ => None,
    /// });
    /// let args = completed.expect("the step was completed");
    /// assert_eq!(args["function_execution_id"], execution.as_str());
    /// assert_eq!(args["outputs"], serde_json::json!({"doubled": 42}));
    /// # }
    /// ```
    pub async fn run_function(&self, callback_id: &str, inputs: Value) -> (String, Outcome) {
        let (execution, event_id) = (format!("Fx{}", self.event_id()), self.event_id());
        let body = payloads::function_executed(TEAM, callback_id, &execution, inputs, &event_id);
        (execution, self.deliver(&body).await)
    }

    /// `user` runs a slash command in `channel`; the returned chat is that user's view of the channel.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] Greet }
    /// #     #[step(Greet)]
    /// #     async fn greet(_cx: &mut Cx, command: Command) -> Next<Hello> { complete(format!("Hello, {}!", command.text)) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::FlowState;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>());
    /// let (mut chat, outcome) = bot.command("U1", "C1", "/hello", "world").await;
    /// assert_eq!(outcome.state(), Some(FlowState::Completed));
    /// chat.expect_reply("Hello, world!");
    /// # }
    /// ```
    pub async fn command(&self, user: &str, channel: &str, command: &str, text: &str) -> (Chat, Outcome) {
        let form = payloads::slash_command(TEAM, user, channel, command, text, &self.trigger_id());
        let incoming = Incoming::from_slash_command(&form).expect("the kit builds valid commands");
        let chat = self.chat(user, channel, None);
        let outcome = self
            .orchestrator
            .handle(incoming)
            .await
            .expect("the orchestrator handles the command");
        (chat, outcome)
    }

    /// Delivers any Slack JSON body (an Events API callback or interactivity payload).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::{payloads, Outcome};
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let hi = payloads::direct_message("T0TEST", "U1", "hi", "1700000000.000100", "Ev1");
    /// assert!(matches!(bot.deliver(&hi).await, Outcome::Advanced { .. }));
    /// assert_eq!(bot.deliver(&hi).await, Outcome::Duplicate, "Slack's retry of the same event_id");
    /// # }
    /// ```
    pub async fn deliver(&self, body: &Value) -> Outcome {
        self.orchestrator
            .handle_json(body)
            .await
            .expect("the orchestrator handles the event")
    }

    /// Moves time forward (needs `#[tokio::test(start_paused = true)]`) and fires the
    /// timeouts that fell due.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message, timeout = "10m")]
    /// # mod ask {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ask { #[start] Ask, Wait }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Ask> { cx.say("Your name?").await?; goto(Ask::Wait) }
    /// #     #[step(Wait)]
    /// #     async fn wait(_cx: &mut Cx, name: Text) -> Next<Ask> { complete(format!("Hi, {name}!")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// chat.expect_reply("Your name?");
    /// assert_eq!(bot.advance(Duration::from_secs(9 * 60)).await, 0, "not yet");
    /// assert_eq!(bot.advance(Duration::from_secs(60)).await, 1, "ten minutes: timed out");
    /// assert!(chat.replies()[0].starts_with("This conversation timed out."));
    /// # }
    /// ```
    pub async fn advance(&self, by: Duration) -> usize {
        tokio::time::advance(by).await;
        self.orchestrator.fire_due_timeouts().await.expect("timeouts fire")
    }

    /// The stored flows, newest first.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::FlowState;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// let flows = bot.flows().await;
    /// assert_eq!((flows.len(), flows[0].flow.as_str(), flows[0].state), (1, "echo", FlowState::WaitingForResponse));
    /// chat.send("bye").await;
    /// assert_eq!(bot.flows().await[0].state, FlowState::Completed);
    /// # }
    /// ```
    pub async fn flows(&self) -> Vec<FlowRecord> {
        self.orchestrator
            .store()
            .list(false, usize::MAX)
            .await
            .expect("the store lists flows")
    }

    /// A chat that reads what the bot says from now on.
    fn chat(&self, user: &str, channel: &str, thread: Option<String>) -> Chat {
        let cursor = self.slack.len();
        Chat {
            bot: self.clone(),
            user: user.to_owned(),
            channel: channel.to_owned(),
            thread,
            cursor,
            answered: None,
        }
    }

    fn event_id(&self) -> String {
        format!("Ev{:08}", IDS.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn trigger_id(&self) -> String {
        format!("{}.{}", 1000 + IDS.fetch_add(1, Ordering::Relaxed), 42)
    }
}

/// One user's side of one conversation (a DM, a thread, or a channel), with a cursor over
/// what the bot said there. [`TestBot`]'s example plays a whole conversation.
///
/// ```
/// # use slack_orchestrator::testkit::TestBot;
/// # use slack_orchestrator::Orchestrator;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let bot = TestBot::new(Orchestrator::builder()); // no flow: nothing answers
/// let mut thread = bot.thread("U1", "C1", "1700000000.000100");
/// thread.send("anyone?").await;
/// thread.expect_no_reply();
/// let approver = thread.as_user("U2"); // the same thread, as another user
/// assert_eq!(approver.thread_ts(), Some("1700000000.000100"));
/// # }
/// ```
pub struct Chat {
    bot: TestBot,
    user: String,
    channel: String,
    thread: Option<String>,
    cursor: usize,
    /// The modal a submission's step answered with (its next page, or a pushed one).
    answered: Option<AnsweredModal>,
}

/// A modal shown by the answer to a submission rather than by a Web API call.
#[derive(Clone)]
struct AnsweredModal {
    /// How many Slack calls the bot had made then: a modal opened by a later call is newer.
    after_calls: usize,
    view: Value,
    id: String,
}

impl Chat {
    /// The same conversation as seen by another user (e.g. an approver).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut mine = bot.thread("U1", "DU1", "1.1");
    /// mine.send("mine").await;
    /// let mut theirs = mine.as_user("U2"); // the same thread, another user
    /// theirs.send("theirs").await; // not a participant of U1's flow
    /// assert_eq!(theirs.replies(), ["<@U1> said: mine"], "nothing said to U2");
    /// # }
    /// ```
    pub fn as_user(&self, user: &str) -> Chat {
        Chat {
            bot: self.bot.clone(),
            user: user.to_owned(),
            channel: self.channel.clone(),
            thread: self.thread.clone(),
            cursor: self.cursor,
            answered: self.answered.clone(),
        }
    }

    /// The thread this chat is in (its root message's `ts`), if it is in one.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = mention)]
    /// # mod ask {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ask { #[start] Open }
    /// #     #[step(Open)]
    /// #     async fn open(_cx: &mut Cx) -> Next<Ask> { complete("Answered in the thread.") }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// assert_eq!(bot.dm("U1").thread_ts(), None, "a DM's top level");
    /// let mut thread = bot.mention("U1", "C1", "help").await;
    /// let root = thread.thread_ts().expect("a mention's conversation is the thread under it").to_owned();
    /// thread.expect_reply("Answered in the thread.");
    /// assert!(bot.slack().requests().iter().any(|r| matches!(r,
    ///     slack_orchestrator::SlackRequest::PostMessage { thread_ts: Some(ts), .. } if *ts == root)));
    /// # }
    /// ```
    pub fn thread_ts(&self) -> Option<&str> {
        self.thread.as_deref()
    }

    /// The user sends `text` in this conversation (in its thread, if it has one).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::Outcome;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// let outcome = chat.send("hello").await;
    /// assert!(matches!(outcome, Outcome::Advanced { .. }), "a flow started: {outcome:?}");
    /// chat.expect_reply("<@U1> said: hello");
    /// # }
    /// ```
    pub async fn send(&mut self, text: &str) -> Outcome {
        let body = self.say(text, payloads::message);
        self.deliver(&body).await
    }

    /// The user reacts with the emoji `name` (without colons) to the newest message the
    /// bot posted here (in this chat's thread, if it is in one); `added: false` takes the
    /// reaction back. As in Slack, the reaction event names the message, not its thread.
    ///
    /// # Panics
    /// If the bot posted nothing here.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod vote {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Vote { #[start] Ask, Count }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Vote> { cx.say("React with :+1: to agree.").await?; goto(Vote::Count) }
    /// #     #[step(Count)]
    /// #     async fn count(_cx: &mut Cx, reaction: Reaction) -> Next<Vote> { complete(format!("Counted :{}:", reaction.name)) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<vote::Vote>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("vote").await;
    /// chat.expect_reply("React with :+1: to agree.");
    /// chat.react("+1", true).await; // on that message
    /// chat.expect_reply("Counted :+1:");
    /// # }
    /// ```
    pub async fn react(&mut self, name: &str, added: bool) -> Outcome {
        let requests = self.bot.slack.calls();
        let newest = requests
            .iter()
            .rev()
            .find_map(|(request, reply)| match (request, reply) {
                (SlackRequest::PostMessage { channel, thread_ts, .. }, SlackReply::Message { ts, .. })
                    if *channel == self.channel && *thread_ts == self.thread =>
                {
                    Some(ts.clone())
                }
                _ => None,
            });
        let ts = newest.unwrap_or_else(|| panic!("the bot posted nothing in {}", self.where_()));
        let event_id = self.bot.event_id();
        let body = payloads::reaction(TEAM, &self.user, &self.channel, &ts, BOT_USER, name, added, &event_id);
        self.deliver(&body).await
    }

    /// In an assistant thread ([`TestBot::assistant`]): the user now views `channel` beside
    /// it (`assistant_thread_context_changed`).
    ///
    /// # Panics
    /// If this chat is not in a thread.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = assistant)]
    /// # mod helper {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Helper { #[start] Opened, Chatting }
    /// #     #[step(Opened)]
    /// #     async fn opened(_cx: &mut Cx, _thread: AssistantThread) -> Next<Helper> { goto(Helper::Chatting) }
    /// #     #[step(Chatting)]
    /// #     async fn moved(cx: &mut Cx, thread: AssistantThread) -> Next<Helper> {
    /// #         cx.say(format!("Now beside {}.", thread.viewing.unwrap_or_default())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<helper::Helper>());
    /// let mut thread = bot.assistant("U1", None).await;
    /// thread.view_channel("C_SALES").await;
    /// thread.expect_reply("Now beside C_SALES.");
    /// # }
    /// ```
    pub async fn view_channel(&mut self, channel: &str) -> Outcome {
        let root = self
            .thread
            .clone()
            .unwrap_or_else(|| panic!("{} is not a thread", self.where_()));
        let event_id = self.bot.event_id();
        let body = payloads::assistant_thread(TEAM, &self.user, &self.channel, &root, Some(channel), false, &event_id);
        self.deliver(&body).await
    }

    /// The user shares files (`(id, name)`) here, with an optional caption.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod receipts {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Receipts { #[start] Ask, Collect }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Receipts> { cx.say("Send me the receipts.").await?; goto(Receipts::Collect) }
    /// #     #[step(Collect)]
    /// #     async fn collect(_cx: &mut Cx, files: Files) -> Next<Receipts> {
    /// #         complete(format!("Got {} file(s), the first is {}.", files.len(), files[0].name.as_deref().unwrap_or("?")))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<receipts::Receipts>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("expenses").await;
    /// chat.upload(&[("F1", "taxi.pdf"), ("F2", "hotel.pdf")], "here you go").await;
    /// assert!(chat.replies().contains(&"Got 2 file(s), the first is taxi.pdf.".to_owned()));
    /// # }
    /// ```
    pub async fn upload(&mut self, files: &[(&str, &str)], caption: &str) -> Outcome {
        let body = self.say(caption, |said| payloads::file_share(said, files));
        self.deliver(&body).await
    }

    /// A message event from this user here, with a fresh `ts` and `event_id`.
    fn say(&self, text: &str, build: impl FnOnce(&Said<'_>) -> Value) -> Value {
        let (ts, event_id) = (self.bot.slack.next_ts(), self.bot.event_id());
        build(&Said {
            team: TEAM,
            user: &self.user,
            channel: &self.channel,
            text,
            ts: &ts,
            thread_ts: self.thread.as_deref(),
            event_id: &event_id,
        })
    }

    /// Delivers a body as this user's action and returns the outcome.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::{TestBot, TEAM};
    /// use slack_orchestrator::{payloads, Outcome};
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(_cx: &mut Cx, said: Text) -> Next<Echo> { complete(format!("You said: {said}")) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// // A body of your own, e.g. one Slack sent that a test should replay as it came.
    /// let body = payloads::direct_message(TEAM, "U1", "hi", "1700000000.000100", "Ev42");
    /// assert_eq!(chat.deliver(&body).await.state(), Some(slack_orchestrator::FlowState::Completed));
    /// chat.expect_reply("You said: hi");
    /// assert!(matches!(chat.deliver(&body).await, Outcome::Duplicate), "Slack's retry of it");
    /// # }
    /// ```
    pub async fn deliver(&mut self, body: &Value) -> Outcome {
        self.bot.deliver(body).await
    }

    /// The user clicks the newest button with this `action_id` the bot sent here.
    ///
    /// # Panics
    /// If the bot sent no such button in this conversation.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("go", vec![blocks::button("yes", "Deploy", "y"), blocks::button("no", "Later", "n")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         complete(if click.action_id == "yes" { "Deploying." } else { "Maybe later." })
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.expect_reply("Deploy v2?");
    /// chat.click("yes").await;
    /// chat.expect_reply("Deploying.");
    /// # }
    /// ```
    #[track_caller]
    pub fn click(&mut self, action_id: &str) -> impl std::future::Future<Output = Outcome> + '_ {
        let body = self.element_payload(action_id, |element| element);
        async move { self.deliver(&body).await }
    }

    /// The user chooses `value` in the newest select menu with this `action_id`.
    ///
    /// # Panics
    /// If the bot sent no such menu, or the menu has no option `value`.
    #[track_caller]
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod order {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Order { #[start] Ask, Size }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Order> {
    /// #         let menu = blocks::actions("m", vec![blocks::static_select("size", "Size", &[("s", "Small"), ("l", "Large")])]);
    /// #         cx.send_interactive_message("Which size?", serde_json::json!([menu])).await?;
    /// #         goto(Order::Size)
    /// #     }
    /// #     #[step(Size)]
    /// #     async fn size(_cx: &mut Cx, choice: Selection) -> Next<Order> {
    /// #         complete(format!("Size {}.", choice.label.as_deref().unwrap_or(&choice.value)))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<order::Order>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("coffee").await;
    /// chat.select("size", "l").await;
    /// assert_eq!(chat.replies(), ["Which size?", "Size Large."]);
    /// # }
    /// ```
    pub fn select(&mut self, action_id: &str, value: &str) -> impl std::future::Future<Output = Outcome> + '_ {
        let body = self.element_payload(action_id, |mut element| {
            element["selected_option"] = option_of(&element, action_id, value);
            element
        });
        async move { self.deliver(&body).await }
    }

    /// The user sets the newest checkboxes or multi-select with this `action_id` to
    /// `values` (option values; user, conversation or channel ids for those multi-selects),
    /// as Slack sends it: every chosen one, none when they cleared it.
    ///
    /// # Panics
    /// If the bot sent no such element, or it has no option of one of `values`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod packing {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Packing { #[start] Ask, Tick }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Packing> {
    /// #         let list = blocks::checkboxes("packed", &[("laptop", "Laptop"), ("badge", "Badge")], &[]);
    /// #         cx.send_interactive_message("What is packed?", serde_json::json!([blocks::actions("list", vec![list])])).await?;
    /// #         goto(Packing::Tick)
    /// #     }
    /// #     #[step(Tick)]
    /// #     async fn tick(cx: &mut Cx, packed: Selection) -> Next<Packing> {
    /// #         if packed.values.len() == 2 { return complete("All packed."); }
    /// #         cx.say(format!("Packed: {}.", packed.values.join(", "))).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<packing::Packing>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("trip").await;
    /// chat.select_many("packed", &["badge"]).await; // every box now checked, as Slack sends it
    /// chat.select_many("packed", &["badge", "laptop"]).await;
    /// assert_eq!(chat.replies(), ["What is packed?", "Packed: badge.", "All packed."]);
    /// # }
    /// ```
    #[track_caller]
    pub fn select_many(&mut self, action_id: &str, values: &[&str]) -> impl std::future::Future<Output = Outcome> + '_ {
        let body = self.element_payload(action_id, |mut element| {
            let field = match element["type"].as_str() {
                Some("multi_users_select") => "selected_users",
                Some("multi_conversations_select") => "selected_conversations",
                Some("multi_channels_select") => "selected_channels",
                _ => {
                    let options: Vec<Value> = values.iter().map(|v| option_of(&element, action_id, v)).collect();
                    element["selected_options"] = Value::Array(options);
                    return element;
                }
            };
            element[field] = values.iter().map(|v| Value::String((*v).to_owned())).collect();
            element
        });
        async move { self.deliver(&body).await }
    }

    /// The user picks `user` in the newest users menu with this `action_id`.
    ///
    /// # Panics
    /// If the bot sent no such menu.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod review {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Review { #[start] Ask, Pick }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Review> {
    /// #         let menu = serde_json::json!({"type": "users_select", "action_id": "reviewer",
    /// #             "placeholder": {"type": "plain_text", "text": "Pick a reviewer"}});
    /// #         cx.send_interactive_message("Who reviews?", serde_json::json!([blocks::actions("who", vec![menu])])).await?;
    /// #         goto(Review::Pick)
    /// #     }
    /// #     #[step(Pick)]
    /// #     async fn pick(_cx: &mut Cx, reviewer: Selection) -> Next<Review> { complete(format!("<@{}> reviews.", reviewer.value)) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<review::Review>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("review my PR").await;
    /// chat.select_user("reviewer", "U_CAROL").await;
    /// assert_eq!(chat.replies(), ["Who reviews?", "<@U_CAROL> reviews."]);
    /// # }
    /// ```
    #[track_caller]
    pub fn select_user(&mut self, action_id: &str, user: &str) -> impl std::future::Future<Output = Outcome> + '_ {
        let body = self.element_payload(action_id, |mut element| {
            element["selected_user"] = Value::String(user.to_owned());
            element
        });
        async move { self.deliver(&body).await }
    }

    /// The user submits the newest modal the bot opened (or its step's answer to the last
    /// submission showed), with `(block_id, action_id, value)` inputs.
    ///
    /// # Panics
    /// If the bot opened no modal.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::Outcome;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let check = blocks::actions("tools", vec![blocks::button("check", "Check the title", "c")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, check])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> {
    /// #         match form.value("title") {
    /// #             Some(title) if title.len() >= 5 => complete(format!("Ticket filed: {title}")),
    /// #             _ => reject([("title_block", "Say a little more.")]),
    /// #         }
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn checked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().len();
    /// #         cx.ephemeral(cx.user_id().to_owned(), format!("{typed} characters so far.")).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// let refused = chat.submit(&[("title_block", "title", "Bad")]).await;
    /// assert!(matches!(refused, Outcome::Rejected { .. }), "the modal stays open with the error");
    /// chat.submit(&[("title_block", "title", "The printer is on fire")]).await;
    /// chat.expect_reply("Ticket filed: The printer is on fire");
    /// # }
    /// ```
    #[track_caller]
    pub fn submit(&mut self, values: &[(&str, &str, &str)]) -> impl std::future::Future<Output = Outcome> + '_ {
        let (view, id) = self.newest_modal();
        let body = payloads::view_submission(TEAM, &self.user, &view, &id, values, &self.bot.trigger_id());
        async move {
            let outcome = self.deliver(&body).await;
            self.remember_answer(&outcome, &id);
            outcome
        }
    }

    /// The modal the step's answer to a submission shows next, if it answered with one: an
    /// update keeps the submitted modal's id, a push gets a new one, a clear shows none.
    fn remember_answer(&mut self, outcome: &Outcome, submitted: &str) {
        let Outcome::Advanced {
            answer: Some(answer), ..
        } = outcome
        else {
            return;
        };
        let after_calls = self.bot.slack.calls().len();
        let id = match answer["response_action"].as_str() {
            Some("update") => submitted.to_owned(),
            Some("push") => format!("VPUSHED{after_calls:04}"),
            _ => {
                self.answered = None;
                return;
            }
        };
        let view = answer["view"].clone();
        self.answered = Some(AnsweredModal { after_calls, view, id });
    }

    /// The user clicks the button `action_id` in the newest modal the bot opened, its
    /// inputs holding `values` (`(block_id, action_id, value)`, as for [`Chat::submit`]).
    ///
    /// # Panics
    /// If the bot opened no modal, or the modal has no such button.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let check = blocks::actions("tools", vec![blocks::button("check", "Check the title", "c")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, check])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> {
    /// #         match form.value("title") {
    /// #             Some(title) if title.len() >= 5 => complete(format!("Ticket filed: {title}")),
    /// #             _ => reject([("title_block", "Say a little more.")]),
    /// #         }
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn checked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().len();
    /// #         cx.ephemeral(cx.user_id().to_owned(), format!("{typed} characters so far.")).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.click_in_modal("check", &[("title_block", "title", "Printer")]).await;
    /// chat.expect_ephemeral("7 characters so far.");
    /// # }
    /// ```
    #[track_caller]
    pub fn click_in_modal(
        &mut self,
        action_id: &str,
        values: &[(&str, &str, &str)],
    ) -> impl std::future::Future<Output = Outcome> + '_ {
        let (view, id) = self.newest_modal();
        let (block_id, element) = payloads::find_element(&view["blocks"], action_id)
            .unwrap_or_else(|| panic!("the newest modal has no element `{action_id}`"));
        let trigger_id = self.bot.trigger_id();
        let body = payloads::view_action(TEAM, &self.user, &view, &id, &block_id, element, values, &trigger_id);
        async move { self.deliver(&body).await }
    }

    /// The user closes the newest modal the bot opened (Slack sends `view_closed`).
    ///
    /// # Panics
    /// If the bot opened no modal.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let check = blocks::actions("tools", vec![blocks::button("check", "Check the title", "c")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, check])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> {
    /// #         match form.value("title") {
    /// #             Some(title) if title.len() >= 5 => complete(format!("Ticket filed: {title}")),
    /// #             _ => reject([("title_block", "Say a little more.")]),
    /// #         }
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn checked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().len();
    /// #         cx.ephemeral(cx.user_id().to_owned(), format!("{typed} characters so far.")).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.close_modal().await;
    /// chat.expect_no_reply();
    /// assert!(bot.flows().await.iter().all(|flow| !flow.is_active()), "closing it ended the flow");
    /// # }
    /// ```
    #[track_caller]
    pub fn close_modal(&mut self) -> impl std::future::Future<Output = Outcome> + '_ {
        let (view, id) = self.newest_modal();
        let body = payloads::view_closed(TEAM, &self.user, &view, &id);
        async move { self.deliver(&body).await }
    }

    /// The newest modal the bot opened, pushed or updated, and its view id.
    #[track_caller]
    fn newest_modal(&self) -> (Value, String) {
        let calls = self.bot.slack.calls();
        let by_call = calls
            .into_iter()
            .enumerate()
            .rev()
            .find_map(|(n, (request, reply))| match (request, reply) {
                (
                    SlackRequest::OpenView { view, .. } | SlackRequest::PushView { view, .. },
                    SlackReply::View { id },
                ) => Some((n, view, id)),
                // Its content replaced: the same modal, as the user now sees it.
                (SlackRequest::UpdateView { view, view_id }, SlackReply::View { .. }) => Some((n, view, view_id)),
                _ => None,
            });
        // The answer, unless a Web API call showed a modal since.
        let answered = (self.answered.as_ref()).filter(|a| by_call.as_ref().is_none_or(|(n, ..)| a.after_calls > *n));
        match (answered, by_call) {
            (Some(answered), _) => (answered.view.clone(), answered.id.clone()),
            (None, Some((_, view, id))) => (view, id),
            (None, None) => panic!("the bot opened no modal"),
        }
    }

    /// Asserts that the next thing the bot said here is `text`.
    ///
    /// # Panics
    /// If the bot said something else, or nothing.
    #[track_caller]
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("one").await;
    /// chat.send("two").await;
    /// chat.expect_reply("<@U1> said: one"); // in order
    /// chat.expect_reply("<@U1> said: two");
    /// # }
    /// ```
    pub fn expect_reply(&mut self, text: &str) {
        match self.next_message() {
            Some(said) => assert_eq!(said, text, "the bot's next message in {} differs", self.where_()),
            None => panic!(
                "expected the bot to say {text:?} in {}, but it said nothing more",
                self.where_()
            ),
        }
    }

    /// Asserts that the bot sent this user an ephemeral `text` here.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = command("/whoami"))]
    /// # mod whoami {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum WhoAmI { #[start] Tell }
    /// #     #[step(Tell)]
    /// #     async fn tell(cx: &mut Cx, _command: Command) -> Next<WhoAmI> {
    /// #         cx.ephemeral(cx.user_id().to_owned(), format!("You are <@{}>.", cx.user_id())).await?;
    /// #         complete_silently()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<whoami::WhoAmI>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/whoami", "").await;
    /// chat.expect_ephemeral("You are <@U1>.");
    /// chat.expect_no_reply(); // nothing for everyone in the channel
    /// # }
    /// ```
    #[track_caller]
    pub fn expect_ephemeral(&mut self, text: &str) {
        let found = self.bot.slack.requests().into_iter().any(|r| {
            matches!(&r, SlackRequest::PostEphemeral { channel, user, text: t, .. } if *channel == self.channel && *user == self.user && t == text)
        });
        assert!(
            found,
            "expected an ephemeral {text:?} for {} in {}",
            self.user,
            self.where_()
        );
    }

    /// Asserts that the bot said nothing more here.
    #[track_caller]
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// chat.expect_reply("<@U1> said: hi");
    /// chat.expect_no_reply(); // one answer, no more
    /// # }
    /// ```
    pub fn expect_no_reply(&mut self) {
        if let Some(said) = self.next_message() {
            panic!("expected silence in {}, but the bot said {said:?}", self.where_());
        }
    }

    /// Everything the bot said here that was not read yet.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod echo {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Echo { #[start] Listen }
    /// #     #[step(Listen)]
    /// #     async fn listen(cx: &mut Cx, said: Text) -> Next<Echo> {
    /// #         if said.as_str() == "bye" { return complete("Bye!"); }
    /// #         cx.say(format!("<@{}> said: {said}", cx.user_id())).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<echo::Echo>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("one").await;
    /// chat.send("bye").await;
    /// assert_eq!(chat.replies(), ["<@U1> said: one", "Bye!"]);
    /// assert!(chat.replies().is_empty(), "each reply is read once");
    /// # }
    /// ```
    pub fn replies(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.next_message()).collect()
    }

    fn where_(&self) -> String {
        match &self.thread {
            Some(thread) => format!("thread {thread} of {}", self.channel),
            None => self.channel.clone(),
        }
    }

    fn next_message(&mut self) -> Option<String> {
        let requests = self.bot.slack.requests();
        while let Some(request) = requests.get(self.cursor) {
            self.cursor += 1;
            if let SlackRequest::PostMessage {
                channel,
                thread_ts,
                text,
                ..
            } = request
            {
                // A post to a user id is in the app's DM with them, as Slack shows it.
                if payloads::posted_in(channel) == payloads::posted_in(&self.channel) && *thread_ts == self.thread {
                    return Some(text.clone());
                }
            }
        }
        None
    }

    /// The options the bot's handler offers in the newest external select with this
    /// `action_id` it sent here, for what the user typed (as Slack asks with a
    /// `block_suggestion`).
    ///
    /// # Panics
    /// If the bot sent no such select in this conversation.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod triage {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Triage { #[start] Ask, Pick }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Triage> {
    /// #         let select = serde_json::json!({"type": "external_select", "action_id": "issue",
    /// #             "placeholder": {"type": "plain_text", "text": "Find an issue"}});
    /// #         cx.send_interactive_message("Which issue?", serde_json::json!([blocks::actions("find", vec![select])])).await?;
    /// #         goto(Triage::Pick)
    /// #     }
    /// #     #[step(Pick)]
    /// #     async fn pick(_cx: &mut Cx, issue: Selection) -> Next<Triage> { complete(format!("Triaging {}.", issue.value)) }
    /// # }
    /// async fn search(asked: Suggestion) -> Vec<SelectOption> {
    ///     let issues = [("PROJ-1", "Login fails"), ("PROJ-2", "Logo is blurry")];
    ///     let found = issues.into_iter().filter(|(_, title)| title.to_lowercase().contains(&asked.value.to_lowercase()));
    ///     found.map(|(key, title)| SelectOption::new(key, format!("{key} {title}"))).collect()
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<triage::Triage>().options("issue", search));
    /// let mut chat = bot.dm("U1");
    /// chat.send("triage").await;
    /// let offered: Vec<String> = chat.options("issue", "blur").await.into_iter().map(|o| o.label).collect();
    /// assert_eq!(offered, ["PROJ-2 Logo is blurry"]);
    /// chat.select("issue", "PROJ-2").await;
    /// assert_eq!(chat.replies(), ["Which issue?", "Triaging PROJ-2."]);
    /// # }
    /// ```
    #[track_caller]
    pub fn options(&self, action_id: &str, typed: &str) -> impl std::future::Future<Output = Vec<SelectOption>> + '_ {
        let (sent, block_id, _) = self.sent_element(action_id);
        let asked = payloads::suggestion(TEAM, &self.user, &self.at(&sent.ts, &block_id), action_id, typed);
        self.bot.orchestrator.options(asked)
    }

    #[track_caller]
    fn element_payload(&self, action_id: &str, prepare: impl FnOnce(Value) -> Value) -> Value {
        let (sent, block_id, element) = self.sent_element(action_id);
        let at = self.at(&sent.ts, &block_id);
        let body = payloads::block_action(TEAM, &self.user, &at, prepare(element), &self.bot.trigger_id());
        if sent.ephemeral {
            payloads::on_ephemeral(body)
        } else {
            body
        }
    }

    /// Where an element of the message `message_ts` here is, in the block `block_id`.
    fn at<'a>(&'a self, message_ts: &'a str, block_id: &'a str) -> ElementAt<'a> {
        ElementAt {
            channel: &self.channel,
            message_ts,
            thread_ts: self.thread.as_deref(),
            block_id,
        }
    }

    /// The newest element `action_id` the bot sent here: its message, its block's id and
    /// the element.
    #[track_caller]
    fn sent_element(&self, action_id: &str) -> (SentIn, String, Value) {
        self.bot
            .slack
            .calls()
            .into_iter()
            .rev()
            .find_map(|(request, reply)| {
                let (blocks, ts) = match (&request, &reply) {
                    (
                        SlackRequest::PostMessage {
                            channel,
                            blocks: Some(b),
                            ..
                        },
                        SlackReply::Message { ts, .. },
                    )
                    | (
                        SlackRequest::UpdateMessage {
                            channel,
                            blocks: Some(b),
                            ..
                        },
                        SlackReply::Message { ts, .. },
                    ) if *channel == self.channel => (b.clone(), SentIn::message(ts)),
                    (
                        SlackRequest::PostEphemeral {
                            channel,
                            user,
                            blocks: Some(b),
                            ..
                        },
                        reply,
                    ) if *channel == self.channel && *user == self.user => {
                        // Slack's `message_ts` of the ephemeral message, which its clicks carry.
                        let ts = match reply {
                            SlackReply::Ephemeral { ts } => ts.clone(),
                            _ => self.bot.slack.next_ts(),
                        };
                        (b.clone(), SentIn { ts, ephemeral: true })
                    }
                    _ => return None,
                };
                payloads::find_element(&blocks, action_id).map(|(block_id, element)| (ts, block_id, element))
            })
            .unwrap_or_else(|| panic!("the bot sent no element `{action_id}` in {}", self.where_()))
    }
}

/// The message an element was sent in: its `ts`, and whether only the user saw it.
struct SentIn {
    ts: String,
    ephemeral: bool,
}

impl SentIn {
    fn message(ts: &str) -> SentIn {
        SentIn {
            ts: ts.to_owned(),
            ephemeral: false,
        }
    }
}

/// The option of `element` (a menu or checkboxes) whose value is `value`, as Slack sends it
/// back chosen (for an external select, which lists no options, one of that value).
#[track_caller]
fn option_of(element: &Value, action_id: &str, value: &str) -> Value {
    let Some(options) = element["options"].as_array() else {
        // An external select: its options came from the bot's handler.
        return orchestrator_core::blocks::option(value, value);
    };
    options
        .iter()
        .find(|o| o["value"] == value)
        .cloned()
        .unwrap_or_else(|| panic!("menu `{action_id}` has no option `{value}`"))
}
