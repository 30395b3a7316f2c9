//! Modals: opened and pushed with the event's `trigger_id`, updated, and a submission's
//! answer sent back in Slack's ack.

use super::Cx;
use crate::slack::{SlackError, SlackReply, SlackRequest};
use crate::tag::tag;
use serde_json::{json, Value};

/// What a submitted modal does next, answered in Slack's acknowledgement of the submission
/// ([`Cx::answer_submission`]): the way to a form of several pages.
///
/// ```
/// # use orchestrator_core::{blocks, ModalAnswer};
/// let day = blocks::text_input("day", "day", "When?");
/// let next = ModalAnswer::Update(blocks::modal("trip-2", "Trip (2/2)", "Book", vec![day]));
/// assert!(matches!(next, ModalAnswer::Update(view) if view["callback_id"] == "trip-2"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ModalAnswer {
    /// Replaces the submitted modal with this view (the next page).
    Update(Value),
    /// Pushes this view on top of the submitted modal (Slack keeps at most three).
    Push(Value),
    /// Closes every modal of the stack.
    Clear,
}

impl Cx {
    /// Opens a modal with the current interaction's `trigger_id` (clicks and slash commands
    /// have one; it expires 3 s after the user acted). The modal's submission comes back to
    /// this flow as a [`Submission`](crate::Submission).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// #[flow(trigger = command("/ticket"))]
    /// mod ticket {
    ///     use slack_orchestrator::prelude::*;
    ///     pub enum Ticket { #[start] Open, Form }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    ///         let title = blocks::text_input("title_block", "title", "What is wrong?");
    ///         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title])).await?;
    ///         goto(Ticket::Form)
    ///     }
    ///     #[step(Form)]
    ///     async fn filed(_cx: &mut Cx, form: Submission) -> Next<Ticket> {
    ///         complete(format!("Ticket filed: {}", form.value("title").unwrap_or_default()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.submit(&[("title_block", "title", "The printer is on fire")]).await;
    /// chat.expect_reply("Ticket filed: The printer is on fire");
    /// # }
    /// ```
    pub async fn open_modal(&mut self, view: Value) -> Result<SlackReply, SlackError> {
        let trigger_id = self.trigger_id("views.open")?;
        let view = self.tag_view(view);
        // Not put off when Slack cannot open it now: the trigger expires in 3 s.
        self.not_put_off()?;
        self.api.call(SlackRequest::OpenView { trigger_id, view }).await
    }

    pub(super) fn trigger_id(&self, method: &'static str) -> Result<String, SlackError> {
        self.incoming
            .as_ref()
            .and_then(|i| i.trigger_id.clone())
            .ok_or_else(|| SlackError::InvalidRequest {
                method: method.into(),
                detail: "no trigger_id: only a click or a slash command can open a modal".into(),
            })
    }

    /// Pushes a modal on top of the open one (from a click inside a modal).
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let help = blocks::actions("tools", vec![blocks::button("help", "Help", "h")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, help])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn clicked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().to_owned();
    /// #         let tip = blocks::section(&format!("Say what you see, not \"{typed}\"."));
    /// #         cx.push_modal(blocks::modal("tip", "Help", "OK", vec![tip])).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.click_in_modal("help", &[("title_block", "title", "broken")]).await;
    /// let pushed = bot.slack().requests().into_iter().any(|r| matches!(r,
    ///     SlackRequest::PushView { view, .. } if view["blocks"][0]["text"]["text"] == "Say what you see, not \"broken\"."));
    /// assert!(pushed, "{:?}", bot.slack().requests());
    /// # }
    /// ```
    pub async fn push_modal(&mut self, view: Value) -> Result<SlackReply, SlackError> {
        let trigger_id = self.trigger_id("views.push")?;
        let view = self.tag_view(view);
        self.not_put_off()?; // and not put off when it fails: the trigger expires in 3 s
        self.api.call(SlackRequest::PushView { trigger_id, view }).await
    }

