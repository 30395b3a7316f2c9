//! [`SlackWebApi`]: the real [`SlackApi`], on slack-morphism's Web API client.
//!
//! - The base URL comes from `SLACK_API_URL` when set (tests point it at the fake Slack on
//!   loopback), with or without a trailing slash; slack-morphism's default connector is
//!   https-only, so this one is built to speak both http and https.
//! - A 429 is waited out (`Retry-After`) and retried up to three times. slack-morphism's
//!   own rate control is not used: it throttles `chat.postMessage` to one call per second
//!   for the whole bot, where Slack's limit is one per second *per channel*.
//! - A call Slack does not answer within 30 s (`SlackWebApi::with_timeout`) fails as a
//!   [`SlackError::Transport`], as Slack's own Python SDK does: slack-morphism's client has
//!   no time limit, so a connection that never answers would hold its conversation for ever.
//!   A step's post that got no answer is first looked for by its tag: if Slack made it,
//!   the step goes on with it.
//! - A call Slack could not carry out (a 5xx, or `internal_error`, `fatal_error`,
//!   `service_unavailable`) is tried again after 1, 2 and 4 s when that cannot show anything
//!   twice: an update, a look-up, or a tagged post that a look-up did not find. Slack
//!   documents that such a call may have been partly done, so an untagged post or an
//!   ephemeral message is not sent again; an upload is made again only if it failed before
//!   its share (`files.completeUploadExternal`). A call that got no answer is tried again only if
//!   it is an update or a look-up.
//! - Requests are checked against slack-morphism's typed models, then sent as built (a
//!   round trip through a model rewrites what the model does not know), and of an answer
//!   only what the bot uses is read (a post's or update's `channel` and `ts`, a view's
//!   `id`, `auth.test`'s user, team and bot ids): an `ok` answer that lacks a field the
//!   crate's model requires, or holds a block type it does not know yet, is still the
//!   success it is.
//! - Other failures reach the step as a [`SlackError`]; the step decides (by default, `?`
//!   ends the flow in ERROR with a message, and the stored state before the step is kept).

use crate::slack::download::Downloader;
use async_trait::async_trait;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use orchestrator_core::{PostMetadata, PostTag, SlackApi, SlackError, SlackReply, SlackRequest, WorkflowToken};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::sync::Arc;
use std::time::Duration;

type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;
type Client = SlackClient<Connector>;

/// How often a rate-limited call is retried.
const MAX_RETRIES: u32 = 3;
/// The longest single wait for a rate limit: Slack's `Retry-After` is waited out in full
/// (a retry sooner is refused again and counts against the limit), up to this. Tier 1
/// methods ask for about a minute. A step waiting this long keeps its event (its lease is
/// renewed while it works).
const MAX_WAIT: Duration = Duration::from_secs(120);
/// The first wait before a call Slack could not carry out is tried again; each next wait
/// doubles (1, 2, 4 s: Slack's short outages pass, and a step does not wait for minutes).
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// How long a call waits for Slack's answer by default.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The Web API client cannot be built from the environment.
///
/// ```
/// use orchestrator_runtime::{ClientError, SlackWebApi};
/// let bad = SlackWebApi::new("xoxb-token", Some("not a url")).err().unwrap();
/// assert!(matches!(bad, ClientError::ApiUrl { .. }));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `SLACK_BOT_TOKEN` is missing.
    #[error("SLACK_BOT_TOKEN is not set")]
    NoToken,
    /// The TLS roots could not be loaded.
    #[error("cannot build the Slack client: {0}")]
    Tls(#[from] std::io::Error),
    /// `SLACK_API_URL` (or the URL given to [`SlackWebApi::new`]) is not a URL.
    #[error("the Slack API URL `{url}` is not a URL: {reason}")]
    ApiUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Who the bot is, from `auth.test`.
///
/// ```
/// use orchestrator_runtime::SlackWebApi;
/// use slack_orchestrator::testkit::FakeSlack;
/// # #[tokio::main] async fn main() {
/// let slack = FakeSlack::start().await;
/// let web = SlackWebApi::new("xoxb-test", Some(&slack.api_url())).unwrap();
/// let me = web.auth_test().await.unwrap();
/// assert_eq!((me.user_id.as_str(), me.team_id.as_str()), ("UBOT", "T0TEST"));
/// assert!(me.bot_id.is_some());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    /// The bot's user id: its own messages carry it.
    pub user_id: String,
    /// The bot id (`B…`).
    pub bot_id: Option<String>,
    /// The workspace.
    pub team_id: String,
}

