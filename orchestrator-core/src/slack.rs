//! The outbound port: [`SlackApi`], through which steps talk to Slack. The runtime brings a
//! Web API implementation; tests and the console chat bring their own.

use crate::incoming::WorkflowToken;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// One Web API call a step can make.
///
/// ```
/// use orchestrator_core::SlackRequest;
/// let post = SlackRequest::PostMessage {
///     channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None,
/// };
/// assert_eq!(post.method(), "chat.postMessage");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method")]
pub enum SlackRequest {
    /// `chat.postMessage`.
    #[serde(rename = "chat.postMessage")]
    PostMessage {
        /// Channel id.
        channel: String,
        /// Thread to reply in.
        thread_ts: Option<String>,
        /// Text (the notification fallback when `blocks` are given).
        text: String,
        /// Block Kit blocks.
        blocks: Option<Value>,
        /// The tag the step context puts on every post (sent as Slack's message `metadata`),
        /// so that a replay can find it (see [`PostTag`]).
        #[serde(
            default,
            rename = "metadata",
            skip_serializing_if = "Option::is_none",
            with = "as_metadata"
        )]
        tag: Option<PostTag>,
    },
    /// Finds a message the bot posted with the tag `tag` (in the thread, or among the
    /// channel's latest messages): `conversations.replies` / `conversations.history` with
    /// `include_all_metadata`. Answers [`SlackReply::Message`] when found, [`SlackReply::Ok`]
    /// when not.
    #[serde(rename = "conversations.history")]
    FindPost {
        /// Channel id.
        channel: String,
        /// The thread to look in, if the conversation lives in one.
        thread_ts: Option<String>,
        /// The tag the post was made with.
        tag: PostTag,
        /// Only messages after this Slack `ts` are read (Slack's `oldest`): the post cannot
        /// be older than the run that made it, and a long history is then not read page
        /// after page (each page a rate-limited call) to find nothing. See [`slack_ts`].
        #[serde(skip_serializing_if = "Option::is_none")]
        since: Option<String>,
    },
    /// Finds the thread a message is in: `conversations.replies` with the message's `ts`
    /// (and `include_all_metadata`). Answers [`SlackReply::Thread`]: the `ts` of the
    /// thread's root message, which is the message's own when it is in no thread, and the
    /// root's [`PostTag`] if the bot posted it from a flow. Slack's reaction events name the
    /// message reacted to but not its thread; this tells which flow a reaction belongs to.
    ///
    /// ```
    /// use orchestrator_core::SlackRequest;
    /// let find = SlackRequest::ThreadOf { channel: "C1".into(), ts: "1700000000.000002".into() };
    /// assert_eq!(find.method(), "conversations.replies");
    /// ```
    #[serde(rename = "conversations.replies")]
    ThreadOf {
        /// Channel id.
        channel: String,
        /// The message's `ts`.
        ts: String,
    },
    /// `chat.update`.
    #[serde(rename = "chat.update")]
    UpdateMessage {
        /// Channel id.
        channel: String,
        /// The message's `ts`.
        ts: String,
        /// New text.
        text: String,
        /// New blocks (`Some(json!([]))` removes them).
        blocks: Option<Value>,
    },
    /// `chat.postEphemeral`: visible to one user only.
    #[serde(rename = "chat.postEphemeral")]
    PostEphemeral {
        /// Channel id.
        channel: String,
        /// The user who sees it.
        user: String,
        /// Thread, if any.
        thread_ts: Option<String>,
        /// Text.
        text: String,
        /// Block Kit blocks, if any (buttons on an ephemeral message: Slack sends their
        /// clicks without the message, which only the user ever had).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
    },
    /// `views.open`.
    #[serde(rename = "views.open")]
    OpenView {
        /// The interaction's trigger id.
        trigger_id: String,
        /// The view (a `modal` object).
        view: Value,
    },
    /// `views.update`.
    #[serde(rename = "views.update")]
    UpdateView {
        /// The view id.
        view_id: String,
        /// The new view.
        view: Value,
    },
    /// `views.push`.
    #[serde(rename = "views.push")]
    PushView {
        /// The interaction's trigger id.
        trigger_id: String,
        /// The view to push.
        view: Value,
    },
    /// Any Web API method, with Slack's arguments as JSON (`conversations.open`,
    /// `users.info`, `chat.scheduleMessage`, `views.publish`, …): the escape hatch for what
    /// the typed requests do not cover. Answers [`SlackReply::Json`], Slack's whole answer.
    #[serde(rename = "call")]
    Call {
        /// The method, e.g. `conversations.open` (`name` in the JSON form, whose `method`
        /// is `call`).
        #[serde(rename = "name")]
        method: String,
        /// Its arguments, as Slack documents them.
        args: Value,
    },
    /// Uploads a file and shares it in a channel (or a thread), as Slack's upload flow
    /// goes: `files.getUploadURLExternal`, the bytes sent to the URL it answers, then
    /// `files.completeUploadExternal`. Answers [`SlackReply::Json`], the last call's answer
    /// (its `files`: the file's `id` and `title`).
    ///
    /// ```
    /// use orchestrator_core::SlackRequest;
    /// let upload = SlackRequest::Upload {
    ///     channel_id: "C1".into(),
    ///     thread_ts: None,
    ///     filename: "report.csv".into(),
    ///     title: Some("Weekly report".into()),
    ///     initial_comment: Some("Here is this week's report.".into()),
    ///     content: b"team,hours\nops,42\n".to_vec(),
    /// };
    /// assert_eq!(upload.method(), "files.completeUploadExternal");
    /// ```
    #[serde(rename = "files.completeUploadExternal")]
    Upload {
        /// The channel to share it in.
        channel_id: String,
        /// The thread to share it in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_ts: Option<String>,
        /// The file's name, e.g. `report.csv`: Slack tells its type from it.
        filename: String,
        /// Its title (Slack shows the name when there is none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// The message it is shared with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial_comment: Option<String>,
        /// The file's bytes.
        content: Vec<u8>,
    },
    /// Downloads a file a user shared (its `url_private`), with the bot's token. Answers
    /// [`SlackReply::Bytes`].
    ///
    /// ```
    /// use orchestrator_core::SlackRequest;
    /// let get = SlackRequest::Download { url: "https://files.slack.com/files-pri/T1-F1/a.csv".into() };
    /// assert_eq!(get.method(), "url_private");
    /// ```
    #[serde(rename = "url_private")]
    Download {
        /// The file's `url_private`.
        url: String,
    },
    /// A reply through an interaction's or slash command's `response_url`.
    #[serde(rename = "response_url")]
    Respond {
        /// The `response_url`.
        response_url: String,
        /// Text.
        text: String,
        /// `true` to replace the message the action was taken on.
        replace_original: bool,
        /// `true` for a message the whole channel sees, `false` for an ephemeral one.
        in_channel: bool,
    },
}

