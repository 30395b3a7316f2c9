//! [`OrchestratorBuilder`]: what a bot registers (flows, schedules, state, external
//! selects' options, texts and limits) and how the engine's parts are put together from it.

use crate::engine::clock::Clock;
use crate::engine::commit::Writer;
use crate::engine::execute::StepRunner;
use crate::engine::locks::KeyLocks;
use crate::engine::options::{OptionsHandler, OptionsHandlers};
use crate::engine::orchestrator::{Inner, Orchestrator};
use crate::engine::outcome::BuildError;
use crate::engine::places::Places;
use crate::engine::scheduled::{Occurrence, Scheduled, TargetError};
use crate::engine::settings::Settings;
use crate::engine::wake::Wake;
use crate::telemetry::{MeteredSlack, Meters};
use orchestrator_core::{Flow, FlowDefinition, MemoryStore, Schedule, SlackApi, Store, Target};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

impl Orchestrator {
    /// Starts building an orchestrator.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
    /// assert_eq!(orchestrator.flows().count(), 0);
    /// ```
    pub fn builder() -> OrchestratorBuilder {
        OrchestratorBuilder::default()
    }
}

/// Builds an [`Orchestrator`]: its flows, where conversations are kept, how it reaches
/// Slack, and what it says when something is off. Only the Slack client is required (the
/// store defaults to memory).
///
/// ```
/// use orchestrator_runtime::{Orchestrator, RecordingSlack};
/// use std::time::Duration;
/// let orchestrator = Orchestrator::builder()
///     // .flow::<Onboarding>() for each `#[flow]`
///     .slack(RecordingSlack::new())
///     .bot_user("U0BOT")
///     .cancel_word("stop")
///     .retention(Duration::from_secs(7 * 24 * 3600))
///     .build()
///     .unwrap();
/// # drop(orchestrator);
/// assert!(Orchestrator::builder().build().is_err(), "no Slack client");
/// ```
#[derive(Default)]
pub struct OrchestratorBuilder {
    flows: Vec<FlowDefinition>,
    store: Option<Arc<dyn Store>>,
    slack: Option<Arc<dyn SlackApi>>,
    bot_user: Option<String>,
    settings: Settings,
    state: orchestrator_core::AppState,
    schedules: Vec<Scheduled>,
    team: String,
    clock: Option<Clock>,
    options: OptionsHandlers,
}

impl OrchestratorBuilder {
    /// Registers the typed flow `F` (what `#[flow]` generates, or a hand-written [`Flow`]).
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// #[flow(trigger = direct_message)]
    /// mod ping {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ping { #[start] Pong }
    ///     #[step(Pong)]
    ///     async fn pong(_cx: &mut Cx) -> Next<Ping> { complete("pong") }
    /// }
    /// let orchestrator = Orchestrator::builder()
    ///     .flow::<ping::Ping>()
    ///     .slack(slack_orchestrator::RecordingSlack::new())
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(orchestrator.flows().map(|f| f.name()).collect::<Vec<_>>(), ["ping"]);
    /// ```
    pub fn flow<F: Flow>(self) -> Self {
        self.definition(FlowDefinition::of::<F>())
    }

    /// Registers a flow definition. Flows are tried in registration order for triggers.
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::FlowDefinition;
    /// #[flow(trigger = direct_message)]
    /// mod ping {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ping { #[start] Pong }
    ///     #[step(Pong)]
    ///     async fn pong(_cx: &mut Cx) -> Next<Ping> { complete("pong") }
    /// }
    /// // Definitions chosen at run time, e.g. from a plugin list.
    /// let definitions = vec![FlowDefinition::of::<ping::Ping>()];
    /// let builder = definitions.into_iter().fold(Orchestrator::builder(), |b, d| b.definition(d));
    /// let orchestrator = builder.slack(slack_orchestrator::RecordingSlack::new()).build().unwrap();
    /// assert_eq!(orchestrator.flows().map(|f| f.name()).collect::<Vec<_>>(), ["ping"]);
    /// ```
    pub fn definition(mut self, definition: FlowDefinition) -> Self {
        self.flows.push(definition);
        self
    }