/// The Slack Web API, authenticated with a bot token: the [`SlackApi`] a bot's steps call
/// through, with its 429, outage and time-limit handling (see the module docs).
///
/// ```no_run
/// use orchestrator_runtime::{Orchestrator, SlackWebApi};
/// use std::sync::Arc;
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let web = SlackWebApi::from_env()?; // SLACK_BOT_TOKEN, and SLACK_API_URL if set
/// let me = web.auth_test().await?; // who the bot is, so it never answers itself
/// let orchestrator = Orchestrator::builder()
///     .slack(Arc::new(web))
///     .bot_user(me.user_id)
///     .build()?;
/// # drop(orchestrator);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SlackWebApi {
    client: Arc<Client>,
    /// `chat.postMessage`'s URL, parsed once: every step posts, and slack-morphism's
    /// `http_post` formats and parses the method's URL again on each call.
    post_url: url::Url,
    token: SlackApiToken,
    /// How long one attempt of a call waits for the answer.
    timeout: Duration,
    /// Downloads files (`url_private`), on the same TLS connector.
    files: Downloader,
}

impl SlackWebApi {
    /// A client for `bot_token` against `api_url` (default `https://slack.com/api`). Fails
    /// if the TLS roots cannot be loaded or `api_url` is not a URL.
    ///
    /// ```
    /// let api = orchestrator_runtime::SlackWebApi::new("xoxb-test", Some("http://127.0.0.1:9/api/")).unwrap();
    /// # drop(api);
    /// ```
    pub fn new(bot_token: &str, api_url: Option<&str>) -> Result<Self, ClientError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        let files = Downloader::new(connector.clone());
        let mut connector = SlackClientHyperConnector::with_connector(connector);
        if let Some(url) = api_url {
            connector = connector.with_slack_api_url(url.trim_end_matches('/'));
        }
        let post_url = connector
            .create_method_uri_path("chat.postMessage")
            .map_err(|e| ClientError::ApiUrl {
                url: api_url.unwrap_or_default().to_owned(),
                reason: e.to_string(),
            })?;
        let token = SlackApiToken::new(SlackApiTokenValue(bot_token.to_owned()));
        Ok(SlackWebApi {
            client: Arc::new(SlackClient::new(connector)),
            post_url,
            token,
            timeout: TIMEOUT,
            files,
        })
    }

    /// How long one attempt of a call waits for Slack's answer before it fails with
    /// [`SlackError::Transport`] (default 30 s; a 429's wait is not counted). A post that
    /// timed out may still have been made: Slack can answer late.
    ///
    /// ```
    /// use std::time::Duration;
    /// let api = orchestrator_runtime::SlackWebApi::new("xoxb-test", None)
    ///     .unwrap()
    ///     .with_timeout(Duration::from_secs(10));
    /// # drop(api);
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether a post Slack did not confirm (no answer, a 5xx, `internal_error`) was made
    /// after all: a tagged one is looked for by its tag. An untagged call cannot be told.
    async fn made_anyway(&self, request: &SlackRequest) -> Made {
        let SlackRequest::PostMessage {
            channel,
            thread_ts,
            tag: Some(tag),
            ..
        } = request
        else {
            return Made::Unknown;
        };
        if orchestrator_core::is_user_id(channel) {
            // Posted to a user id: the post is in their DM, whose id this call does not
            // know. The step's replay looks for it there (`Cx::find_post` opens the DM).
            return Made::Unknown;
        }
        // The post was sent within the last attempt.
        let since = chrono::Utc::now() - self.timeout - PostTag::LOOK_BACK;
        let look_up = SlackRequest::FindPost {
            channel: channel.clone(),
            thread_ts: thread_ts.clone(),
            tag: *tag,
            since: Some(orchestrator_core::slack_ts(since)),
        };
        match self.within(look_up.method(), self.call_once(&look_up)).await {
            Ok(found @ SlackReply::Message { .. }) => Made::Yes(found),
            Ok(_) => Made::No,
            Err(_) => Made::Unknown,
        }
    }

    /// `answer`, or a [`Failure`] once it took longer than the timeout. (Not an `async fn`:
    /// one would keep `answer` twice, as its argument and inside the timeout.)
    fn within<'a, T>(
        &'a self,
        method: &'a str,
        answer: impl std::future::Future<Output = Result<T, Failure>> + 'a,
    ) -> impl std::future::Future<Output = Result<T, Failure>> + 'a {
        let limited = tokio::time::timeout(self.timeout, answer);
        async move {
            limited.await.unwrap_or_else(|_| {
                Err(Failure::Other(SlackError::Transport {
                    method: method.to_owned(),
                    detail: format!("no answer within {:?}", self.timeout),
                }))
            })
        }
    }

    /// A client configured from `SLACK_BOT_TOKEN` and `SLACK_API_URL`.
    ///
    /// ```
    /// use orchestrator_runtime::SlackWebApi;
    /// // Without SLACK_BOT_TOKEN there is no client, and the error says which variable is missing.
    /// std::env::remove_var("SLACK_BOT_TOKEN"); // this example's own process
    /// let Err(missing) = SlackWebApi::from_env() else { panic!("no token, no client") };
    /// assert!(missing.to_string().contains("SLACK_BOT_TOKEN"), "{missing}");
    /// std::env::set_var("SLACK_BOT_TOKEN", "xoxb-token");
    /// std::env::set_var("SLACK_API_URL", "http://127.0.0.1:9/api/");
    /// assert!(SlackWebApi::from_env().is_ok(), "a token (and the API's URL) make a client");
    /// ```
    pub fn from_env() -> Result<Self, ClientError> {
        let token = std::env::var("SLACK_BOT_TOKEN").map_err(|_| ClientError::NoToken)?;
        let url = std::env::var("SLACK_API_URL").ok().filter(|u| !u.is_empty());
        Self::new(&token, url.as_deref())
    }

    /// `auth.test`: checks the token and tells the bot who it is.
    ///
    /// ```
    /// use orchestrator_runtime::SlackWebApi;
    /// use slack_orchestrator::testkit::{FakeSlack, BOT_USER, TEAM};
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let me = SlackWebApi::new("xoxb-token", Some(&slack.api_url())).unwrap().auth_test().await.unwrap();
    /// assert_eq!((me.user_id.as_str(), me.team_id.as_str()), (BOT_USER, TEAM));
    /// slack.fail_next("auth.test", "invalid_auth"); // a revoked token
    /// let refused = SlackWebApi::new("xoxb-old", Some(&slack.api_url())).unwrap().auth_test().await.unwrap_err();
    /// assert!(refused.to_string().contains("invalid_auth"), "{refused}");
    /// # }
    /// ```
    pub async fn auth_test(&self) -> Result<BotIdentity, SlackError> {
        let session = self.client.open_session(&self.token);
        let none: [(&str, Option<&str>); 0] = [];
        let asked = async {
            let me: Me = session
                .http_session_api
                .http_get("auth.test", &none, None)
                .await
                .map_err(|e| error("auth.test", e))?;
            Ok(me)
        };
        let me = self.within("auth.test", asked).await.map_err(plain)?;
        Ok(BotIdentity {
            user_id: me.user_id,
            bot_id: me.bot_id,
            team_id: me.team_id,
        })
    }

    /// `apps.connections.open` with an app-level token: the Socket Mode WebSocket URL. A 429
    /// is waited out (`Retry-After`) and asked again, as every call's is.
    ///
    /// ```
    /// use orchestrator_runtime::SlackWebApi;
    /// use slack_orchestrator::testkit::FakeSlack;
    /// # #[tokio::main] async fn main() {
    /// let slack = FakeSlack::start().await;
    /// let web = SlackWebApi::new("xoxb-token", Some(&slack.api_url())).unwrap();
    /// slack.rate_limit_next("apps.connections.open", 1, 1); // waited out, then asked again
    /// let url = web.open_socket("xapp-token").await.unwrap();
    /// assert!(url.starts_with("ws://"), "{url}");
    /// let asked = slack.calls().pop().unwrap();
    /// assert_eq!(asked.token.as_deref(), Some("xapp-token"), "the app-level token, not the bot's");
    /// # }
    /// ```
    pub async fn open_socket(&self, app_token: &str) -> Result<String, SlackError> {
        let token = SlackApiToken::new(SlackApiTokenValue(app_token.to_owned()));
        let session = self.client.open_session(&token);
        let method = "apps.connections.open";
        let request = SlackApiAppsConnectionOpenRequest::new();
        for attempt in 0.. {
            let asked = async {
                session
                    .apps_connections_open(&request)
                    .await
                    .map_err(|e| error(method, e))
            };
            match self.within(method, asked).await {
                Ok(opened) => return Ok(opened.url.0.to_string()),
                // A Tier 1 method: asking again before `Retry-After` is refused again.
                Err(Failure::RateLimited(_, retry_after)) if attempt < MAX_RETRIES => {
                    wait_out(method, retry_after, attempt).await
                }
                Err(failure) => return Err(plain(failure)),
            }
        }
        unreachable!("the loop returns by the last attempt")
    }

    /// Looks for the post tagged `tag` where `look` says (a channel, or a thread in it, from
    /// a time on) with `method`, `conversations.history` or `conversations.replies`.
    async fn find_post(&self, method: &str, look: LookFor<'_>, tag: &PostTag) -> Result<SlackReply, Failure> {
        let LookFor {
            channel,
            thread_ts,
            since,
        } = look;
        let session = self.client.open_session(&self.token);
        // slack-morphism's `conversations.replies` request has no `include_all_metadata`, so
        // both look-ups go through its generic GET with Slack's documented arguments. A
        // thread's replies come oldest first, so a post in a long thread may be on a later
        // page: the look-up follows Slack's cursor, for at most `FIND_PAGES` pages.
        let mut cursor = None::<String>;
        for _ in 0..FIND_PAGES {
            let mut params = vec![
                ("channel", Some(channel)),
                ("include_all_metadata", Some("true")),
                ("limit", Some("200")),
            ];
            params.extend(thread_ts.map(|ts| ("ts", Some(ts))));
            params.extend(since.map(|oldest| ("oldest", Some(oldest))));
            params.extend(cursor.as_deref().map(|next| ("cursor", Some(next))));
            let page: History = session
                .http_session_api
                .http_get(method, &params, None)
                .await
                .map_err(|e| error(method, e))?;
            let tagged =
                |m: &HistoryMessage| m.metadata.as_ref().and_then(PostTag::from_metadata).as_ref() == Some(tag);
            if let Some(found) = page.messages.into_iter().find(tagged) {
                return Ok(SlackReply::Message {
                    channel: channel.to_owned(),
                    ts: found.ts,
                });
            }
            match page.response_metadata.map(|m| m.next_cursor) {
                Some(next) if page.has_more && !next.is_empty() => cursor = Some(next),
                _ => break,
            }
        }
        Ok(SlackReply::Ok)
    }

    /// The thread message `ts` of `channel` is in (see [`SlackRequest::ThreadOf`]): the
    /// first message `conversations.replies` answers for it is the thread's root (with
    /// replies, its `thread_ts` is its own `ts`), or the message itself when it is in no
    /// thread (then it has no `thread_ts`), with its metadata: the root's tag.
    async fn thread_of(&self, method: &str, channel: &str, ts: &str) -> Result<SlackReply, Failure> {
        let session = self.client.open_session(&self.token);
        let params = [
            ("channel", Some(channel)),
            ("ts", Some(ts)),
            ("limit", Some("1")),
            ("include_all_metadata", Some("true")),
        ];
        let thread: History = (session.http_session_api)
            .http_get(method, &params, None)
            .await
            .map_err(|e| error(method, e))?;
        let first = thread.messages.into_iter().next().ok_or_else(|| {
            Failure::Other(SlackError::Api {
                method: method.to_owned(),
                code: "thread_not_found".into(),
            })
        })?;
        Ok(SlackReply::Thread {
            tag: first.metadata.as_ref().and_then(PostTag::from_metadata),
            root: first.thread_ts.unwrap_or(first.ts),
        })
    }

    async fn call_once(&self, request: &SlackRequest) -> Result<SlackReply, Failure> {
        let method = request.method();
        let session = self.client.open_session(&self.token);
        // `SlackRequest`'s fields are named as Slack's arguments, so its JSON is the body
        // (built only for the calls that need it: a post, on every step, is built directly).
        let args = || {
            serde_json::to_value(request).map_err(|e| SlackError::InvalidRequest {
                method: method.to_owned(),
                detail: e.to_string(),
            })
        };
        Ok(match request {
            SlackRequest::PostMessage {
                channel,
                thread_ts,
                text,
                blocks,
                tag,
            } => {
                if let Some(blocks) = blocks {
                    // Checked against slack-morphism's Block Kit models, then sent as given.
                    check::<Vec<SlackBlock>>(method, blocks)?;
                }
                let post = PostBody {
                    channel,
                    text,
                    thread_ts: thread_ts.as_deref(),
                    blocks: blocks.as_ref(),
                    metadata: tag.map(PostMetadata),
                };
                let sent = session
                    .http_session_api
                    .http_post_uri(self.post_url.clone(), &post, None)
                    .await
                    .map_err(|e| error(method, e))?;
                message_reply(sent)
            }
            SlackRequest::UpdateMessage { .. } => {
                let body = checked::<SlackApiChatUpdateRequest>(method, args()?)?;
                message_reply(send(&session, method, &body).await?)
            }
            SlackRequest::PostEphemeral { .. } => {
                let body = checked::<SlackApiChatPostEphemeralRequest>(method, args()?)?;
                let posted: EphemeralAt = send(&session, method, &body).await?;
                match posted.message_ts {
                    Some(ts) => SlackReply::Ephemeral { ts },
                    None => SlackReply::Ok,
                }
            }
            SlackRequest::OpenView { .. } => {
                let body = checked::<SlackApiViewsOpenRequest>(method, args()?)?;
                view_reply(send(&session, method, &body).await?)
            }
            SlackRequest::PushView { .. } => {
                let body = checked::<SlackApiViewsPushRequest>(method, args()?)?;
                view_reply(send(&session, method, &body).await?)
            }
            SlackRequest::UpdateView { .. } => {
                let body = checked::<SlackApiViewsUpdateRequest>(method, args()?)?;
                view_reply(send(&session, method, &body).await?)
            }
            SlackRequest::FindPost {
                channel,
                thread_ts,
                tag,
                since,
            } => {
                let look = LookFor {
                    channel,
                    thread_ts: thread_ts.as_deref(),
                    since: since.as_deref(),
                };
                self.find_post(method, look, tag).await?
            }
            SlackRequest::ThreadOf { channel, ts } => self.thread_of(method, channel, ts).await?,
            SlackRequest::Call { args, .. } => {
                // slack-morphism's generic POST: Slack's answer comes back whole, and an
                // `ok: false` or a 429 is handled as for the typed calls.
                let answer: Value = send(&session, method, args).await?;
                SlackReply::Json(answer)
            }
            SlackRequest::Upload {
                channel_id,
                thread_ts,
                filename,
                title,
                initial_comment,
                content,
            } => {
                let file = UploadedFile {
                    filename,
                    title: title.as_deref(),
                    content,
                };
                let share = Share {
                    channel_id,
                    thread_ts: thread_ts.as_deref(),
                    initial_comment: initial_comment.as_deref(),
                };
                SlackReply::Json(upload(&session, file, share).await?)
            }
            SlackRequest::Download { url } => {
                SlackReply::Bytes(self.files.download(url, &self.token.token_value.0).await?)
            }
            SlackRequest::Respond {
                response_url,
                text,
                replace_original,
                in_channel,
            } => {
                let url: url::Url = response_url.parse().map_err(|e| SlackError::InvalidRequest {
                    method: method.to_owned(),
                    detail: format!("response_url: {e}"),
                })?;
                let response_type = if *in_channel { "in_channel" } else { "ephemeral" };
                let body = json!({"text": text, "replace_original": replace_original, "response_type": response_type});
                // Checked, then sent as built, as every request: slack-morphism's typed
                // request has no `response_type`, and without one Slack shows the answer to
                // the user alone, even one meant for the whole channel. Posted as its
                // `post_webhook_message` posts: no token, the URL kept out of its logs.
                check::<SlackApiPostWebhookMessageRequest>(method, &body)?;
                let span = tracing::debug_span!("Slack response_url");
                let context = SlackClientApiCallContext {
                    rate_control_params: Some(&POST_WEBHOOK_SPECIAL_LIMIT_RATE_CTL),
                    token: None,
                    tracing_span: &span,
                    is_sensitive_url: true,
                };
                let _: SlackApiPostWebhookMessageResponse = (self.client.http_api.connector)
                    .http_post_uri(url, &body, context)
                    .await
                    .map_err(|e| error(method, e))?;
                SlackReply::Ok
            }
        })
    }
}