    /// Answers the modal submission being handled: Slack then replaces the modal with the
    /// next page, pushes one on top, or closes them all, instead of closing the submitted
    /// one. The views are tagged like [`Cx::open_modal`]'s, so their submissions come back to
    /// this flow. It goes back in the acknowledgement, which waits up to 2.5 s for the
    /// step (past that, Slack has closed the modal). Only for a submission: anything else
    /// is an error, and a [`reject`](crate::reject) wins over it.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// # use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::ModalAnswer;
    /// #[flow(trigger = command("/trip"))]
    /// mod trip {
    ///     use slack_orchestrator::prelude::*;
    ///     use slack_orchestrator::ModalAnswer;
    ///     pub enum Trip { #[start] Open, Where, When { city: String } }
    ///     #[step(Open)]
    ///     async fn open(cx: &mut Cx, _command: Command) -> Next<Trip> {
    ///         let city = blocks::text_input("city_block", "city", "Where to?");
    ///         cx.open_modal(blocks::modal("trip-1", "Trip (1/2)", "Next", vec![city])).await?;
    ///         goto(Trip::Where)
    ///     }
    ///     #[step(Where)]
    ///     async fn city(cx: &mut Cx, form: Submission) -> Next<Trip> {
    ///         let city = form.value("city").unwrap_or_default().to_owned();
    ///         let day = blocks::text_input("day_block", "day", "When?");
    ///         cx.answer_submission(ModalAnswer::Update(blocks::modal("trip-2", "Trip (2/2)", "Book", vec![day])))?;
    ///         goto(Trip::When { city })
    ///     }
    ///     #[step(When { city })]
    ///     async fn day(_cx: &mut Cx, city: String, form: Submission) -> Next<Trip> {
    ///         complete(format!("Booked: {city} on {}", form.value("day").unwrap_or_default()))
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<trip::Trip>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/trip", "").await;
    /// chat.submit(&[("city_block", "city", "Lyon")]).await; // page 1, answered with page 2
    /// chat.submit(&[("day_block", "day", "Friday")]).await;
    /// chat.expect_reply("Booked: Lyon on Friday");
    /// # }
    /// ```
    pub fn answer_submission(&mut self, answer: ModalAnswer) -> Result<(), SlackError> {
        let submitted = self.incoming.as_deref().map(|i| &i.payload);
        if !matches!(submitted, Some(crate::Payload::ViewSubmission(_))) {
            return Err(SlackError::InvalidRequest {
                method: "response_action".into(),
                detail: "only a modal submission can be answered with a view".into(),
            });
        }
        self.modal_answer = Some(match answer {
            ModalAnswer::Update(view) => json!({"response_action": "update", "view": self.tag_view(view)}),
            ModalAnswer::Push(view) => json!({"response_action": "push", "view": self.tag_view(view)}),
            ModalAnswer::Clear => json!({"response_action": "clear"}),
        });
        Ok(())
    }

    /// Takes the answer to the submitted modal this run gave (the engine sends it in the
    /// acknowledgement).
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, Incoming, MessageContext, ModalAnswer};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let submitted = serde_json::json!({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
    ///     "view": {"id": "V1", "callback_id": "ticket", "private_metadata": "", "state": {"values": {}}}});
    /// let submitted = Incoming::from_json(&submitted).unwrap().unwrap();
    /// let now = chrono::Utc::now();
    /// let record = FlowRecord::new("f", 1, serde_json::json!("A"), "A", MessageContext::new("T1", "U1", "D1"), now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), Some(submitted), now);
    /// cx.answer_submission(ModalAnswer::Clear).unwrap();
    /// assert_eq!(cx.take_modal_answer(), Some(serde_json::json!({"response_action": "clear"})));
    /// assert_eq!(cx.take_modal_answer(), None);
    /// # }
    /// ```
    pub fn take_modal_answer(&mut self) -> Option<Value> {
        self.modal_answer.take()
    }

    /// Replaces the content of an open modal.
    ///
    /// ```
    /// # use slack_orchestrator::prelude::*;
    /// use slack_orchestrator::testkit::TestBot;
    /// use slack_orchestrator::SlackRequest;
    /// # #[flow(trigger = command("/ticket"))]
    /// # mod ticket {
    /// #     use slack_orchestrator::prelude::*;
    /// #     pub enum Ticket { #[start] Open, Form }
    /// #     #[step(Open)]
    /// #     async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
    /// #         let title = blocks::text_input("title_block", "title", "What is wrong?");
    /// #         let help = blocks::actions("tools", vec![blocks::button("help", "Help", "h")]);
    /// #         cx.open_modal(blocks::modal("ticket", "New ticket", "File", vec![title, help])).await?;
    /// #         goto(Ticket::Form)
    /// #     }
    /// #     #[step(Form)]
    /// #     async fn clicked(cx: &mut Cx, click: Click) -> Next<Ticket> {
    /// #         let typed = click.view.as_ref().and_then(|v| v.value("title")).unwrap_or_default().to_owned();
    /// #         let tip = blocks::section(&format!("Say what you see, not \"{typed}\"."));
    /// #         let view_id = click.view.map(|v| v.view_id).unwrap_or_default();
    /// #         cx.update_modal(view_id, blocks::modal("ticket", "New ticket", "File", vec![tip])).await?;
    /// #         stay()
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bot = TestBot::new(Orchestrator::builder().flow::<ticket::Ticket>());
    /// let (mut chat, _) = bot.command("U1", "C1", "/ticket", "").await;
    /// chat.click_in_modal("help", &[("title_block", "title", "broken")]).await;
    /// let requests = bot.slack().requests();
    /// let Some(SlackRequest::UpdateView { view, .. }) = requests.last() else { panic!("{requests:?}") };
    /// assert_eq!(view["blocks"][0]["text"]["text"], "Say what you see, not \"broken\".");
    /// # }
    /// ```
    pub async fn update_modal(&mut self, view_id: impl Into<String>, view: Value) -> Result<SlackReply, SlackError> {
        let view = self.tag_view(view);
        let request = SlackRequest::UpdateView {
            view_id: view_id.into(),
            view,
        };
        self.send(request).await
    }

    /// Tags a modal's metadata and blocks with the flow id, so its submission comes back here.
    pub(super) fn tag_view(&self, mut view: Value) -> Value {
        let metadata = view.get("private_metadata").and_then(Value::as_str).unwrap_or_default();
        view["private_metadata"] = Value::String(tag(self.record.id, metadata));
        if let Some(blocks) = view.get_mut("blocks") {
            *blocks = self.tag_blocks(blocks.take());
        }
        view
    }
}