    /// Where flows are kept (default: a fresh [`MemoryStore`]).
    ///
    /// ```
    /// use orchestrator_runtime::{store, Orchestrator, RecordingSlack};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let path = std::env::temp_dir().join(format!("builder-store-{}.db", std::process::id()));
    /// let store = store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    /// let orchestrator = Orchestrator::builder().store(store).slack(RecordingSlack::new()).build().unwrap();
    /// assert!(orchestrator.store().list(false, 10).await.unwrap().is_empty());
    /// # drop(orchestrator);
    /// # for end in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{}{end}", path.display())); }
    /// # }
    /// ```
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// How steps talk to Slack.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack, SlackWebApi};
    /// // In tests, a recorder; in production, the Web API (`SlackWebApi::from_env()?`).
    /// let recorded = Orchestrator::builder().slack(RecordingSlack::new()).build();
    /// assert!(recorded.is_ok());
    /// let web = SlackWebApi::new("xoxb-your-token", None).unwrap();
    /// let live = Orchestrator::builder().slack(std::sync::Arc::new(web)).build();
    /// assert!(live.is_ok());
    /// ```
    pub fn slack(mut self, slack: Arc<dyn SlackApi>) -> Self {
        self.slack = Some(slack);
        self
    }

    /// The bot's own user id (from `auth.test`): its messages are never input.
    ///
    /// ```
    /// use orchestrator_runtime::{Ignored, Orchestrator, Outcome, RecordingSlack};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).bot_user("U0BOT").build().unwrap();
    /// let own = serde_json::json!({"type": "message", "channel": "D1", "channel_type": "im",
    ///     "user": "U0BOT", "text": "What's your name?", "ts": "1.1", "team": "T1"});
    /// assert_eq!(orchestrator.handle_json(&own).await.unwrap(), Outcome::Ignored(Ignored::OwnMessage));
    /// # }
    /// ```
    pub fn bot_user(mut self, user_id: impl Into<String>) -> Self {
        self.bot_user = Some(user_id.into());
        self
    }

