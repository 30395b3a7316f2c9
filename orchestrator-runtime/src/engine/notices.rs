//! What a user is told when their event is not an answer: a notice only to them (the
//! flow ended, the step takes no such input, the flow was cancelled), and the cancel words
//! that end a flow from any step.

use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::Outcome;
use orchestrator_core::{Incoming, MessageType, Payload, SlackRequest};
use uuid::Uuid;

impl Orchestrator {
    /// `unexpected_notice`, with the way out of the flow when it has one (its first cancel
    /// word, else the bot's): a user who cannot answer what the flow waits for is not
    /// stuck until it times out. A notice that names the word already is left as it is.
    pub(crate) fn unexpected_notice(&self, flow_words: &[String]) -> String {
        let notice = &self.inner.settings.unexpected_notice;
        let word = flow_words.iter().chain(&self.inner.settings.cancel_words).next();
        match word {
            Some(word) if !notice.to_lowercase().contains(word.as_str()) => {
                let how = if word.starts_with('/') { "use" } else { "say" };
                format!("{notice} To stop instead, {how} `{word}`.")
            }
            _ => notice.clone(),
        }
    }

    /// A cancel word of the bot's or of the flow's (`cancel = "stop"`), a slash command
    /// the flow names as one (`cancel = "/stop"`), or a click on a message's button whose
    /// `action_id` is such a word: a Cancel button that works from any step, even on a
    /// question the flow has left.
    pub(crate) fn is_cancel_word(&self, incoming: &Incoming, flow_words: &[String]) -> bool {
        let bot_words = &self.inner.settings.cancel_words;
        if bot_words.is_empty() && flow_words.is_empty() {
            return false; // Most bots: no lowercased copy of every message.
        }
        let said = match &incoming.payload {
            Payload::Message { text, .. } => text.trim().to_lowercase(),
            Payload::Command(command) => command.command.to_lowercase(),
            Payload::Action(action) if action.view.is_none() => action.action_id.to_lowercase(),
            _ => return false,
        };
        bot_words.contains(&said) || flow_words.contains(&said)
    }

    /// A click on (or a submission of) a flow that has ended: an ephemeral notice, nothing else.
    pub(crate) async fn ended(&self, flow_id: Uuid, incoming: &Incoming) -> Outcome {
        let closed = matches!(incoming.payload, Payload::ViewClosed { .. });
        if incoming.has(MessageType::Interactive) && !closed {
            self.notify_user(incoming, &self.inner.settings.ended_notice).await;
        }
        Outcome::Ended { flow_id }
    }

    /// Tells only the acting user something, in the channel or through the `response_url`;
    /// in their DM with the app when the event came from no channel (a modal, the Home tab,
    /// a global shortcut: its conversation is named by their id).
    pub(crate) async fn notify_user(&self, incoming: &Incoming, text: &str) {
        let context = &incoming.context;
        let request = if orchestrator_core::is_user_id(&context.channel_id) {
            SlackRequest::PostMessage {
                channel: context.user_id.clone(),
                thread_ts: None,
                text: text.to_owned(),
                blocks: None,
                tag: None,
            }
        } else if !context.channel_id.is_empty() {
            SlackRequest::PostEphemeral {
                channel: context.channel_id.clone(),
                user: context.user_id.clone(),
                thread_ts: context.thread_ts.clone(),
                text: text.to_owned(),
                blocks: None,
            }
        } else if let Some(url) = &incoming.response_url {
            SlackRequest::Respond {
                response_url: url.clone(),
                text: text.to_owned(),
                replace_original: false,
                in_channel: false,
            }
        } else {
            return;
        };
        if let Err(error) = self.inner.slack.call(request).await {
            tracing::warn!(%error, "could not send a notice to the user");
        }
    }
}