/// A file to upload.
struct UploadedFile<'a> {
    filename: &'a str,
    title: Option<&'a str>,
    content: &'a [u8],
}

/// Where an uploaded file is shared.
struct Share<'a> {
    channel_id: &'a str,
    thread_ts: Option<&'a str>,
    initial_comment: Option<&'a str>,
}

/// Slack's upload flow, with slack-morphism's calls: an upload URL for the file
/// (`files.getUploadURLExternal`), its bytes sent there, then `files.completeUploadExternal`
/// shares it; Slack's answer to the last. The file is shared only by the last call, so a
/// failure before it shows nothing (an unshared file is left, which Slack drops).
async fn upload(
    session: &SlackClientSession<'_, Connector>,
    file: UploadedFile<'_>,
    share: Share<'_>,
) -> Result<Value, Failure> {
    let asked = SlackApiFilesGetUploadUrlExternalRequest::new(file.filename.to_owned(), file.content.len());
    let to = session
        .get_upload_url_external(&asked)
        .await
        .map_err(|e| error("files.getUploadURLExternal", e))?;
    // The upload URL is sent the bytes with the type of the file's name (Slack tells a file's
    // type from its name).
    let content_type = mime_guess::from_path(file.filename).first_or_octet_stream().to_string();
    let bytes = SlackApiFilesUploadViaUrlRequest::new(to.upload_url, file.content.to_vec(), content_type);
    session
        .files_upload_via_url(&bytes)
        .await
        .map_err(|e| error("upload_url", e))?;
    let shared = SlackApiFilesComplete::new(to.file_id).opt_title(file.title.map(str::to_owned));
    let body = json!({
        "files": [shared],
        "channel_id": share.channel_id,
        "thread_ts": share.thread_ts,
        "initial_comment": share.initial_comment,
    });
    let body = checked::<SlackApiFilesCompleteUploadExternalRequest>("files.completeUploadExternal", body)
        .map_err(Failure::Other)?;
    send(session, "files.completeUploadExternal", &body).await
}