    /// The ephemeral notice for a click on a flow that has ended.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide, Confirm }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("d", vec![blocks::button("go", "Deploy", "go"), blocks::button("later", "Later", "later")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         if click.action_id == "later" { return complete("Maybe later."); }
    /// #         let sure = blocks::actions("c", vec![blocks::button("yes", "Yes", "yes")]);
    /// #         cx.send_interactive_message("Sure?", serde_json::json!([sure])).await?;
    /// #         goto(Deploy::Confirm)
    /// #     }
    /// #     #[step(Confirm)]
    /// #     async fn confirm(_cx: &mut Cx, _click: Click) -> Next<Deploy> {
    /// #         Err(StepError::msg("the deploy service is down"))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>().ended_notice("This one is closed."));
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.click("later").await;
    /// chat.click("go").await; // on the same message, after the flow ended
    /// chat.expect_ephemeral("This one is closed.");
    /// # }
    /// ```
    pub fn ended_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.ended_notice = text.into();
        self
    }

    /// Told (only to the user) when the current step does not take their message or
    /// command: typing while buttons or a modal are expected, a second slash command while
    /// a flow runs. The flow goes on waiting. If the flow can be left with a cancel word
    /// (its own, else the bot's [`cancel_word`]), the notice ends with it ("To stop
    /// instead, say `cancel`."), unless the text names the word already.
    ///
    /// [`cancel_word`]: OrchestratorBuilder::cancel_word
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide, Confirm }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("d", vec![blocks::button("go", "Deploy", "go"), blocks::button("later", "Later", "later")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         if click.action_id == "later" { return complete("Maybe later."); }
    /// #         let sure = blocks::actions("c", vec![blocks::button("yes", "Yes", "yes")]);
    /// #         cx.send_interactive_message("Sure?", serde_json::json!([sure])).await?;
    /// #         goto(Deploy::Confirm)
    /// #     }
    /// #     #[step(Confirm)]
    /// #     async fn confirm(_cx: &mut Cx, _click: Click) -> Next<Deploy> {
    /// #         Err(StepError::msg("the deploy service is down"))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let builder = Orchestrator::builder().flow::<deploy::Deploy>();
    /// let bot = TestBot::new(builder.unexpected_notice("Please use the buttons."));
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.send("yes, deploy!").await; // the step waits for a click
    /// chat.expect_ephemeral("Please use the buttons.");
    /// chat.click("later").await; // and still takes it
    /// assert!(chat.replies().contains(&"Maybe later.".to_owned()));
    /// # }
    /// ```
    pub fn unexpected_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.unexpected_notice = text.into();
        self
    }

    /// A message that ends the user's active flow whatever step it is in (compared without
    /// case or surrounding spaces), e.g. `"cancel"`; several may be given. A click on a
    /// button whose `action_id` is the word does too, from any step: a Cancel button on the
    /// flow's first message still works once later questions were asked. The flow ends
    /// (ERROR, "cancelled by the user") and the user is told [`cancelled_notice`]. None by
    /// default: a flow may expect the word as an answer. The first word is named in the
    /// [`unexpected_notice`], so a user who cannot give the answer a flow waits for learns
    /// how to leave it.
    ///
    /// [`cancelled_notice`]: OrchestratorBuilder::cancelled_notice
    /// [`unexpected_notice`]: OrchestratorBuilder::unexpected_notice
    ///
    /// ```
    /// let builder = orchestrator_runtime::Orchestrator::builder().cancel_word("cancel").cancel_word("stop");
    /// # drop(builder);
    /// ```
    pub fn cancel_word(mut self, word: impl Into<String>) -> Self {
        self.settings.cancel_words.push(word.into().trim().to_lowercase());
        self
    }

    /// What a user who ended a flow with a cancel word is told (default "Cancelled.").
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide, Confirm }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("d", vec![blocks::button("go", "Deploy", "go"), blocks::button("later", "Later", "later")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         if click.action_id == "later" { return complete("Maybe later."); }
    /// #         let sure = blocks::actions("c", vec![blocks::button("yes", "Yes", "yes")]);
    /// #         cx.send_interactive_message("Sure?", serde_json::json!([sure])).await?;
    /// #         goto(Deploy::Confirm)
    /// #     }
    /// #     #[step(Confirm)]
    /// #     async fn confirm(_cx: &mut Cx, _click: Click) -> Next<Deploy> {
    /// #         Err(StepError::msg("the deploy service is down"))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let builder = Orchestrator::builder().flow::<deploy::Deploy>().cancel_word("stop");
    /// let bot = TestBot::new(builder.cancelled_notice("Stopped. Say anything to start again."));
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.send("STOP").await;
    /// assert!(chat.replies().contains(&"Stopped. Say anything to start again.".to_owned()));
    /// assert!(bot.flows().await.iter().all(|f| !f.is_active()));
    /// # }
    /// ```
    pub fn cancelled_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.cancelled_notice = text.into();
        self
    }

    /// The notice to a user whose click is on a step the flow has left (default "That
    /// choice is no longer available: the conversation has moved on.").
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide, Confirm }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("d", vec![blocks::button("go", "Deploy", "go"), blocks::button("later", "Later", "later")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         if click.action_id == "later" { return complete("Maybe later."); }
    /// #         let sure = blocks::actions("c", vec![blocks::button("yes", "Yes", "yes")]);
    /// #         cx.send_interactive_message("Sure?", serde_json::json!([sure])).await?;
    /// #         goto(Deploy::Confirm)
    /// #     }
    /// #     #[step(Confirm)]
    /// #     async fn confirm(_cx: &mut Cx, _click: Click) -> Next<Deploy> {
    /// #         Err(StepError::msg("the deploy service is down"))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let builder = Orchestrator::builder().flow::<deploy::Deploy>();
    /// let bot = TestBot::new(builder.stale_notice("That question was already answered."));
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.click("go").await; // the flow moves on to "Sure?"
    /// chat.click("later").await; // a button of the first question
    /// chat.expect_ephemeral("That question was already answered.");
    /// # }
    /// ```
    pub fn stale_notice(mut self, text: impl Into<String>) -> Self {
        self.settings.stale_notice = text.into();
        self
    }

    /// The message sent when a step fails with an error.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// # #[flow(trigger = direct_message)]
    /// # mod deploy {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Deploy { #[start] Ask, Decide, Confirm }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    /// #         let buttons = blocks::actions("d", vec![blocks::button("go", "Deploy", "go"), blocks::button("later", "Later", "later")]);
    /// #         cx.send_interactive_message("Deploy v2?", serde_json::json!([buttons])).await?;
    /// #         goto(Deploy::Decide)
    /// #     }
    /// #     #[step(Decide)]
    /// #     async fn decide(cx: &mut Cx, click: Click) -> Next<Deploy> {
    /// #         if click.action_id == "later" { return complete("Maybe later."); }
    /// #         let sure = blocks::actions("c", vec![blocks::button("yes", "Yes", "yes")]);
    /// #         cx.send_interactive_message("Sure?", serde_json::json!([sure])).await?;
    /// #         goto(Deploy::Confirm)
    /// #     }
    /// #     #[step(Confirm)]
    /// #     async fn confirm(_cx: &mut Cx, _click: Click) -> Next<Deploy> {
    /// #         Err(StepError::msg("the deploy service is down"))
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let builder = Orchestrator::builder().flow::<deploy::Deploy>();
    /// let bot = TestBot::new(builder.error_message("Something broke; the team is on it."));
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.click("go").await;
    /// chat.click("yes").await; // its step fails with an error
    /// assert_eq!(chat.replies().last().map(String::as_str), Some("Something broke; the team is on it."));
    /// # }
    /// ```
    pub fn error_message(mut self, text: impl Into<String>) -> Self {
        self.settings.error_message = text.into();
        self
    }

    /// How long a settled event id is remembered (default one hour; Slack retries within minutes).
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use std::time::Duration;
    /// // Slack retries within minutes; a day covers a bot that was down for hours.
    /// let orchestrator = Orchestrator::builder()
    ///     .slack(RecordingSlack::new())
    ///     .dedup_ttl(Duration::from_secs(24 * 3600))
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.settings.dedup_ttl = ttl;
        self
    }

    /// How long completed, timed-out and failed flows are kept (default seven days; `flows
    /// list --all` shows them until then).
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// use std::time::Duration;
    /// // Ended flows stay for `flows list --all` for 30 days, then go.
    /// let orchestrator = Orchestrator::builder()
    ///     .slack(RecordingSlack::new())
    ///     .retention(Duration::from_secs(30 * 24 * 3600))
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn retention(mut self, retention: Duration) -> Self {
        self.settings.retention = retention;
        self
    }

    /// Registers application state of type `T` that every step reaches with
    /// [`Cx::state`](orchestrator_core::Cx::state): a database pool, a config, an HTTP
    /// client. One value per type (wrap two of a type in types of their own); registering a
    /// type again replaces the value.
    ///
    /// ```
    /// struct Approvers(Vec<String>);
    /// let orchestrator = orchestrator_runtime::Orchestrator::builder()
    ///     .slack(orchestrator_runtime::RecordingSlack::new())
    ///     .state(Approvers(vec!["U_BOSS".into()]))
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Answers the external select (`external_select`, `multi_external_select`) whose
    /// `action_id` is `action_id` with the options `handler` finds for what the user typed
    /// (Slack's `block_suggestion`, sent to the app's Options Load URL: the bot's
    /// `/slack/events`). Slack waits 3 s: a handler that takes over 2.5 s, fails or panics
    /// leaves the menu empty, with a log line. At most 100 options are shown.
    ///
    /// ```
    /// use orchestrator_runtime::Orchestrator;
    /// use orchestrator_core::SelectOption;
    /// let builder = Orchestrator::builder().options("fruit", |asked| async move {
    ///     let typed = asked.value.to_lowercase();
    ///     ["apple", "banana", "cherry"]
    ///         .into_iter()
    ///         .filter(|fruit| fruit.contains(&typed))
    ///         .map(|fruit| SelectOption::new(fruit, fruit))
    ///         .collect()
    /// });
    /// ```
    pub fn options<F, Fut>(mut self, action_id: impl Into<String>, handler: F) -> Self
    where
        F: Fn(orchestrator_core::Suggestion) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<orchestrator_core::SelectOption>> + Send + 'static,
    {
        let handler: OptionsHandler = Arc::new(move |asked| Box::pin(handler(asked)));
        self.options.insert(action_id.into(), handler);
        self
    }

    /// How long a received event belongs to the process that received it (default 10 s).
    /// If that process dies (or fails) before applying it, another replica, or this
    /// process after a restart, applies it once the lease has ended: shorter than you want
    /// a user to wait after a crash. A step may take longer: the process renews the lease
    /// every third of it while it applies the event (one store write each time), so a slow
    /// Slack answer or a long rate limit does not hand the event to another replica.
    ///
    /// ```
    /// use std::time::Duration;
    /// let orchestrator = orchestrator_runtime::Orchestrator::builder()
    ///     .slack(orchestrator_runtime::RecordingSlack::new())
    ///     .event_lease(Duration::from_secs(30))
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn event_lease(mut self, lease: Duration) -> Self {
        self.settings.event_lease = lease;
        self
    }

    /// For how long after a user's event arrived (or a deadline fell due) a Slack outage
    /// puts its step off instead of ending the flow (default 10 minutes; zero turns it
    /// off). When a step's post still fails after the Web API client's own retries with an
    /// error that says Slack cannot do it *now* (a 5xx, `internal_error`,
    /// `service_unavailable`, rate limits, no answer), the step gets the error as always,
    /// but nothing of the run is saved: the event stays pending and is applied again once
    /// its lease ends (a timeout fires again once its claim's lease ends), as a replay that
    /// finds by their tags the posts Slack did make, so none is sent twice. After this
    /// long, the step's error takes its course (by default the flow ends in ERROR). A
    /// schedule's occurrence whose DMs or first steps Slack cannot serve is put off too,
    /// and fires again a minute later; so is the first step of a flow started from code
    /// (`Orchestrator::start`, `Cx::start_flow`: its start stays pending and is applied
    /// again after its lease, by this process or any other on the store).
    ///
    /// ```
    /// use std::time::Duration;
    /// let orchestrator = orchestrator_runtime::Orchestrator::builder()
    ///     .slack(orchestrator_runtime::RecordingSlack::new())
    ///     .slack_patience(Duration::from_secs(30 * 60))
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn slack_patience(mut self, patience: Duration) -> Self {
        self.settings.slack_patience = chrono::Duration::from_std(patience).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// The workspace (team id) the bot runs in: the team of the conversations it starts on
    /// its own, e.g. a schedule's DMs. The bot binary sets it from `auth.test`.
    ///
    /// ```
    /// use orchestrator_runtime::{Orchestrator, RecordingSlack};
    /// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).team("T0123").build().unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn team(mut self, team_id: impl Into<String>) -> Self {
        self.team = team_id.into();
        self
    }

    /// The clock the orchestrator reads "now" from (default: [`Clock::new`], the wall
    /// clock). Tests of schedules start it at a chosen time with [`Clock::at`], under
    /// tokio's paused time.
    ///
    /// ```
    /// use orchestrator_runtime::{Clock, Orchestrator, RecordingSlack};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let monday: chrono::DateTime<chrono::Utc> = "2026-11-30T07:59:00Z".parse().unwrap();
    /// let orchestrator = Orchestrator::builder()
    ///     .slack(RecordingSlack::new())
    ///     .clock(Clock::at(monday))
    ///     .build()
    ///     .unwrap();
    /// assert!(orchestrator.now() >= monday);
    /// # }
    /// ```
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the orchestrator.
    ///
    /// ```
    /// use orchestrator_runtime::{BuildError, Orchestrator, RecordingSlack};
    /// assert!(matches!(Orchestrator::builder().build(), Err(BuildError::NoSlack)));
    /// assert!(Orchestrator::builder().slack(RecordingSlack::new()).build().is_ok());
    /// ```
    pub fn build(self) -> Result<Orchestrator, BuildError> {
        let mut by_name = HashMap::new();
        let mut flows = Vec::new();
        for definition in self.flows {
            let definition = Arc::new(definition);
            if by_name
                .insert(definition.name().to_owned(), definition.clone())
                .is_some()
            {
                return Err(BuildError::DuplicateFlow(definition.name().to_owned()));
            }
            flows.push(definition);
        }
        let mut schedules = HashMap::new();
        for scheduled in self.schedules {
            if !by_name.contains_key(&scheduled.flow) {
                return Err(BuildError::UnknownScheduledFlow(scheduled.flow.clone()));
            }
            let flow = scheduled.flow.clone();
            if schedules.insert(scheduled.key(), scheduled).is_some() {
                return Err(BuildError::DuplicateSchedule(flow));
            }
        }
        let clock = self.clock.unwrap_or_default();
        crate::telemetry::prometheus();
        let meters = Arc::new(Meters::new(flows.iter().map(|flow| flow.name())));
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let slack: Arc<dyn SlackApi> = Arc::new(MeteredSlack {
            slack: self.slack.ok_or(BuildError::NoSlack)?,
            meters: meters.clone(),
        });
        let state = Arc::new(self.state);
        let wake = Arc::new(Wake::default());
        let settings = self.settings;
        let inner = Inner {
            steps: StepRunner::new(slack.clone(), state.clone(), clock, settings.max_chain, meters.clone()),
            writer: Writer::new(
                store.clone(),
                clock,
                wake.clone(),
                settings.error_message.clone(),
                meters.clone(),
            ),
            meters,
            schedules,
            team: self.team,
            flows,
            by_name,
            store,
            slack,
            started_at: clock.now(),
            clock,
            locks: KeyLocks::default(),
            bot_user: self.bot_user.map(|id| {
                let mention = format!("<@{id}>");
                (id, mention)
            }),
            settings,
            wake,
            schedules_installed: tokio::sync::OnceCell::new(),
            options: self.options,
            places: Places::default(),
            state,
        };
        Ok(Orchestrator { inner: Arc::new(inner) })
    }

    /// Starts flow `F` at the times of `schedule`, for the targets `targets` returns at each
    /// occurrence: a [`Target`] (a user's DM, a channel) and the step to start at, with its
    /// data. Once per occurrence, whatever the number of replicas; an occurrence missed
    /// while the bot was down fires once at start (or not: [`Schedule::missed`]). A target
    /// whose conversation already has an active flow is skipped (and logged). If `targets`
    /// fails, the occurrence is logged and skipped.
    ///
    /// ```
    /// use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::{Schedule, Target};
    /// #[flow]
    /// mod standup {
    ///     use slack_orchestrator::prelude::*;
    ///     #[derive(Debug)]
    ///     pub enum Standup { #[start] Ask, Listen }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Standup> {
    ///         cx.say("What are you working on today?").await?;
    ///         goto(Standup::Listen)
    ///     }
    ///     #[step(Listen)]
    ///     async fn listen(_cx: &mut Cx, said: Text) -> Next<Standup> { complete("Thanks!") }
    /// }
    /// struct Team(Vec<String>);
    /// let weekdays = Schedule::cron("0 9 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap();
    /// let orchestrator = Orchestrator::builder()
    ///     .flow::<standup::Standup>()
    ///     .state(Team(vec!["U_ANA".into(), "U_BOB".into()]))
    ///     .schedule(weekdays, |at: Occurrence| async move {
    ///         let team = at.state::<Team>()?;
    ///         Ok(team.0.iter().map(|user| (Target::dm(user), standup::Standup::Ask)).collect())
    ///     })
    ///     .slack(slack_orchestrator::RecordingSlack::new())
    ///     .build()
    ///     .unwrap();
    /// # drop(orchestrator);
    /// ```
    pub fn schedule<F, R, Fut>(mut self, schedule: Schedule, targets: R) -> Self
    where
        F: Flow,
        R: Fn(Occurrence) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<(Target, F)>, TargetError>> + Send + 'static,
    {
        self.schedules.push(Scheduled::new::<F, R, Fut>(schedule, targets));
        self
    }
}