impl SlackRequest {
    /// The Web API method name, e.g. `chat.postMessage`.
    ///
    /// ```
    /// # use orchestrator_core::SlackRequest;
    /// let r = SlackRequest::OpenView { trigger_id: "t".into(), view: serde_json::json!({}) };
    /// assert_eq!(r.method(), "views.open");
    /// ```
    pub fn method(&self) -> &str {
        match self {
            SlackRequest::Call { method, .. } => method,
            SlackRequest::PostMessage { .. } => "chat.postMessage",
            SlackRequest::FindPost { thread_ts: Some(_), .. } => "conversations.replies",
            SlackRequest::FindPost { .. } => "conversations.history",
            SlackRequest::ThreadOf { .. } => "conversations.replies",
            SlackRequest::UpdateMessage { .. } => "chat.update",
            SlackRequest::PostEphemeral { .. } => "chat.postEphemeral",
            SlackRequest::OpenView { .. } => "views.open",
            SlackRequest::UpdateView { .. } => "views.update",
            SlackRequest::PushView { .. } => "views.push",
            SlackRequest::Respond { .. } => "response_url",
            SlackRequest::Upload { .. } => "files.completeUploadExternal",
            SlackRequest::Download { .. } => "url_private",
        }
    }
}

/// Identifies one post of one step run: the flow, the version of the record the step ran
/// on, and the post's place among the step's posts. A step re-run on the same record after
/// a crash makes the same tags, so it can find what it already posted instead of posting
/// twice (Slack's `chat.postMessage` has no idempotency key).
///
/// ```
/// use orchestrator_core::PostTag;
/// let tag = PostTag { flow_id: uuid::Uuid::nil(), version: 3, seq: 1 };
/// let metadata = tag.metadata();
/// assert_eq!(metadata["event_type"], PostTag::EVENT_TYPE);
/// assert_eq!(PostTag::from_metadata(&metadata), Some(tag));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostTag {
    /// The flow.
    pub flow_id: uuid::Uuid,
    /// The record's version when the step started.
    pub version: u64,
    /// The post's number within the step run, from 0.
    pub seq: u32,
}