/// A `chat.postMessage` body, serialized from the request's fields as they are: the post
/// is the one call of every step, and slack-morphism's typed request would copy each
/// field and build a map for the metadata. Its client still sends it (errors, 429s).
#[derive(serde::Serialize)]
struct PostBody<'a> {
    channel: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<PostMetadata>,
}

/// What the bot reads of a `chat.postMessage` or `chat.update` answer: where the message
/// is (the echoed message is skipped, not built).
#[derive(serde::Deserialize)]
struct MessageAt {
    channel: String,
    ts: String,
}

/// What the bot reads of a `chat.postEphemeral` answer: the message's `message_ts`, which
/// a click on it carries.
#[derive(serde::Deserialize)]
struct EphemeralAt {
    #[serde(default)]
    message_ts: Option<String>,
}

fn message_reply(answer: MessageAt) -> SlackReply {
    SlackReply::Message {
        channel: answer.channel,
        ts: answer.ts,
    }
}

/// Sends `request` to `method` with slack-morphism's client (its `ok: false`, 429 and HTTP
/// error handling) and reads only `T` of the answer. slack-morphism's typed answers are
/// not used: they require every field they model (`chat.update`'s echoed `message`, a
/// view's whole Block Kit), so an answer in which Slack left one out, or added a block type
/// the crate does not know, failed after Slack had carried the call out.
async fn send<T: DeserializeOwned + Send>(
    session: &SlackClientSession<'_, Connector>,
    method: &str,
    request: &(impl serde::Serialize + Send + Sync),
) -> Result<T, Failure> {
    session
        .http_session_api
        .http_post(method, request, None)
        .await
        .map_err(|e| error(method, e))
}

