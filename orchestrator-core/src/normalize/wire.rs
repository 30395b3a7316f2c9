//! Slack's JSON bodies as private serde structs: what the normalizer reads, and nothing
//! more. Strings borrow from the body where they can (`Cow`), so a body is read in one
//! pass without building a `serde_json::Value` tree. Almost every field is optional: a
//! missing one is reported by the normalizer with its name (`NormalizeError::Missing`),
//! while a field of the wrong type fails the parse.

use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A string field, borrowed from the body when it has no escapes. A newtype because serde
/// borrows a `Cow<str>` only when it is a field's whole type: as `Option<Cow<str>>` (how
/// almost every field here is declared) it would copy every string of every body.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Str<'a>(Cow<'a, str>);

impl Str<'_> {
    pub(super) fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor(std::marker::PhantomData))
    }
}

/// Reads a [`Str`]; [`Id`]'s visitor hands it the string form of an id.
struct StrVisitor<'a>(std::marker::PhantomData<Str<'a>>);

impl<'de: 'a, 'a> serde::de::Visitor<'de> for StrVisitor<'a> {
    type Value = Str<'a>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Str<'a>, E> {
        Ok(Str(Cow::Borrowed(text)))
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Str<'a>, E> {
        Ok(Str(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Str<'a>, E> {
        Ok(Str(Cow::Owned(text)))
    }
}

/// Any JSON body: an Events API envelope, its event, a bare event, or an interactivity
/// payload. One shape serves them all (every field optional), so nothing is buffered. The
/// objects only some payloads carry (a reaction's item, a message, a view, an assistant
/// thread, a custom step) are boxed: a body is moved a few times while it is read, and
/// unboxed they would make it 400 bytes larger (it is 984).
#[derive(Deserialize)]
pub(super) struct Body<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Str<'a>>,
    // Events API envelope.
    #[serde(borrow)]
    pub(super) team_id: Option<Str<'a>>,
    /// The installation the event is delivered to: in a channel shared with another
    /// organization (Slack Connect), `team_id` may be the other organization's workspace,
    /// this is the bot's own (`team_id` null for an org-wide install).
    #[serde(borrow)]
    pub(super) authorizations: Option<Vec<Authorization<'a>>>,
    #[serde(borrow)]
    pub(super) event_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) event: Option<Box<Body<'a>>>,
    #[serde(borrow)]
    pub(super) challenge: Option<Str<'a>>,
    /// `app_rate_limited`: the minute (Unix time) Slack stopped delivering events in.
    pub(super) minute_rate_limited: Option<i64>,
    // An event's `"U1"`, an interaction's `{"id": "U1", ...}`.
    #[serde(borrow)]
    pub(super) user: Option<Id<'a>>,
    #[serde(borrow)]
    pub(super) team: Option<Id<'a>>,
    #[serde(borrow)]
    pub(super) channel: Option<Id<'a>>,
    // Events.
    #[serde(borrow)]
    pub(super) text: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) thread_ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) channel_type: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) subtype: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) bot_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) tab: Option<Str<'a>>,
    // A reaction: the emoji, and the message it is on.
    #[serde(borrow)]
    pub(super) reaction: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) item: Option<Box<Item<'a>>>,
    #[serde(borrow)]
    pub(super) item_user: Option<Str<'a>>,
    // A member joined a channel: who added them.
    #[serde(borrow)]
    pub(super) inviter: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) files: Option<Vec<WireFile<'a>>>,
    // An assistant thread opened, or the channel its user views changed.
    #[serde(borrow)]
    pub(super) assistant_thread: Option<Box<AssistantThread<'a>>>,
    // A workflow ran the app's custom step: which, this run, its inputs.
    pub(super) function: Option<Box<Function<'a>>>,
    #[serde(borrow)]
    pub(super) function_execution_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) workflow_execution_id: Option<Str<'a>>,
    pub(super) inputs: Option<serde_json::Map<String, serde_json::Value>>,
    /// The run's just-in-time token: in `function_executed`, and at the top of an
    /// interaction on a message the run posted.
    #[serde(borrow)]
    pub(super) bot_access_token: Option<Str<'a>>,
    // Interactivity.
    #[serde(borrow)]
    pub(super) container: Option<Container<'a>>,
    #[serde(borrow)]
    pub(super) actions: Option<Vec<Element<'a>>>,
    #[serde(borrow)]
    pub(super) message: Option<Box<Message<'a>>>,
    #[serde(borrow)]
    pub(super) message_ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) view: Option<Box<View<'a>>>,
    #[serde(borrow)]
    pub(super) callback_id: Option<Str<'a>>,
    // An external select's `block_suggestion`: which select, and what was typed.
    #[serde(borrow)]
    pub(super) action_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) block_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) value: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) trigger_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) response_url: Option<Str<'a>>,
}

