//! Which conversation an event without a flow id belongs to, when it is not simply where
//! it was said: a reply in the thread under a flow's top-level message, a reaction to a
//! bot message of another conversation, a DM answer to a flow named by its user's id (a
//! global shortcut's, `team_join`'s, a Home button's).

use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::OrchestratorError;
use crate::engine::places::Place;
use crate::engine::work::Work;
use orchestrator_core::{
    ConversationKey, Direction, FlowRecord, MessageContext, Payload, SlackReply, SlackRequest, Trigger,
};

impl Orchestrator {
    /// The conversation of the flow a user's message in their DM with the app answers,
    /// when no flow of the DM's own is active: a flow started by a global shortcut, by
    /// `team_join` or by a button of the Home tab lives in a conversation named by the
    /// user's id (Slack's payload names no channel, and `chat.postMessage` takes the user
    /// id for the DM), so the user's answer there, at the top of the DM (or in the thread
    /// under one of its messages), has another key. It answers that flow if the flow
    /// posted in the DM (the thread's root, for a reply in a thread), after that
    /// conversation's events received before it (the step that posted the question may
    /// still be running). Looked for only in bots with such a flow.
    pub(crate) async fn dm_asker(&self, work: &Work) -> Result<Option<ConversationKey>, OrchestratorError> {
        let inner = &self.inner;
        let incoming = &work.incoming;
        let context = &incoming.context;
        let named_by_user = |t: &Trigger| matches!(t, Trigger::Shortcut(_) | Trigger::TeamJoin | Trigger::Action(_));
        let any_such_flow = inner
            .flows
            .iter()
            .any(|f| f.options().triggers.iter().any(named_by_user));
        if !any_such_flow || !context.is_direct() || !matches!(incoming.payload, Payload::Message { .. }) {
            return Ok(None);
        }
        let key = MessageContext::new(&context.team_id, &context.user_id, &context.user_id).conversation_key();
        let arrived = work.arrived.unwrap_or_else(|| inner.clock.now());
        self.after_events(&key, None, Some(arrived)).await?;
        let asked_here = |flow: &FlowRecord| {
            flow.messages.iter().any(|m| {
                m.direction == Direction::Outbound
                    && m.ts.is_some()
                    && (context.thread_ts.is_none() || m.ts == context.thread_ts)
            })
        };
        Ok(inner.store.active_for(&key).await?.filter(asked_here).map(|_| key))
    }

    /// The conversation a (flow-less) event belongs to: where it was said, except that a
    /// reply in the thread under one of the flow's top-level messages belongs to the flow
    /// that posted it (a flow started by a slash command talks at the top of the channel,
    /// a DM flow at the top of the DM, and Slack users answer in the message's thread), and
    /// a reaction to the bot's message belongs to the flow of its thread, or to the flow
    /// that posted it ([`Orchestrator::reaction_conversation`]).
    ///
    /// Such a reply waits first for the events of the top conversation received before it:
    /// the step that posted the message it answers may still be running, and the flow's log
    /// gets the message only when that step's result is written.
    pub(crate) async fn conversation_of(&self, work: &Work) -> Result<ConversationKey, OrchestratorError> {
        let context = &work.incoming.context;
        let key = &work.conversation;
        let Some(root) = &context.thread_ts else {
            return Ok(self.reaction_conversation(work).await?.unwrap_or_else(|| key.clone()));
        };
        let store = &self.inner.store;
        if store.active_for(key).await?.is_some() {
            return Ok(key.clone());
        }
        let top = MessageContext::new(&context.team_id, &context.user_id, &context.channel_id).conversation_key();
        let arrived = work.arrived.unwrap_or_else(|| self.inner.clock.now());
        self.after_events(&top, None, Some(arrived)).await?;
        Ok(match store.active_for(&top).await? {
            Some(flow) if flow.messages.iter().any(|m| m.ts.as_deref() == Some(root.as_str())) => top,
            _ => key.clone(),
        })
    }