/// What the bot reads of `auth.test`'s answer (slack-morphism's model also requires the
/// workspace's name and URL).
#[derive(serde::Deserialize)]
struct Me {
    user_id: String,
    team_id: String,
    #[serde(default)]
    bot_id: Option<String>,
}

/// What the bot reads of a `views.open`, `views.push` or `views.update` answer: the view's id.
#[derive(serde::Deserialize)]
struct ViewAnswer {
    view: ViewId,
}

#[derive(serde::Deserialize)]
struct ViewId {
    id: String,
}

fn view_reply(answer: ViewAnswer) -> SlackReply {
    SlackReply::View { id: answer.view.id }
}

/// Where a post look-up reads: a channel, or a thread in it, from `since` (Slack's `oldest`).
struct LookFor<'a> {
    channel: &'a str,
    thread_ts: Option<&'a str>,
    since: Option<&'a str>,
}

/// The part of a `conversations.history` / `conversations.replies` answer a look-up reads.
#[derive(serde::Deserialize)]
struct History {
    messages: Vec<HistoryMessage>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    response_metadata: Option<NextPage>,
}

/// Slack's cursor to the next page of an answer.
#[derive(serde::Deserialize)]
struct NextPage {
    #[serde(default)]
    next_cursor: String,
}

/// How many pages of 200 messages a post look-up reads at most: the channel's latest 2,000
/// messages, or a thread's first 2,000 replies, since the look-up's `since` (where more were
/// said since then, the search stops short, and a replayed step there may post again).
const FIND_PAGES: usize = 10;