impl PostTag {
    /// The `event_type` of the message metadata.
    ///
    /// ```
    /// # use orchestrator_core::PostTag;
    /// let tag = PostTag { flow_id: uuid::Uuid::new_v4(), version: 3, seq: 0 };
    /// assert_eq!(tag.metadata()["event_type"], PostTag::EVENT_TYPE);
    /// ```
    pub const EVENT_TYPE: &'static str = "slack_orchestrator_post";

    /// How long before the earliest moment a tagged post can have been made a look-up for
    /// it starts (Slack's `oldest`): the margin covers a difference between the bot's clock
    /// and Slack's.
    ///
    /// ```
    /// assert_eq!(orchestrator_core::PostTag::LOOK_BACK.num_minutes(), 10);
    /// ```
    pub const LOOK_BACK: chrono::Duration = chrono::Duration::minutes(10);

    /// Slack's message `metadata` object for this tag, as a JSON tree ([`PostMetadata`]
    /// writes the same into a request body without building one).
    ///
    /// ```
    /// # use orchestrator_core::PostTag;
    /// let tag = PostTag { flow_id: uuid::Uuid::nil(), version: 3, seq: 1 };
    /// let metadata = tag.metadata();
    /// assert_eq!(metadata["event_payload"]["post"], "3.1");
    /// assert_eq!(metadata["event_payload"]["flow_id"], uuid::Uuid::nil().to_string());
    /// ```
    pub fn metadata(&self) -> Value {
        serde_json::to_value(PostMetadata(*self)).expect("a tag's metadata is strings only")
    }

