//! What a registered schedule is ([`Scheduled`]: a flow, a [`Schedule`], and the bot's
//! function that resolves an [`Occurrence`] into targets), and the key of the record that
//! keeps it. Firing schedules is `schedules`.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use orchestrator_core::{
    AppState, ConversationKey, Flow, MissingState, Schedule, SlackApi, SlackError, StoredStep, Target,
};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

/// The `flow` of the records that keep schedules (not a name `#[flow]` can produce).
pub(crate) const SCHEDULE_FLOW: &str = "@schedule";

/// An error of the bot's target function; any error type converts with `?`.
///
/// ```
/// use orchestrator_runtime::{Occurrence, TargetError};
/// use slack_orchestrator::Target;
/// // Any error converts with `?`: a missing state, a Web API error, a parse error.
/// async fn targets(at: Occurrence) -> Result<Vec<(Target, ())>, TargetError> {
///     let members = at.api_call("conversations.members", serde_json::json!({"channel": "C_TEAM"})).await?;
///     let limit: usize = "10".parse()?;
///     let users = members["members"].as_array().into_iter().flatten().filter_map(|m| m.as_str());
///     Ok(users.take(limit).map(|user| (Target::dm(user), ())).collect())
/// }
/// ```
pub type TargetError = Box<dyn std::error::Error + Send + Sync>;

type Resolve = dyn Fn(Occurrence) -> BoxFuture<'static, Result<Vec<(Target, StoredStep)>, TargetError>> + Send + Sync;

/// One registered schedule.
pub(crate) struct Scheduled {
    pub(crate) flow: String,
    pub(crate) schedule: Schedule,
    pub(crate) resolve: Box<Resolve>,
}

impl Scheduled {
    /// Flow `F` at the times of `schedule`, for the targets `targets` returns at each
    /// occurrence (their steps serialized once resolved).
    pub(crate) fn new<F, R, Fut>(schedule: Schedule, targets: R) -> Self
    where
        F: Flow,
        R: Fn(Occurrence) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<(Target, F)>, TargetError>> + Send + 'static,
    {
        let resolve = move |occurrence: Occurrence| -> BoxFuture<'static, _> {
            let starts = targets(occurrence);
            Box::pin(async move {
                let starts = starts.await?;
                starts
                    .into_iter()
                    .map(|(target, step)| Ok((target, StoredStep::of(&step)?)))
                    .collect()
            })
        };
        Scheduled {
            flow: F::options().name,
            schedule,
            resolve: Box::new(resolve),
        }
    }

    /// The conversation key its record is kept under: one per flow and schedule name.
    pub(crate) fn key(&self) -> ConversationKey {
        match self.schedule.name() {
            Some(name) => ConversationKey(format!("{SCHEDULE_FLOW}:{}:{name}", self.flow)),
            None => ConversationKey(format!("{SCHEDULE_FLOW}:{}", self.flow)),
        }
    }
}

/// One occurrence of a schedule, as the bot's target function sees it: when it is, the
/// application state, and the Web API (e.g. `conversations.members` of a team channel).
///
/// ```
/// use slack_orchestrator::prelude::*;
/// use slack_orchestrator::{Schedule, Target};
/// #[flow]
/// mod checkin {
///     use slack_orchestrator::prelude::*;
///     pub enum Checkin { #[start] Ask, Listen }
///     #[step(Ask)]
///     async fn ask(cx: &mut Cx) -> Next<Checkin> {
///         cx.say("How did this week go?").await?;
///         goto(Checkin::Listen)
///     }
///     #[step(Listen)]
///     async fn listen(_cx: &mut Cx, said: Text) -> Next<Checkin> { complete("Thanks!") }
/// }
/// let fridays = Schedule::cron("0 16 * * FRI").unwrap();
/// let orchestrator = Orchestrator::builder()
///     .flow::<checkin::Checkin>()
///     .schedule(fridays, |at: Occurrence| async move {
///         // Everyone in the team channel at that time (`at.time()` says when it is).
///         let members = at.api_call("conversations.members", serde_json::json!({"channel": "C_TEAM"})).await?;
///         let users = members["members"].as_array().cloned().unwrap_or_default();
///         Ok(users.iter().filter_map(|u| u.as_str()).map(|u| (Target::dm(u), checkin::Checkin::Ask)).collect())
///     })
///     .slack(slack_orchestrator::RecordingSlack::new())
///     .build()
///     .unwrap();
/// # drop(orchestrator);
/// ```
pub struct Occurrence {
    pub(crate) at: DateTime<Utc>,
    pub(crate) state: Arc<AppState>,
    pub(crate) slack: Arc<dyn SlackApi>,
}

impl Occurrence {
    /// The time this occurrence was scheduled for (not when it fired, if it fired late).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{Clock, Occurrence, TargetError};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] ByHand, Say { text: String } }
    /// #     #[step(ByHand)]
    /// #     async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Hello> { complete_silently() }
    /// #     #[step(Say { text })]
    /// #     async fn say(_cx: &mut Cx, text: String) -> Next<Hello> { complete(text) }
    /// # }
    /// async fn fired(at: Occurrence) -> Result<Vec<(Target, hello::Hello)>, TargetError> {
    ///     let text = format!("Good morning, it is {}.", at.time().format("%H:%M"));
    ///     Ok(vec![(Target::dm("U1"), hello::Hello::Say { text })])
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let nine = Schedule::cron("0 9 * * *").unwrap();
    /// let at_8_59 = "2026-12-07T08:59:30Z".parse().unwrap();
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>().clock(Clock::at(at_8_59))
    ///     .state(String::from("#general")).schedule(nine, fired));
    /// let mut dm = bot.dm("U1");
    /// bot.advance(Duration::from_secs(40)).await;
    /// dm.expect_reply("Good morning, it is 09:00.");
    /// # }
    /// ```
    pub fn time(&self) -> DateTime<Utc> {
        self.at
    }