#[derive(serde::Deserialize)]
struct HistoryMessage {
    ts: String,
    /// The thread's root, on a message in a thread or on a root with replies.
    #[serde(default)]
    thread_ts: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
}

/// Checks `body` against slack-morphism's typed model `T` of the request (its models are
/// serde), so that Block Kit given as JSON is refused here, with serde's reason, instead
/// of at Slack.
fn check<T: DeserializeOwned>(method: &str, body: &Value) -> Result<(), SlackError> {
    T::deserialize(body).map(drop).map_err(|e| SlackError::InvalidRequest {
        method: method.to_owned(),
        detail: e.to_string(),
    })
}

/// A request's JSON (nulls and the `method` tag left out) once it reads as `T`: the body
/// to send as it is. Built into `T` and serialized again, a view would lose what the model
/// does not know or rewrite it (a radio button's markdown description became plain text,
/// an overflow option's URL got a slash it did not have).
fn checked<T: DeserializeOwned>(method: &str, mut body: Value) -> Result<Value, SlackError> {
    if let Some(map) = body.as_object_mut() {
        map.retain(|key, v| !v.is_null() && key != "method");
    }
    check::<T>(method, &body)?;
    Ok(body)
}

fn plain(failure: Failure) -> SlackError {
    match failure {
        Failure::RateLimited(method, _) => SlackError::RateLimited { method },
        Failure::Unavailable(error) | Failure::Other(error) => error,
    }
}