    /// Reads a tag back from a message's `metadata`.
    ///
    /// ```
    /// # use orchestrator_core::PostTag;
    /// let tag = PostTag { flow_id: uuid::Uuid::new_v4(), version: 3, seq: 1 };
    /// assert_eq!(PostTag::from_metadata(&tag.metadata()), Some(tag));
    /// let other_app = serde_json::json!({"event_type": "task_created", "event_payload": {"id": "7"}});
    /// assert_eq!(PostTag::from_metadata(&other_app), None);
    /// ```
    pub fn from_metadata(metadata: &Value) -> Option<PostTag> {
        if metadata.get("event_type")?.as_str()? != Self::EVENT_TYPE {
            return None;
        }
        let payload = metadata.get("event_payload")?;
        let flow_id = payload.get("flow_id")?.as_str()?.parse().ok()?;
        let (version, seq) = payload.get("post")?.as_str()?.split_once('.')?;
        Some(PostTag {
            flow_id,
            version: version.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// A [`PostTag`] as Slack's message `metadata` object: `event_type`, and an
/// `event_payload` of string values (the flow id, and the post as `version.seq`). It
/// serializes straight into a request body; every post of every step carries one.
///
/// ```
/// use orchestrator_core::{PostMetadata, PostTag};
/// let tag = PostTag { flow_id: uuid::Uuid::nil(), version: 7, seq: 2 };
/// assert_eq!(
///     serde_json::to_value(PostMetadata(tag)).unwrap(),
///     serde_json::json!({
///         "event_type": "slack_orchestrator_post",
///         "event_payload": {"flow_id": "00000000-0000-0000-0000-000000000000", "post": "7.2"},
///     })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostMetadata(pub PostTag);

impl Serialize for PostMetadata {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        /// The `event_payload`, written from the tag's fields (no string built per post).
        struct Payload(PostTag);
        impl Serialize for Payload {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let PostTag { flow_id, version, seq } = self.0;
                let mut payload = serializer.serialize_struct("Payload", 2)?;
                payload.serialize_field("flow_id", &flow_id)?;
                payload.serialize_field("post", &format_args!("{version}.{seq}"))?;
                payload.end()
            }
        }
        let mut metadata = serializer.serialize_struct("PostMetadata", 2)?;
        metadata.serialize_field("event_type", PostTag::EVENT_TYPE)?;
        metadata.serialize_field("event_payload", &Payload(self.0))?;
        metadata.end()
    }
}

/// A [`PostTag`] in a request's JSON is Slack's message `metadata` object.
mod as_metadata {
    use super::PostTag;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub(super) fn serialize<S: Serializer>(tag: &Option<PostTag>, serializer: S) -> Result<S::Ok, S::Error> {
        tag.map(super::PostMetadata).serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PostTag>, D::Error> {
        Ok(Option::<Value>::deserialize(deserializer)?
            .as_ref()
            .and_then(PostTag::from_metadata))
    }
}

/// What a successful call returned.
///
/// ```
/// use orchestrator_core::SlackReply;
/// let opened = SlackReply::View { id: "V1".into() };
/// assert_eq!(opened.ts(), None, "a view is no message");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SlackReply {
    /// A posted or updated message.
    Message {
        /// Channel id.
        channel: String,
        /// The message's `ts`.
        ts: String,
    },
    /// A posted ephemeral message (`chat.postEphemeral`): its `message_ts`, which a click on
    /// its buttons carries (in the payload's `container`). It cannot be updated with
    /// `chat.update`, so [`SlackReply::ts`] is `None` for it; a click on it is answered
    /// through the click's `response_url` (`Cx::respond`).
    Ephemeral {
        /// Slack's `message_ts` of the ephemeral message.
        ts: String,
    },
    /// Where a message is ([`SlackRequest::ThreadOf`]): its thread's root, and the root's
    /// tag if a flow posted it.
    Thread {
        /// The `ts` of the thread's root message (the message's own at the top).
        root: String,
        /// The root's tag, read from its `metadata`.
        tag: Option<PostTag>,
    },
    /// An opened, updated or pushed view.
    View {
        /// The view id.
        id: String,
    },
    /// Slack's whole answer to a [`SlackRequest::Call`].
    Json(Value),
    /// A downloaded file's bytes ([`SlackRequest::Download`]).
    Bytes(Vec<u8>),
    /// Any other success.
    Ok,
}

impl SlackReply {
    /// The `ts` of a posted or updated message (to update it later, or to reply in its
    /// thread); `None` for other replies.
    ///
    /// ```
    /// # use orchestrator_core::SlackReply;
    /// let posted = SlackReply::Message { channel: "D1".into(), ts: "1700000000.000001".into() };
    /// assert_eq!(posted.ts(), Some("1700000000.000001"));
    /// assert_eq!(SlackReply::Ok.ts(), None);
    /// ```
    pub fn ts(&self) -> Option<&str> {
        match self {
            SlackReply::Message { ts, .. } => Some(ts),
            _ => None,
        }
    }
}

/// Slack's `ts` form of a time: seconds since the epoch, a dot, microseconds
/// (`1700000000.000100`), as messages' `ts` and the `oldest` of a history read.
///
/// ```
/// use chrono::TimeZone;
/// let at = chrono::Utc.timestamp_opt(1_700_000_000, 100_000).unwrap();
/// assert_eq!(orchestrator_core::slack_ts(at), "1700000000.000100");
/// ```
pub fn slack_ts(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("{}.{:06}", at.timestamp(), at.timestamp_subsec_micros())
}

/// A failed Web API call. A step's `?` on one ends the flow in ERROR; a step can match it
/// instead.
///
/// ```
/// use orchestrator_core::SlackError;
/// let gone = SlackError::Api { method: "chat.postMessage".into(), code: "channel_not_found".into() };
/// assert_eq!(gone.to_string(), "chat.postMessage failed: channel_not_found");
/// assert!(!gone.is_temporary(), "asking again will not help");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `ok: false` with this error code (e.g. `channel_not_found`).
    #[error("{method} failed: {code}")]
    Api {
        /// The method called.
        method: String,
        /// Slack's error code.
        code: String,
    },
    /// Slack kept answering 429 after the retries.
    #[error("{method} was rate limited")]
    RateLimited {
        /// The method called.
        method: String,
    },
    /// The request could not be built (e.g. blocks that are not Block Kit).
    #[error("{method} request is invalid: {detail}")]
    InvalidRequest {
        /// The method called.
        method: String,
        /// What is wrong.
        detail: String,
    },
    /// The request did not reach Slack or the answer was unreadable.
    #[error("{method} failed to reach Slack: {detail}")]
    Transport {
        /// The method called.
        method: String,
        /// What went wrong.
        detail: String,
    },
}

impl SlackError {
    /// The `ok: false` codes that say Slack could not do it now rather than that the call is
    /// wrong. Slack documents for `internal_error` and `fatal_error` that "it's possible some
    /// aspect of the operation succeeded before the error was raised".
    ///
    /// ```
    /// # use orchestrator_core::SlackError;
    /// let busy = SlackError::Api { method: "chat.postMessage".into(), code: SlackError::UNAVAILABLE[0].into() };
    /// assert!(busy.is_temporary(), "tried again later");
    /// ```
    pub const UNAVAILABLE: [&'static str; 4] = [
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    ];