    /// The conversation of the flow a reaction belongs to, if another than the user's own:
    /// Slack's reaction events name the message, not its thread or flow, so a reaction to
    /// the bot's question in a thread (a flow started by a mention) or in someone else's
    /// conversation (an approver's DM) would otherwise go to the reacting user's own
    /// conversation. Slack is asked where the message is ([`SlackRequest::ThreadOf`]) only
    /// for a message of the bot's that no flow of the user's there posted. The reaction
    /// goes to the active flow of the message's thread, or else to the active flow that
    /// posted the thread's root (its [`PostTag`](orchestrator_core::PostTag): a flow's
    /// message at the top of a channel or a DM), after that conversation's earlier events
    /// (the step that posted the message may still be running). With neither, it stays
    /// with the user's conversation.
    ///
    /// A look-up Slack cannot answer now leaves the event pending, to be tried again
    /// (within `slack_patience` of its arrival); one Slack refuses (a missing history
    /// scope, say) is logged, and the reaction stays with the user's conversation.
    async fn reaction_conversation(&self, work: &Work) -> Result<Option<ConversationKey>, OrchestratorError> {
        let inner = &self.inner;
        let incoming = &work.incoming;
        let (Payload::Reaction { message_user, .. }, Some(ts)) = (&incoming.payload, &incoming.ts) else {
            return Ok(None);
        };
        let by_bot = inner.bot_user.as_ref().map(|(bot, _)| bot);
        if by_bot.is_none() || message_user.as_ref() != by_bot {
            return Ok(None);
        }
        let posted_it = |flow: &FlowRecord| flow.messages.iter().any(|m| m.ts.as_deref() == Some(ts.as_str()));
        if inner
            .store
            .active_for(&work.conversation)
            .await?
            .is_some_and(|own| posted_it(&own))
        {
            return Ok(None);
        }
        let arrived = work.arrived.unwrap_or_else(|| inner.clock.now());
        let Some(Place { root, tag }) = self.place_of(&incoming.context.channel_id, ts, arrived).await? else {
            return Ok(None);
        };
        let thread = incoming.context.clone().in_thread(root).conversation_key();
        let key = if inner.store.active_for(&thread).await?.is_some() {
            thread
        } else {
            let poster = match tag {
                Some(tag) => inner.store.load_shared(tag.flow_id).await?,
                None => None,
            };
            match poster.filter(|flow| flow.is_active()) {
                Some(flow) => flow.key.clone(),
                None => return Ok(None),
            }
        };
        self.after_events(&key, None, Some(arrived)).await?;
        // Still active once the earlier events are applied (one may have ended it).
        Ok(inner.store.active_for(&key).await?.map(|_| key))
    }

    /// Where message `ts` of `channel` is ([`SlackRequest::ThreadOf`]), as Slack said it
    /// before or says it now. `None` if Slack refuses to say (logged); an error if Slack
    /// cannot answer now and the event that asks arrived within `slack_patience`.
    async fn place_of(
        &self,
        channel: &str,
        ts: &str,
        arrived: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Place>, OrchestratorError> {
        let inner = &self.inner;
        if let Some(known) = inner.places.get(channel, ts) {
            return Ok(Some(known));
        }
        let request = SlackRequest::ThreadOf {
            channel: channel.to_owned(),
            ts: ts.to_owned(),
        };
        let place = match inner.slack.call(request).await {
            Ok(SlackReply::Thread { root, tag }) => Place { root, tag },
            Ok(_) => return Ok(None),
            Err(delayed) if delayed.is_temporary() && self.within_patience(arrived) => {
                return Err(OrchestratorError::ReplayUnsure(delayed));
            }
            Err(error) => {
                tracing::warn!(%error, "where a reacted message is could not be found; the reaction goes to the user's conversation");
                return Ok(None);
            }
        };
        inner.places.remember(channel, ts, place.clone());
        Ok(Some(place))
    }
}