/// A failed call, as the retry loop tells them apart.
pub(crate) enum Failure {
    /// A 429, with its `Retry-After`.
    RateLimited(String, Option<Duration>),
    /// Slack answered that it could not do it now (a 5xx, or one of [`SlackError::UNAVAILABLE`]):
    /// worth another try, but part of it may have been done.
    Unavailable(SlackError),
    Other(SlackError),
}

impl From<SlackError> for Failure {
    fn from(error: SlackError) -> Self {
        Failure::Other(error)
    }
}

fn error(method: &str, error: SlackClientError) -> Failure {
    let method = method.to_owned();
    match error {
        SlackClientError::ApiError(e) if SlackError::UNAVAILABLE.contains(&e.code.as_str()) => {
            Failure::Unavailable(SlackError::Api { method, code: e.code })
        }
        SlackClientError::ApiError(e) => Failure::Other(SlackError::Api { method, code: e.code }),
        SlackClientError::RateLimitError(e) => Failure::RateLimited(method, e.retry_after),
        SlackClientError::HttpError(e) if e.status_code.is_server_error() => {
            Failure::Unavailable(SlackError::Transport {
                method,
                detail: format!("Slack answered {}", e.status_code),
            })
        }
        other => Failure::Other(SlackError::Transport {
            method,
            detail: other.to_string(),
        }),
    }
}

/// Waits out a 429: Slack's `Retry-After` in full (1 s without one), at most [`MAX_WAIT`].
async fn wait_out(method: &str, retry_after: Option<Duration>, attempt: u32) {
    let wait = retry_after.unwrap_or(Duration::from_secs(1)).min(MAX_WAIT);
    tracing::warn!(%method, attempt = attempt + 1, ?wait, "rate limited by Slack; waiting");
    tokio::time::sleep(wait).await;
}

/// What a look-up says of a post Slack did not confirm.
enum Made {
    /// Slack made it: this is the post.
    Yes(SlackReply),
    /// Slack did not make it (yet).
    No,
    /// It cannot be told: an untagged call, or the look-up failed.
    Unknown,
}