    /// Whether Slack only could not answer now (a rate limit past the retries, no answer or
    /// a 5xx, one of [`SlackError::UNAVAILABLE`]) rather than refused the call: the same
    /// call later may work, and a call that changes something may have been made.
    ///
    /// ```
    /// use orchestrator_core::SlackError;
    /// let busy = SlackError::Api { method: "conversations.history".into(), code: "internal_error".into() };
    /// let refused = SlackError::Api { method: "conversations.history".into(), code: "missing_scope".into() };
    /// assert!(busy.is_temporary());
    /// assert!(!refused.is_temporary());
    /// ```
    pub fn is_temporary(&self) -> bool {
        match self {
            SlackError::Api { code, .. } => Self::UNAVAILABLE.contains(&code.as_str()),
            SlackError::RateLimited { .. } | SlackError::Transport { .. } => true,
            SlackError::InvalidRequest { .. } => false,
        }
    }
}

/// Sends [`SlackRequest`]s. Implemented by the runtime's Web API client, by the test kit's
/// recorder, and by the console chat.
///
/// ```
/// use orchestrator_core::{SlackApi, SlackRequest, SlackReply, SlackError};
/// struct Silent;
/// #[async_trait::async_trait]
/// impl SlackApi for Silent {
///     async fn call(&self, _request: SlackRequest) -> Result<SlackReply, SlackError> {
///         Ok(SlackReply::Ok)
///     }
/// }
/// ```
#[async_trait]
pub trait SlackApi: Send + Sync + 'static {
    /// Makes one call.
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError>;