/// A user, team or channel: `"U1"` in an event, `{"id": "U1", "team_id": "T1", ...}` in an
/// interaction. Read by a visitor of its own (serde's `untagged` would buffer the value).
#[derive(Default)]
pub(super) struct Id<'a> {
    pub(super) id: Option<Str<'a>>,
    pub(super) team_id: Option<Str<'a>>,
    /// A user object's `is_bot` (`team_join`'s user).
    pub(super) is_bot: bool,
}

impl<'a> Id<'a> {
    /// An id given as a bare string, without a team.
    fn only(id: Str<'a>) -> Self {
        Id {
            id: Some(id),
            ..Id::default()
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<Id<'a>>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Id<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an id, or an object with an `id`")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, id: &'de str) -> Result<Id<'a>, E> {
                Ok(Id::only(StrVisitor(std::marker::PhantomData).visit_borrowed_str(id)?))
            }
            fn visit_str<E: serde::de::Error>(self, id: &str) -> Result<Id<'a>, E> {
                Ok(Id::only(StrVisitor(std::marker::PhantomData).visit_str(id)?))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Id<'a>, M::Error> {
                let mut found = Id::default();
                while let Some(key) = map.next_key::<Str<'a>>()? {
                    match &*key {
                        "id" => found.id = map.next_value()?,
                        "team_id" => found.team_id = map.next_value()?,
                        "is_bot" => found.is_bot = map.next_value::<Option<bool>>()?.unwrap_or(false),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(found)
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

/// A file shared in a message, or uploaded in a `file_input`.
#[derive(Deserialize)]
pub(super) struct WireFile<'a> {
    #[serde(borrow)]
    pub(super) id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) name: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) mimetype: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) url_private: Option<Str<'a>>,
    pub(super) size: Option<u64>,
}

/// What a reaction is on: a message (`type: message`, with its channel and `ts`), or a file.
#[derive(Deserialize)]
pub(super) struct Item<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) channel: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) ts: Option<Str<'a>>,
}

/// An installation of the app an event is delivered to (Slack sends one).
#[derive(Deserialize)]
pub(super) struct Authorization<'a> {
    #[serde(borrow)]
    pub(super) team_id: Option<Str<'a>>,
}

/// `assistant_thread_started` / `assistant_thread_context_changed`: the thread (in the
/// user's DM with the app) and what the user is viewing beside it.
#[derive(Deserialize)]
pub(super) struct AssistantThread<'a> {
    #[serde(borrow)]
    pub(super) user_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) channel_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) thread_ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) context: Option<AssistantContext<'a>>,
}

/// The channel an assistant thread's user views (`enterprise_id` may be `null`).
#[derive(Deserialize)]
pub(super) struct AssistantContext<'a> {
    #[serde(borrow)]
    pub(super) channel_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) team_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) enterprise_id: Option<Str<'a>>,
}

/// The custom step a `function_executed` runs (its definition; only the id is read).
#[derive(Deserialize)]
pub(super) struct Function<'a> {
    #[serde(borrow)]
    pub(super) callback_id: Option<Str<'a>>,
}