/// Whether `request` can be sent again after a failure without showing anything twice:
/// an update leaves the same message or view however often it is made, and a look-up
/// changes nothing. A post can be shown twice; a tagged one is looked for instead.
fn repeatable(request: &SlackRequest) -> bool {
    matches!(
        request,
        SlackRequest::UpdateMessage { .. }
            | SlackRequest::UpdateView { .. }
            | SlackRequest::FindPost { .. }
            | SlackRequest::ThreadOf { .. }
            | SlackRequest::Download { .. }
    )
}

/// Whether `request` may be sent again after it failed with `error`: a repeatable one, or an
/// upload that failed before its last call (the share), which showed nothing.
fn repeatable_after(request: &SlackRequest, error: &SlackError) -> bool {
    let failed_at = match error {
        SlackError::Api { method, .. }
        | SlackError::RateLimited { method }
        | SlackError::InvalidRequest { method, .. }
        | SlackError::Transport { method, .. } => method,
    };
    repeatable(request) || matches!(request, SlackRequest::Upload { .. }) && failed_at != request.method()
}

#[async_trait]
impl SlackApi for SlackWebApi {
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        let mut backoff = FIRST_BACKOFF;
        for attempt in 0.. {
            let last = attempt == MAX_RETRIES;
            // `answered`: Slack said it could not do it now (and may have done part of it);
            // otherwise no answer came, and a post may still be on its way.
            let (error, answered) = match self.within(request.method(), self.call_once(&request)).await {
                Ok(reply) => return Ok(reply),
                Err(Failure::RateLimited(method, _)) if last => return Err(SlackError::RateLimited { method }),
                Err(Failure::RateLimited(method, retry_after)) => {
                    wait_out(&method, retry_after, attempt).await;
                    continue;
                }
                Err(Failure::Unavailable(error)) => (error, true),
                Err(Failure::Other(error @ SlackError::Transport { .. })) => (error, false),
                Err(Failure::Other(error)) => return Err(error),
            };
            if last || !repeatable_after(&request, &error) {
                match self.made_anyway(&request).await {
                    Made::Yes(found) => {
                        tracing::warn!(%error, "Slack did not confirm a post, but made it");
                        return Ok(found);
                    }
                    // Not made, and not on its way: sent again.
                    Made::No if answered && !last => {}
                    _ => return Err(error),
                }
            }
            let wait = jittered(backoff);
            tracing::warn!(%error, attempt = attempt + 1, ?wait, "Slack is unavailable; trying again");
            tokio::time::sleep(wait).await;
            backoff *= 2;
        }
        unreachable!("the loop returns by the last attempt")
    }

    /// The same client (its connections, its URL, its timeout) with a workflow run's token.
    fn with_token(&self, token: &WorkflowToken) -> Option<Arc<dyn SlackApi>> {
        let token = SlackApiToken::new(SlackApiTokenValue(token.secret().to_owned()));
        Some(Arc::new(SlackWebApi { token, ..self.clone() }))
    }
}

/// `wait` give or take a quarter, so that replicas that failed together do not all come
/// back at once (as Slack's own SDKs randomize theirs).
fn jittered(wait: Duration) -> Duration {
    wait.mul_f64(0.75 + fastrand::f64() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_carries_its_tag_as_the_metadata_a_look_up_reads_back() {
        let tag = PostTag {
            flow_id: uuid::Uuid::new_v4(),
            version: 7,
            seq: 2,
        };
        let post = PostBody {
            channel: "C1",
            text: "hi",
            thread_ts: None,
            blocks: None,
            metadata: Some(PostMetadata(tag)),
        };
        let body = serde_json::to_value(&post).unwrap();
        assert_eq!(body["metadata"], tag.metadata());
        assert_eq!(PostTag::from_metadata(&body["metadata"]), Some(tag));
        assert_eq!(body, json!({"channel": "C1", "text": "hi", "metadata": tag.metadata()}));
    }

    #[test]
    fn an_api_url_that_is_not_a_url_is_refused_when_the_client_is_built() {
        let refused = SlackWebApi::new("xoxb-test", Some("no scheme here"))
            .err()
            .expect("refused");
        assert!(refused.to_string().contains("Slack API URL"), "{refused}");
        assert!(SlackWebApi::new("xoxb-test", Some("http://127.0.0.1:9/api/")).is_ok());
    }
}