    /// This port, calling Slack with `token` instead of the app's bot token: what a step
    /// run by an event of a workflow's custom step calls through ([`WorkflowToken`]).
    /// `None`, the default, for a port without tokens (a test double, the console): the
    /// step then calls this port as it is.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, WorkflowToken};
    /// let run = WorkflowToken::new("xwfp-run");
    /// let web = slack_orchestrator::SlackWebApi::new("xoxb-app", Some("http://127.0.0.1:9/api/")).unwrap();
    /// assert!(web.with_token(&run).is_some(), "the Web API calls with the run's token");
    /// assert!(slack_orchestrator::RecordingSlack::new().with_token(&run).is_none());
    /// ```
    fn with_token(&self, token: &WorkflowToken) -> Option<Arc<dyn SlackApi>> {
        let _ = token;
        None
    }

    /// Calls any Web API method with Slack's arguments as JSON and returns Slack's whole
    /// answer (what [`Cx::api_call`](crate::Cx::api_call) does).
    async fn api_call(&self, method: &str, args: Value) -> Result<Value, SlackError> {
        let request = SlackRequest::Call {
            method: method.to_owned(),
            args,
        };
        match self.call(request).await? {
            SlackReply::Json(answer) => Ok(answer),
            other => Ok(serde_json::to_value(other).unwrap_or(Value::Null)),
        }
    }

    /// Opens (or finds) the direct-message channel with `user` (`conversations.open`) and
    /// returns its id.
    async fn open_dm(&self, user: &str) -> Result<String, SlackError> {
        let answer = self
            .api_call("conversations.open", serde_json::json!({"users": user}))
            .await?;
        answer["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SlackError::Transport {
                method: "conversations.open".into(),
                detail: format!("the answer has no channel id: {answer}"),
            })
    }
}

/// Calls `method` with a typed request and reads Slack's answer into a typed response:
/// slack-morphism's models (`SlackApiUsersInfoRequest` → `SlackApiUsersInfoResponse`, and
/// every other method's) or any serde types of your own. It goes through
/// [`SlackApi::api_call`], so a 429 is waited out like every call and the test kit, the
/// console and the fake Slack answer it too. What [`Cx::web_api`](crate::Cx::web_api) does.
///
/// ```
/// use orchestrator_core::{typed_call, SlackApi, SlackError, SlackReply, SlackRequest};
/// /// Answers `users.info` as Slack does.
/// struct Directory;
/// #[async_trait::async_trait]
/// impl SlackApi for Directory {
///     async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
///         let SlackRequest::Call { args, .. } = request else { unreachable!() };
///         Ok(SlackReply::Json(serde_json::json!({"ok": true, "user": {"id": args["user"], "tz": "Europe/Paris"}})))
///     }
/// }
/// #[derive(serde::Serialize)]
/// struct UsersInfo<'a> { user: &'a str, include_locale: Option<bool> } // `None` is left out
/// #[derive(serde::Deserialize)]
/// struct Answer { user: User }
/// #[derive(serde::Deserialize)]
/// struct User { tz: String }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let answer: Answer = typed_call(&Directory, "users.info", &UsersInfo { user: "U42", include_locale: None }).await?;
/// assert_eq!(answer.user.tz, "Europe/Paris");
/// # Ok::<(), SlackError>(()) }).unwrap();
/// ```
pub async fn typed_call<Req, Resp>(api: &dyn SlackApi, method: &str, request: &Req) -> Result<Resp, SlackError>
where
    Req: Serialize + ?Sized,
    Resp: serde::de::DeserializeOwned,
{
    let mut args = serde_json::to_value(request).map_err(|e| SlackError::InvalidRequest {
        method: method.to_owned(),
        detail: e.to_string(),
    })?;
    if let Some(map) = args.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    let answer = api.api_call(method, args).await?;
    serde_json::from_value(answer).map_err(|e| SlackError::Transport {
        method: method.to_owned(),
        detail: format!("the answer does not read as the typed response: {e}"),
    })
}