/// Where a `block_actions` happened, when it has no `channel`.
#[derive(Deserialize)]
pub(super) struct Container<'a> {
    #[serde(borrow)]
    pub(super) channel_id: Option<Str<'a>>,
    /// The thread of the message acted on: the only word of it for a click on an
    /// ephemeral message, which comes without the message.
    #[serde(borrow)]
    pub(super) thread_ts: Option<Str<'a>>,
    /// The message acted on: the only word of which message it was for a click on an
    /// ephemeral message.
    #[serde(borrow)]
    pub(super) message_ts: Option<Str<'a>>,
}

/// The message an action was taken on, or a message shortcut's message.
#[derive(Deserialize)]
pub(super) struct Message<'a> {
    #[serde(borrow)]
    pub(super) ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) thread_ts: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) text: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) user: Option<Str<'a>>,
}

/// An interactive element as Slack reports it: a clicked button or chosen option in
/// `actions`, or an input's state in a submitted modal.
#[derive(Deserialize)]
pub(super) struct Element<'a> {
    #[serde(rename = "type", borrow)]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) action_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) block_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) value: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) selected_option: Option<Choice<'a>>,
    #[serde(borrow)]
    pub(super) selected_options: Option<Vec<Choice<'a>>>,
    #[serde(borrow)]
    pub(super) selected_user: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) selected_conversation: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) selected_channel: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) selected_date: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) selected_time: Option<Str<'a>>,
    /// A `datetimepicker`'s choice: Unix seconds, a number (not a string) in Slack's JSON.
    pub(super) selected_date_time: Option<i64>,
    #[serde(borrow)]
    pub(super) selected_users: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pub(super) selected_conversations: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pub(super) selected_channels: Option<Vec<Str<'a>>>,
    /// A `rich_text_input`'s value: a `rich_text` block.
    pub(super) rich_text_value: Option<super::rich_text::RichText>,
    /// A `file_input`'s uploaded files.
    #[serde(borrow)]
    pub(super) files: Option<Vec<WireFile<'a>>>,
}

/// An option of a select menu.
#[derive(Deserialize)]
pub(super) struct Choice<'a> {
    #[serde(borrow)]
    pub(super) value: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) text: Option<PlainText<'a>>,
}

/// `{"type": "plain_text", "text": "..."}`.
#[derive(Deserialize)]
pub(super) struct PlainText<'a> {
    #[serde(borrow)]
    pub(super) text: Option<Str<'a>>,
}

/// A modal, submitted or closed.
#[derive(Deserialize)]
pub(super) struct View<'a> {
    #[serde(borrow)]
    pub(super) id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) callback_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) private_metadata: Option<Str<'a>>,
    #[serde(borrow)]
    pub(super) state: Option<ViewState<'a>>,
    /// The workspace the app is installed in, when the view was opened from another one
    /// (a Slack Connect channel): the payload's `team` is then the user's.
    #[serde(borrow)]
    pub(super) app_installed_team_id: Option<Str<'a>>,
}

/// A submitted modal's inputs: block id → action id → element.
#[derive(Deserialize)]
pub(super) struct ViewState<'a> {
    #[serde(borrow)]
    pub(super) values: BTreeMap<Str<'a>, BTreeMap<Str<'a>, Element<'a>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_strings_borrow_from_the_body_unless_they_hold_escapes() {
        let json = br#"{"type": "event_callback", "event": {"text": "a \"quoted\" word", "ts": "1.2", "user": "U1"}}"#;
        let body: Body<'_> = serde_json::from_slice(json).unwrap();
        assert!(matches!(body.kind, Some(Str(Cow::Borrowed("event_callback")))));
        let event = body.event.expect("the event");
        assert!(matches!(event.ts, Some(Str(Cow::Borrowed("1.2")))));
        assert!(matches!(event.user.and_then(|u| u.id), Some(Str(Cow::Borrowed("U1")))));
        assert!(matches!(&event.text, Some(Str(Cow::Owned(text))) if text == r#"a "quoted" word"#));
    }
}
