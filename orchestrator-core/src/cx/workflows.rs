//! A Workflow Builder custom step's run (completed or failed once) and an assistant
//! thread's status, suggested prompts and title.

use super::Cx;
use crate::slack::SlackError;
use serde_json::Value;

/// The metadata key that marks a workflow step's flow as having completed the step.
const FUNCTION_COMPLETED: &str = "function_completed";

/// Slack's codes for a Workflow Builder step's run that can no longer be completed:
/// completed (or failed) already, or ended otherwise (`functions.completeSuccess` and
/// `functions.completeError` document both).
const FUNCTION_ENDED: [&str; 2] = ["function_execution_not_found", "execution_not_in_running_state"];

impl Cx {
    /// Shows `status` under the assistant thread the flow lives in, as "App is thinking…"
    /// (`assistant.threads.setStatus`), until the bot's next post there clears it; `""`
    /// clears it at once. For a flow started by an assistant thread (`trigger = assistant`):
    /// elsewhere it is an [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.set_status("is looking it up…").await?;
    /// cx.say("Found it: the runbook is in #ops.").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_status(&mut self, status: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "status": status });
        self.in_assistant_thread("assistant.threads.setStatus", args).await
    }

    /// Offers up to four prompts in the assistant thread the flow lives in
    /// (`assistant.threads.setSuggestedPrompts`): each a `(title, message)`, the title shown
    /// on the button and the message the user sends by clicking it (it comes back as
    /// [`Text`](crate::Text)). None, or more than four (Slack's limit), is an
    /// [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.suggest_prompts(Some("Try asking"), &[("Reset my VPN", "How do I reset my VPN?")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn suggest_prompts(&mut self, title: Option<&str>, prompts: &[(&str, &str)]) -> Result<(), SlackError> {
        const METHOD: &str = "assistant.threads.setSuggestedPrompts";
        if prompts.is_empty() || prompts.len() > 4 {
            return Err(SlackError::InvalidRequest {
                method: METHOD.into(),
                detail: format!("Slack takes one to four suggested prompts, not {}", prompts.len()),
            });
        }
        let prompts: Vec<Value> = prompts
            .iter()
            .map(|(title, message)| serde_json::json!({"title": title, "message": message}))
            .collect();
        let mut args = serde_json::json!({ "prompts": prompts });
        if let Some(title) = title {
            args["title"] = Value::from(title);
        }
        self.in_assistant_thread(METHOD, args).await
    }

    /// Names the assistant thread the flow lives in, as the user's history of chats with
    /// the app shows it (`assistant.threads.setTitle`).
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.set_title("VPN trouble").await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_title(&mut self, title: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "title": title });
        self.in_assistant_thread("assistant.threads.setTitle", args).await
    }

    /// Ends the Workflow Builder step this flow runs (`trigger = function("…")`) with
    /// `outputs`, named as the manifest's `output_parameters` (`functions.completeSuccess`);
    /// the workflow goes on to its next step. Kept in the flow's metadata
    /// (`function_completed`), so that the flow's end does not complete the step again.
    /// Outside such a flow it is an [`SlackError::InvalidRequest`], and no call is made.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.complete_function(serde_json::json!({"approved_by": "U7"})).await?;
    /// # Ok(()) }
    /// ```
    pub async fn complete_function(&mut self, outputs: Value) -> Result<(), SlackError> {
        let args = serde_json::json!({ "outputs": outputs });
        self.end_function("functions.completeSuccess", args).await
    }

    /// Ends the Workflow Builder step this flow runs with `error` (`functions.completeError`),
    /// shown in the workflow's activity; the workflow stops. A flow of such a step that ends
    /// otherwise without completing it (a failure, a timeout, a cancel) does this with its
    /// last message, so the workflow never waits for ever.
    ///
    /// ```no_run
    /// # async fn step(cx: &mut orchestrator_core::Cx) -> Result<(), orchestrator_core::SlackError> {
    /// cx.fail_function("the request was declined").await?;
    /// # Ok(()) }
    /// ```
    pub async fn fail_function(&mut self, error: &str) -> Result<(), SlackError> {
        let args = serde_json::json!({ "error": error });
        self.end_function("functions.completeError", args).await
    }

    /// Whether the Workflow Builder step this flow runs was completed (or failed) already.
    ///
    /// ```
    /// use orchestrator_core::{Cx, FlowRecord, MessageContext};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let now = chrono::Utc::now();
    /// let run = MessageContext::new("T1", "", "function:Fx1"); // a Workflow Builder step's run
    /// let record = FlowRecord::new("step", 1, serde_json::json!("Ask"), "Ask", run, now);
    /// let mut cx = Cx::new(record, slack_orchestrator::RecordingSlack::new(), None, now);
    /// assert!(!cx.function_completed());
    /// cx.complete_function(serde_json::json!({"approved": true})).await.unwrap();
    /// assert!(cx.function_completed(), "so the engine does not fail it when the flow ends");
    /// # }
    /// ```
    pub fn function_completed(&self) -> bool {
        self.record.metadata.get(FUNCTION_COMPLETED) == Some(&Value::Bool(true))
    }

    pub(super) async fn end_function(&mut self, method: &str, mut args: Value) -> Result<(), SlackError> {
        let Some(execution) = self.record.context.function_execution_id() else {
            return Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: "this flow runs no workflow step: completing one is for a flow started by \
                         `trigger = function(\"…\")`"
                    .into(),
            });
        };
        args["function_execution_id"] = Value::from(execution);
        match self.api_call(method, args).await {
            Ok(_) => {}
            // A run replayed after a crash: the earlier run may have completed the step just
            // before it stopped, and Slack refuses to complete a step twice. Taken as done;
            // any other refusal (outputs that do not fit the manifest) is the step's error.
            Err(SlackError::Api { code, .. }) if self.replay && FUNCTION_ENDED.contains(&code.as_str()) => {}
            Err(error) => return Err(error),
        }
        self.record
            .metadata
            .insert(FUNCTION_COMPLETED.into(), Value::Bool(true));
        Ok(())
    }

    /// Calls an `assistant.threads.*` method for the flow's thread.
    pub(super) async fn in_assistant_thread(&mut self, method: &str, mut args: Value) -> Result<(), SlackError> {
        let context = &self.record.context;
        let Some(thread) = &context.thread_ts else {
            return Err(SlackError::InvalidRequest {
                method: method.into(),
                detail: "the flow lives in no thread: this call is for a flow started by an assistant thread \
                         (`trigger = assistant`)"
                    .into(),
            });
        };
        args["channel_id"] = Value::from(context.channel_id.as_str());
        args["thread_ts"] = Value::from(thread.as_str());
        self.api_call(method, args).await.map(drop)
    }
}
