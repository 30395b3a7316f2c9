//! Any other Web API call (typed, as JSON, or as a [`SlackRequest`]), the Home tab, a DM
//! opened; and how a call Slack cannot make now puts the step's run off.

use super::Cx;
use crate::slack::{SlackError, SlackReply, SlackRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

impl Cx {
    /// Makes any other call, e.g. `views.update`.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = direct_message)]
    /// mod pin {
    ///     use slack_orchestrator::prelude::*;
    ///     use slack_orchestrator::SlackRequest;
    ///     pub enum Pin { #[start] Pin }
    ///     #[step(Pin)]
    ///     async fn pin(cx: &mut Cx) -> Next<Pin> {
    ///         let channel = cx.context().channel_id.clone();
    ///         let args = serde_json::json!({"channel": channel, "name": "eyes", "timestamp": "1.1"});
    ///         cx.call(SlackRequest::Call { method: "reactions.add".into(), args }).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<pin::Pin>());
    /// bot.dm("U1").send("look").await;
    /// assert!(bot.slack().requests().iter().any(|r| r.method() == "reactions.add"));
    /// # }
    /// ```
    pub async fn call(&mut self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        self.send(request).await
    }

    /// Calls any Web API method with Slack's arguments as JSON and returns Slack's whole
    /// answer: the escape hatch for what the typed calls do not cover (`users.info`,
    /// `chat.scheduleMessage`, `views.publish`, `reactions.add`, …). A 429 is waited out
    /// and retried like every call; `ok: false` is [`SlackError::Api`] with Slack's code.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// let user = cx.api_call("users.info", serde_json::json!({"user": "U42"})).await?;
    /// let tz = user["user"]["tz"].as_str().unwrap_or("UTC");
    /// # Ok(()) }
    /// ```
    pub async fn api_call(&mut self, method: &str, args: Value) -> Result<Value, SlackError> {
        self.not_put_off()?;
        let answer = self.api.api_call(method, args).await;
        self.heard(answer)
    }

    /// Calls `method` typed: a request and a response of slack-morphism's models (re-exported
    /// as `slack_orchestrator::slack_morphism`), or serde types of your own. The same 429
    /// handling as every call; Slack's `ok: false` is [`SlackError::Api`].
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// #[derive(serde::Serialize)]
    /// struct UsersInfo<'a> { user: &'a str }
    /// #[derive(serde::Deserialize)]
    /// struct Answer { user: User }
    /// #[derive(serde::Deserialize)]
    /// struct User { tz: Option<String> }
    /// let answer: Answer = cx.web_api("users.info", &UsersInfo { user: "U42" }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn web_api<Req, Resp>(&mut self, method: &str, request: &Req) -> Result<Resp, SlackError>
    where
        Req: serde::Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.not_put_off()?;
        let answer = crate::slack::typed_call(&*self.api, method, request).await;
        self.heard(answer)
    }

    /// Publishes `view` (a `{"type": "home", "blocks": [...]}` view) as the Home tab of the
    /// flow's user (`views.publish`). Buttons on it start flows with `action("…")` triggers.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = app_home)]
    /// mod home {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Home { #[start] Show }
    ///     #[step(Show)]
    ///     async fn show(cx: &mut Cx) -> Next<Home> {
    ///         let view = serde_json::json!({"type": "home", "blocks": [blocks::section("Welcome back!")]});
    ///         cx.publish_home(view).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use slack_orchestrator::payloads;
    /// let bot = TestBot::new(Orchestrator::builder().flow::<home::Home>());
    /// bot.deliver(&payloads::app_home_opened("T0TEST", "U1", "Ev1")).await;
    /// let published = bot.slack().requests().into_iter().find(|r| r.method() == "views.publish").unwrap();
    /// assert!(format!("{published:?}").contains("Welcome back!"));
    /// # }
    /// ```
    pub async fn publish_home(&mut self, view: Value) -> Result<Value, SlackError> {
        let user = self.user_id().to_owned();
        self.api_call("views.publish", serde_json::json!({"user_id": user, "view": view}))
            .await
    }

    /// Opens (or finds) the direct-message channel with `user` (`conversations.open`) and
    /// returns its id, e.g. to ask an approver with [`Cx::post_to`].
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/ask-manager"))]
    /// mod ask {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ask { #[start] Send }
    ///     #[step(Send)]
    ///     async fn send(cx: &mut Cx, command: Command) -> Next<Ask> {
    ///         let manager = command.text.trim_start_matches('@').to_owned();
    ///         let dm = cx.open_dm(&manager).await?; // conversations.open
    ///         cx.post_to(dm, format!("<@{}> has a question for you.", cx.user_id()), None).await?;
    ///         complete("Your manager was asked.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ask::Ask>());
    /// let mut manager = bot.dm("U2"); // reads what the bot says from now on
    /// let (mut chat, _) = bot.command("U1", "C1", "/ask-manager", "@U2").await;
    /// chat.expect_reply("Your manager was asked.");
    /// manager.expect_reply("<@U1> has a question for you.");
    /// # }
    /// ```
    pub async fn open_dm(&mut self, user: &str) -> Result<String, SlackError> {
        self.not_put_off()?;
        let answer = self.api.open_dm(user).await;
        self.heard(answer)
    }

    /// Makes a call of the step's: not once the run is put off, and one that Slack cannot
    /// make now puts it off (see [`Cx::heard`]).
    pub(super) async fn send(&mut self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        self.not_put_off()?;
        let answer = self.api.call(request).await;
        self.heard(answer)
    }

    /// Before a call of the step's: once the run is put off ([`Cx::replay_unsure`]),
    /// nothing more goes out until it is tried again.
    pub(super) fn not_put_off(&self) -> Result<(), SlackError> {
        match &self.unsure {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// After a call of the step's: one that Slack cannot make now puts the run off, with
    /// [`Cx::set_retry_later`].
    pub(super) fn heard<T>(&mut self, answer: Result<T, SlackError>) -> Result<T, SlackError> {
        if let Err(error) = &answer {
            if self.retry_later && error.is_temporary() && self.unsure.is_none() {
                self.unsure = Some(error.clone());
            }
        }
        answer
    }
}
