//! What a step says: messages (tagged, so a replay after a crash finds them instead of
//! posting twice), their updates, ephemeral messages and `response_url` replies.

use super::Cx;
use crate::record::{Direction, LoggedMessage};
use crate::slack::{PostTag, SlackError, SlackReply, SlackRequest};
use crate::tag::tag;
use serde_json::Value;

impl Cx {
    /// Sends a message to the conversation (in its thread, if it has one).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = mention)]
    /// mod status {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Status { #[start] Report }
    ///     #[step(Report)]
    ///     async fn report(cx: &mut Cx) -> Next<Status> {
    ///         cx.send_message("All systems go.").await?; // in the mention's thread
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<status::Status>());
    /// let mut thread = bot.mention("U1", "C1", "<@UBOT> status?").await;
    /// assert!(thread.thread_ts().is_some());
    /// thread.expect_reply("All systems go.");
    /// # }
    /// ```
    pub async fn send_message(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.post(text.into(), None).await
    }

    /// Shorthand for [`Cx::send_message`].
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod hello {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Hello { #[start] Greet }
    ///     #[step(Greet)]
    ///     async fn greet(cx: &mut Cx) -> Next<Hello> {
    ///         cx.say("Hello!").await?;
    ///         cx.say("I'm the onboarding bot.").await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<hello::Hello>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("hi").await;
    /// assert_eq!(chat.replies(), ["Hello!", "I'm the onboarding bot."]);
    /// # }
    /// ```
    pub async fn say(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.send_message(text).await
    }

    /// Sends a message with Block Kit `blocks` (buttons, menus). Every block is tagged with
    /// the flow id so that clicks find their way back to this flow.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = direct_message)]
    /// mod deploy {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Deploy { #[start] Ask, Decide }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Deploy> {
    ///         let buttons = blocks::actions("decision", vec![
    ///             blocks::button("go", "Deploy", "go"),
    ///             blocks::button("stop", "Cancel", "stop"),
    ///         ]);
    ///         cx.send_interactive_message("Deploy v2?", serde_json::json!([blocks::section("Deploy v2?"), buttons])).await?;
    ///         goto(Deploy::Decide)
    ///     }
    ///     #[step(Decide)]
    ///     async fn decide(_cx: &mut Cx, click: Click) -> Next<Deploy> {
    ///         complete(format!("You chose {}.", click.action_id))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<deploy::Deploy>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("deploy").await;
    /// chat.expect_reply("Deploy v2?");
    /// chat.click("go").await; // the click finds this flow by the tag on its block
    /// chat.expect_reply("You chose go.");
    /// # }
    /// ```
    pub async fn send_interactive_message(
        &mut self,
        text: impl Into<String>,
        blocks: Value,
    ) -> Result<SlackReply, SlackError> {
        let blocks = self.tag_blocks(blocks);
        self.post(text.into(), Some(blocks)).await
    }

    /// Replaces a message the bot sent (e.g. its buttons with the choice made).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = direct_message)]
    /// mod vote {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Vote { #[start] Ask, Count }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx) -> Next<Vote> {
    ///         let buttons = blocks::actions("vote", vec![blocks::button("yes", "Yes", "yes")]);
    ///         cx.send_interactive_message("Lunch at noon?", serde_json::json!([buttons])).await?;
    ///         goto(Vote::Count)
    ///     }
    ///     #[step(Count)]
    ///     async fn count(cx: &mut Cx, click: Click) -> Next<Vote> {
    ///         // The buttons give way to the choice made, in the same message.
    ///         let ts = click.message_ts.clone().unwrap_or_default();
    ///         cx.update_message(ts, "Lunch at noon? You said yes.", Some(serde_json::json!([]))).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<vote::Vote>());
    /// let mut chat = bot.dm("U1");
    /// chat.send("lunch").await;
    /// chat.click("yes").await;
    /// let updated = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::UpdateMessage { channel, text, .. } if channel == "DU1" && text == "Lunch at noon? You said yes."));
    /// assert!(updated);
    /// # }
    /// ```
    pub async fn update_message(
        &mut self,
        ts: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let channel = self.record.context.channel_id.clone();
        self.update_message_in(channel, ts, text, blocks).await
    }

    /// Replaces a message the bot sent in another channel than the conversation's (one
    /// posted with [`Cx::post_to`], e.g. in an approver's DM).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = direct_message)]
    /// # mod approval {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Approval { #[start] Ask }
    /// #     #[step(Ask)]
    /// #     async fn ask(cx: &mut Cx) -> Next<Approval> {
    /// #         let dm = cx.open_dm("U_BOSS").await?;
    /// #         let asked = cx.post_to(&dm, "Approve the laptop?", None).await?;
    /// #         let ts = asked.ts().unwrap_or_default().to_owned();
    /// #         cx.update_message_in(&dm, &ts, "Laptop: approved.", None).await?;
    /// #         complete("Approved.")
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<approval::Approval>());
    /// bot.dm("U1").send("laptop please").await;
    /// let updated = bot.slack().requests().into_iter().find_map(|r| match r {
    ///     SlackRequest::UpdateMessage { channel, text, .. } => Some((channel, text)),
    ///     _ => None,
    /// });
    /// let (channel, text) = updated.expect("the approver's message was updated");
    /// assert!(channel.starts_with('D') && channel != "DU1", "in the approver's DM: {channel}");
    /// assert_eq!(text, "Laptop: approved.");
    /// # }
    /// ```
    pub async fn update_message_in(
        &mut self,
        channel: impl Into<String>,
        ts: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let ts = ts.into();
        let asks = blocks.as_ref().is_some_and(asks_something);
        let request = SlackRequest::UpdateMessage {
            channel: channel.into(),
            ts: ts.clone(),
            text: text.into(),
            blocks: blocks.map(|b| self.tag_blocks(b)),
        };
        let reply = self.send(request).await?;
        if asks {
            self.asked.push(ts);
        }
        Ok(reply)
    }

    /// Sends a message only `user` sees.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/secret"))]
    /// mod secret {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Secret { #[start] Tell }
    ///     #[step(Tell)]
    ///     async fn tell(cx: &mut Cx, _command: Command) -> Next<Secret> {
    ///         let user = cx.user_id().to_owned();
    ///         cx.ephemeral(user, "Only you can see this.").await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<secret::Secret>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/secret", "").await;
    /// chat.expect_ephemeral("Only you can see this.");
    /// chat.expect_no_reply(); // nothing in the channel for everyone
    /// # }
    /// ```
    pub async fn ephemeral(
        &mut self,
        user: impl Into<String>,
        text: impl Into<String>,
    ) -> Result<SlackReply, SlackError> {
        self.post_ephemeral(user.into(), text.into(), None).await
    }

    /// Sends a message with buttons or menus only `user` sees (blocks are tagged with the
    /// flow id, as [`Cx::send_interactive_message`]'s are, so their clicks come to this
    /// flow). Such a message is not in the channel's history: answer a click on it through
    /// its `response_url` ([`Cx::respond`] with `replace_original` replaces it). It is
    /// logged with the `message_ts` Slack answered ([`SlackReply::Ephemeral`]), which its
    /// clicks carry, so it asks the step's question as a posted one does: once the flow has
    /// left that question, a click on it is no answer to the next.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/leave"))]
    /// mod leave {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Leave { #[start] Ask, Confirm }
    ///     #[step(Ask)]
    ///     async fn ask(cx: &mut Cx, _command: Command) -> Next<Leave> {
    ///         let sure = blocks::actions("sure", vec![blocks::button("leave", "Leave the channel", "y")]);
    ///         let user = cx.user_id().to_owned();
    ///         cx.ephemeral_interactive(user, "Sure?", serde_json::json!([sure])).await?;
    ///         goto(Leave::Confirm)
    ///     }
    ///     #[step(Confirm)]
    ///     async fn confirm(cx: &mut Cx, _click: Click) -> Next<Leave> {
    ///         cx.respond("You left the channel.", true).await?; // in place of the question
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<leave::Leave>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/leave", "").await;
    /// chat.expect_ephemeral("Sure?");
    /// chat.click("leave").await;
    /// let replaced = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, replace_original: true, .. } if text == "You left the channel."));
    /// assert!(replaced);
    /// chat.expect_no_reply(); // nothing in the channel for everyone
    /// # }
    /// ```
    pub async fn ephemeral_interactive(
        &mut self,
        user: impl Into<String>,
        text: impl Into<String>,
        blocks: Value,
    ) -> Result<SlackReply, SlackError> {
        let blocks = self.tag_blocks(blocks);
        let asks = asks_something(&blocks);
        let text = text.into();
        let reply = self.post_ephemeral(user.into(), text.clone(), Some(blocks)).await?;
        // Logged with Slack's `message_ts`, which its clicks carry, so that a click on it once
        // the flow has left its question is no answer to a later one (`left_question`).
        if let SlackReply::Ephemeral { ts } = &reply {
            self.said(Some(ts.clone()), text, asks);
        }
        Ok(reply)
    }

    pub(super) async fn post_ephemeral(
        &mut self,
        user: String,
        text: String,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let request = SlackRequest::PostEphemeral {
            channel: self.record.context.channel_id.clone(),
            user,
            thread_ts: self.record.context.thread_ts.clone(),
            text,
            blocks,
        };
        self.send(request).await
    }

    /// Answers the current click or slash command through its `response_url`: only the
    /// user sees it, or, with `replace_original`, it replaces the message clicked on.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/weather"))]
    /// mod weather {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Weather { #[start] Answer }
    ///     #[step(Answer)]
    ///     async fn answer(cx: &mut Cx, command: Command) -> Next<Weather> {
    ///         cx.respond(format!("Sunny in {}.", command.text), false).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<weather::Weather>());
    /// bot.command("U1", "C1", "/weather", "Lyon").await;
    /// let responded = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, replace_original: false, .. } if text == "Sunny in Lyon."));
    /// assert!(responded, "through the command's response_url");
    /// # }
    /// ```
    pub async fn respond(&mut self, text: impl Into<String>, replace_original: bool) -> Result<SlackReply, SlackError> {
        self.respond_as(text.into(), replace_original, false).await
    }

    /// Answers the current click or slash command through its `response_url` for the whole
    /// channel to see (Slack's `response_type: in_channel`), also where the bot is no member.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// #[flow(trigger = command("/poll"))]
    /// mod poll {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Poll { #[start] Open }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, command: Command) -> Next<Poll> {
    ///         cx.respond_in_channel(format!("Poll: {}", command.text)).await?;
    ///         complete_silently()
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<poll::Poll>());
    /// bot.command("U1", "C1", "/poll", "Lunch at noon?").await;
    /// let shown = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::Respond { text, in_channel: true, replace_original: false, .. } if text == "Poll: Lunch at noon?"));
    /// assert!(shown, "for everyone in the channel");
    /// # }
    /// ```
    pub async fn respond_in_channel(&mut self, text: impl Into<String>) -> Result<SlackReply, SlackError> {
        self.respond_as(text.into(), false, true).await
    }

    pub(super) async fn respond_as(
        &mut self,
        text: String,
        replace_original: bool,
        in_channel: bool,
    ) -> Result<SlackReply, SlackError> {
        let response_url =
            self.incoming
                .as_ref()
                .and_then(|i| i.response_url.clone())
                .ok_or(SlackError::InvalidRequest {
                    method: "response_url".into(),
                    detail: "only a click or a slash command has a response_url".into(),
                })?;
        let request = SlackRequest::Respond {
            response_url,
            text,
            replace_original,
            in_channel,
        };
        self.send(request).await
    }

    /// Sends a message to another channel than the conversation's (a DM opened with
    /// [`Cx::open_dm`], a team channel). Like every post of a step, it is tagged, so a replay
    /// after a crash does not post it twice. Replies there reach this flow only if that
    /// conversation routes to it (a click on its buttons does).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = keyword("incident"))]
    /// mod incident {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Incident { #[start] Declare }
    ///     #[step(Declare)]
    ///     async fn declare(cx: &mut Cx, said: Text) -> Next<Incident> {
    ///         cx.post_to("C_OPS", format!("Incident declared by <@{}>: {said}", cx.user_id()), None).await?;
    ///         complete("The on-call team is told.")
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<incident::Incident>());
    /// let (mut chat, mut ops) = (bot.dm("U1"), bot.channel("U1", "C_OPS"));
    /// chat.send("incident: db down").await;
    /// chat.expect_reply("The on-call team is told.");
    /// ops.expect_reply("Incident declared by <@U1>: incident: db down");
    /// # }
    /// ```
    pub async fn post_to(
        &mut self,
        channel: impl Into<String>,
        text: impl Into<String>,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let blocks = blocks.map(|b| self.tag_blocks(b));
        self.post_in(channel.into(), None, text.into(), blocks).await
    }

    pub(super) async fn post(&mut self, text: String, blocks: Option<Value>) -> Result<SlackReply, SlackError> {
        let channel = self.own_channel("chat.postMessage", "post with `post_to`")?.to_owned();
        let thread_ts = self.record.context.thread_ts.clone();
        self.post_in(channel, thread_ts, text, blocks).await
    }

    /// Where this flow talks: its channel, or for a Home tab's flow its user's id (a post to
    /// it lands in their DM with the app, the Messages tab beside Home). A workflow step
    /// run's flow has none: `method` fails, and the error says to do `elsewhere` instead.
    pub(super) fn own_channel(&self, method: &str, elsewhere: &str) -> Result<&str, SlackError> {
        let context = &self.record.context;
        match context.function_execution_id() {
            Some(run) => Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: format!(
                    "the flow of workflow step run {run} has no channel of its own: {elsewhere} \
                     (e.g. in a DM from `open_dm`)"
                ),
            }),
            None => Ok(context.home_of().unwrap_or(&context.channel_id)),
        }
    }

    pub(super) async fn post_in(
        &mut self,
        channel: String,
        thread_ts: Option<String>,
        text: String,
        blocks: Option<Value>,
    ) -> Result<SlackReply, SlackError> {
        let tag = PostTag {
            flow_id: self.record.id,
            version: self.record.version,
            seq: self.posts,
        };
        self.posts += 1;
        self.not_put_off()?;
        let asks = blocks.as_ref().is_some_and(asks_something);
        let earlier = match self.replay {
            true => self.find_post(&channel, &thread_ts, tag).await?,
            false => None,
        };
        let reply = match earlier {
            Some(reply) => reply,
            None => {
                let request = SlackRequest::PostMessage {
                    channel,
                    thread_ts,
                    text: text.clone(),
                    blocks,
                    tag: Some(tag),
                };
                self.send(request).await?
            }
        };
        let ts = match &reply {
            SlackReply::Message { ts, channel: landed } => {
                self.talk_in_dm(landed);
                Some(ts.clone())
            }
            _ => None,
        };
        self.said(ts, text, asks);
        Ok(reply)
    }

    /// A flow whose conversation is named by its user's id (a global shortcut's, a
    /// `team_join`'s, one a Home button started: Slack's payload has no channel) talks,
    /// once it posted there, in the DM Slack put the post in
    /// (`landed`, the `D…` id `chat.postMessage` answers with), as methods that take no
    /// user id need (`conversations.history`, which looks for a post after a crash, say).
    /// The flow's key stays the same.
    pub(super) fn talk_in_dm(&mut self, landed: &str) {
        let own = &mut self.record.context;
        if own.channel_id == own.user_id && own.thread_ts.is_none() && landed.starts_with('D') {
            own.channel_id = landed.to_owned();
        }
    }

    /// Logs a message the bot posted (`ts`, if Slack gave one), one that `asks` the step's
    /// question if it has buttons or menus.
    pub(super) fn said(&mut self, ts: Option<String>, text: String, asks: bool) {
        if let Some(ts) = ts.as_ref().filter(|_| asks) {
            self.asked.push(ts.clone());
        }
        self.record.log(LoggedMessage {
            direction: Direction::Outbound,
            user: None,
            ts,
            text,
            at: self.now,
            asks: false, // until the engine marks the run's question (FlowRecord::asked)
        });
    }

    /// The message an earlier run of this step posted with `tag`, if Slack has it. A
    /// look-up Slack refuses for good (`ok: false`, e.g. a missing `im:history` scope) posts
    /// again: a repeated message is better than a lost one. One Slack only delays (a rate
    /// limit past the retries, no answer, a 5xx, `internal_error`: see
    /// [`SlackError::is_temporary`]) is an error, and the run is not saved
    /// ([`Cx::replay_unsure`]): it is tried again later, when Slack answers.
    pub(super) async fn find_post(
        &mut self,
        channel: &str,
        thread_ts: &Option<String>,
        tag: PostTag,
    ) -> Result<Option<SlackReply>, SlackError> {
        // A post to a user id is in the app's DM with them, whose history is read by the
        // DM's id (a flow named by its user's id, before its first post was saved).
        let channel = match crate::is_user_id(channel) {
            true => match self.looked_up(self.api.open_dm(channel).await)? {
                Some(dm) => dm,
                None => return Ok(None),
            },
            false => channel.to_owned(),
        };
        // The earlier run loaded the record as it is now, so its posts came after the
        // record's last save.
        let since = self.record.updated_at - PostTag::LOOK_BACK;
        let request = SlackRequest::FindPost {
            channel,
            thread_ts: thread_ts.clone(),
            tag,
            since: Some(crate::slack::slack_ts(since)),
        };
        let found = self.looked_up(self.api.call(request).await)?;
        Ok(found.filter(|reply| matches!(reply, SlackReply::Message { .. })))
    }

    /// A look-up's answer for [`Cx::find_post`]: `None` if Slack refused it for good (the
    /// post is made again); an error, and the run put off, if Slack only delayed it.
    pub(super) fn looked_up<T>(&mut self, answer: Result<T, SlackError>) -> Result<Option<T>, SlackError> {
        match answer {
            Ok(answer) => Ok(Some(answer)),
            Err(refused) if !refused.is_temporary() => Ok(None),
            Err(delayed) => {
                self.unsure = Some(delayed.clone());
                Err(delayed)
            }
        }
    }

    pub(super) fn tag_blocks(&self, mut blocks: Value) -> Value {
        if let Some(list) = blocks.as_array_mut() {
            for (index, block) in list.iter_mut().enumerate() {
                let inner = block
                    .get("block_id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("b{index}"), str::to_owned);
                block["block_id"] = Value::String(tag(self.record.id, &inner));
            }
        }
        blocks
    }
}

/// Whether `blocks` hold something a user acts on (a button, a menu: an element with an
/// `action_id`, where [`crate::blocks::elements`] finds them), so that the message asks
/// something.
pub(super) fn asks_something(blocks: &Value) -> bool {
    let mut found = blocks
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(crate::blocks::elements);
    found.any(|element| element.get("action_id").is_some())
}