    /// The application state of type `T` registered with [`OrchestratorBuilder::state`](crate::OrchestratorBuilder::state).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{Clock, Occurrence, TargetError};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] ByHand, Say { text: String } }
    /// #     #[step(ByHand)]
    /// #     async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Hello> { complete_silently() }
    /// #     #[step(Say { text })]
    /// #     async fn say(_cx: &mut Cx, text: String) -> Next<Hello> { complete(text) }
    /// # }
    /// async fn fired(at: Occurrence) -> Result<Vec<(Target, hello::Hello)>, TargetError> {
    ///     let channel = at.state::<String>()?; // registered with `.state(...)`
    ///     Ok(vec![(Target::dm("U1"), hello::Hello::Say { text: format!("Standup in {channel}.") })])
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let nine = Schedule::cron("0 9 * * *").unwrap();
    /// let at_8_59 = "2026-12-07T08:59:30Z".parse().unwrap();
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>().clock(Clock::at(at_8_59))
    ///     .state(String::from("#general")).schedule(nine, fired));
    /// let mut dm = bot.dm("U1");
    /// bot.advance(Duration::from_secs(40)).await;
    /// dm.expect_reply("Standup in #general.");
    /// # }
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Result<&T, MissingState> {
        self.state.get::<T>()
    }

    /// Calls any Web API method (as [`Cx::api_call`](orchestrator_core::Cx::api_call)).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{Clock, Occurrence, TargetError};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] ByHand, Say { text: String } }
    /// #     #[step(ByHand)]
    /// #     async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Hello> { complete_silently() }
    /// #     #[step(Say { text })]
    /// #     async fn say(_cx: &mut Cx, text: String) -> Next<Hello> { complete(text) }
    /// # }
    /// async fn fired(at: Occurrence) -> Result<Vec<(Target, hello::Hello)>, TargetError> {
    ///     let members = at.api_call("conversations.members", serde_json::json!({"channel": "C_TEAM"})).await?;
    ///     let asked = members["ok"].as_bool().unwrap_or_default();
    ///     Ok(vec![(Target::dm("U1"), hello::Hello::Say { text: format!("Asked Slack: {asked}.") })])
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let nine = Schedule::cron("0 9 * * *").unwrap();
    /// let at_8_59 = "2026-12-07T08:59:30Z".parse().unwrap();
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>().clock(Clock::at(at_8_59))
    ///     .state(String::from("#general")).schedule(nine, fired));
    /// let mut dm = bot.dm("U1");
    /// bot.advance(Duration::from_secs(40)).await;
    /// dm.expect_reply("Asked Slack: true.");
    /// assert!(bot.slack().requests().iter().any(|r| r.method() == "conversations.members"));
    /// # }
    /// ```
    pub async fn api_call(&self, method: &str, args: Value) -> Result<Value, SlackError> {
        self.slack.api_call(method, args).await
    }

    /// Calls a Web API method typed (as [`Cx::web_api`](orchestrator_core::Cx::web_api)).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::{Clock, Occurrence, TargetError};
    /// use std::time::Duration;
    /// # #[flow(trigger = command("/hello"))]
    /// # mod hello {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Hello { #[start] ByHand, Say { text: String } }
    /// #     #[step(ByHand)]
    /// #     async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Hello> { complete_silently() }
    /// #     #[step(Say { text })]
    /// #     async fn say(_cx: &mut Cx, text: String) -> Next<Hello> { complete(text) }
    /// # }
    /// #[derive(serde::Serialize)]
    /// struct Members<'a> { channel: &'a str }
    /// #[derive(serde::Deserialize)]
    /// struct Answer { ok: bool }
    /// async fn fired(at: Occurrence) -> Result<Vec<(Target, hello::Hello)>, TargetError> {
    ///     let answer: Answer = at.web_api("conversations.members", &Members { channel: "C_TEAM" }).await?;
    ///     Ok(vec![(Target::dm("U1"), hello::Hello::Say { text: format!("Typed answer: {}.", answer.ok) })])
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let nine = Schedule::cron("0 9 * * *").unwrap();
    /// let at_8_59 = "2026-12-07T08:59:30Z".parse().unwrap();
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>().clock(Clock::at(at_8_59))
    ///     .state(String::from("#general")).schedule(nine, fired));
    /// let mut dm = bot.dm("U1");
    /// bot.advance(Duration::from_secs(40)).await;
    /// dm.expect_reply("Typed answer: true.");
    /// # }
    /// ```
    pub async fn web_api<Req, Resp>(&self, method: &str, request: &Req) -> Result<Resp, SlackError>
    where
        Req: serde::Serialize + ?Sized,
        Resp: serde::de::DeserializeOwned,
    {
        orchestrator_core::typed_call(&*self.slack, method, request).await
    }
}
