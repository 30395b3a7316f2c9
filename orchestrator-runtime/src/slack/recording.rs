//! [`RecordingSlack`]: a [`SlackApi`] that answers every call with success and remembers it,
//! for tests and benchmarks that need no HTTP at all; or, while it is down
//! ([`SlackOutage`]), fails calls as Slack does in an outage.

use async_trait::async_trait;
use orchestrator_core::{PostTag, SlackApi, SlackError, SlackReply, SlackRequest};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Records every call; messages get increasing `ts` values, views increasing ids.
///
/// ```
/// use orchestrator_core::{SlackApi, SlackRequest};
/// use orchestrator_runtime::RecordingSlack;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let slack = RecordingSlack::new();
/// slack.call(SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None }).await.unwrap();
/// assert_eq!(slack.requests().len(), 1);
/// # });
/// ```
#[derive(Default)]
pub struct RecordingSlack {
    calls: Mutex<Vec<(SlackRequest, SlackReply)>>,
    counter: AtomicU64,
    keep: bool,
    /// The outage Slack is in, if it is.
    outage: Mutex<Option<SlackOutage>>,
    /// What a [`SlackRequest::Call`] of a method answers (default `{"ok": true}`).
    answers: Mutex<std::collections::HashMap<String, serde_json::Value>>,
    /// The files a [`SlackRequest::Download`] finds, by URL.
    files: Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl RecordingSlack {
    /// A recorder that keeps every request.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// let slack = RecordingSlack::new();
    /// slack.call(post).await.unwrap();
    /// assert_eq!(slack.len(), 1);
    /// # });
    /// ```
    pub fn new() -> Arc<Self> {
        Arc::new(RecordingSlack {
            keep: true,
            ..Default::default()
        })
    }

    /// A recorder that keeps nothing (for benchmarks).
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// let slack = RecordingSlack::discarding();
    /// assert!(slack.call(post).await.is_ok(), "answered as ever");
    /// assert!(slack.is_empty(), "but nothing kept: a long benchmark's memory stays flat");
    /// # });
    /// ```
    pub fn discarding() -> Arc<Self> {
        Arc::new(RecordingSlack::default())
    }

    /// Sets what a raw [`SlackRequest::Call`] of `method` answers from now on (Slack's whole
    /// JSON answer; by default `{"ok": true}`, and for `conversations.open` with one user
    /// the channel `D` + the user id). An answer with `"ok": false` is Slack refusing the
    /// call: [`SlackError::Api`] with its `error`, as the real client makes it (the call is
    /// recorded all the same).
    ///
    /// ```
    /// # use orchestrator_core::{SlackApi, SlackError, SlackReply, SlackRequest};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let slack = orchestrator_runtime::RecordingSlack::new();
    /// slack.answer("users.info", serde_json::json!({"ok": true, "user": {"tz": "Europe/Paris"}}));
    /// let call = SlackRequest::Call { method: "users.info".into(), args: serde_json::json!({"user": "U1"}) };
    /// let Ok(SlackReply::Json(answer)) = slack.call(call.clone()).await else { panic!() };
    /// assert_eq!(answer["user"]["tz"], "Europe/Paris");
    /// slack.answer("users.info", serde_json::json!({"ok": false, "error": "user_not_found"}));
    /// let Err(SlackError::Api { code, .. }) = slack.call(call).await else { panic!() };
    /// assert_eq!(code, "user_not_found");
    /// # });
    /// ```
    pub fn answer(&self, method: &str, reply: serde_json::Value) {
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(method.to_owned(), reply);
    }

    /// Serves `content` at `url` (a file's `url_private`) to [`SlackRequest::Download`]
    /// from now on; a URL not served answers Slack's `file_not_found`.
    ///
    /// ```
    /// # use orchestrator_core::{SlackApi, SlackError, SlackReply, SlackRequest};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let slack = orchestrator_runtime::RecordingSlack::new();
    /// slack.serve_file("https://files.slack.com/F1/a.csv", "x,y\n");
    /// let get = |url: &str| SlackRequest::Download { url: url.into() };
    /// let Ok(SlackReply::Bytes(bytes)) = slack.call(get("https://files.slack.com/F1/a.csv")).await else { panic!() };
    /// assert_eq!(bytes, b"x,y\n");
    /// let Err(SlackError::Api { code, .. }) = slack.call(get("https://files.slack.com/F2/b.csv")).await else { panic!() };
    /// assert_eq!(code, "file_not_found");
    /// # });
    /// ```
    pub fn serve_file(&self, url: &str, content: impl Into<Vec<u8>>) {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(url.to_owned(), content.into());
    }

    /// Every request so far, oldest first.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// let slack = RecordingSlack::new();
    /// slack.call(post.clone()).await.unwrap();
    /// assert_eq!(slack.requests(), [post]);
    /// # });
    /// ```
    pub fn requests(&self) -> Vec<SlackRequest> {
        self.lock().iter().map(|(request, _)| request.clone()).collect()
    }

    /// Every call so far with the reply it got, oldest first.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// let slack = RecordingSlack::new();
    /// slack.call(post).await.unwrap();
    /// let (_, reply) = &slack.calls()[0];
    /// assert!(reply.ts().is_some(), "a post is answered with its ts");
    /// # });
    /// ```
    pub fn calls(&self) -> Vec<(SlackRequest, SlackReply)> {
        self.lock().clone()
    }

    /// How many requests were made.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// let slack = RecordingSlack::new();
    /// for _ in 0..3 { slack.call(post.clone()).await.unwrap(); }
    /// assert_eq!(slack.len(), 3);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// `true` before the first request.
    ///
    /// ```
    /// let slack = orchestrator_runtime::RecordingSlack::new();
    /// assert!(slack.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(SlackRequest, SlackReply)>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The recorded post tagged `tag` in `channel`, as Slack would find it there (a post to
    /// a user id is in the DM it landed in, not under the user id).
    fn find(&self, channel: &str, tag: &PostTag) -> Option<SlackReply> {
        self.lock().iter().find_map(|(request, reply)| match (request, reply) {
            (SlackRequest::PostMessage { tag: Some(posted), .. }, SlackReply::Message { channel: c, .. })
                if posted == tag && c == channel =>
            {
                Some(reply.clone())
            }
            _ => None,
        })
    }

    /// The thread of the recorded post `ts` in `channel`, as Slack's `conversations.replies`
    /// tells it: its root's `ts` (its own, at the top) and the root's tag if it was posted
    /// here. A message this Slack did not post is not found, as Slack answers for a `ts` it
    /// does not know.
    fn thread_of(&self, channel: &str, ts: &str) -> Result<SlackReply, SlackError> {
        let calls = self.lock();
        let post = |ts: &str| {
            calls.iter().find_map(|(request, reply)| match (request, reply) {
                (SlackRequest::PostMessage { thread_ts, tag, .. }, SlackReply::Message { channel: c, ts: posted })
                    if c == channel && posted == ts =>
                {
                    Some((thread_ts.clone(), *tag))
                }
                _ => None,
            })
        };
        let Some((thread_ts, tag)) = post(ts) else {
            return Err(SlackError::Api {
                method: "conversations.replies".into(),
                code: "thread_not_found".into(),
            });
        };
        Ok(match thread_ts {
            // In a thread: the root, and its tag if this Slack posted it.
            Some(root) => SlackReply::Thread {
                tag: post(&root).and_then(|(_, tag)| tag),
                root,
            },
            None => SlackReply::Thread {
                root: ts.to_owned(),
                tag,
            },
        })
    }

    /// A fresh Slack-like `ts` (`1700000000.000001`, `…002`, …).
    ///
    /// ```
    /// let slack = orchestrator_runtime::RecordingSlack::new();
    /// let (first, second) = (slack.next_ts(), slack.next_ts());
    /// assert!(first < second, "increasing, as Slack's message timestamps are");
    /// ```
    pub fn next_ts(&self) -> String {
        crate::payloads::ts(self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// What a call answers unless told otherwise: a DM with one user is `D` + the user id (the
/// channel of the test kit's `TestBot::dm`); anything else `{"ok": true}`.
fn default_answer(method: &str, args: &serde_json::Value) -> serde_json::Value {
    match (method, args["users"].as_str()) {
        ("conversations.open", Some(user)) => {
            serde_json::json!({"ok": true, "channel": {"id": crate::payloads::posted_in(user)}})
        }
        _ => serde_json::json!({"ok": true}),
    }
}

#[async_trait]
impl SlackApi for RecordingSlack {
    async fn call(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        let outage = self.outage.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(outage) = outage.filter(|o| o.hits(&request)) {
            return self.refuse(request, &outage);
        }
        if let SlackRequest::FindPost { channel, tag, .. } = &request {
            // A read: answered from what was recorded, and not recorded itself. Its `since`
            // is not applied: this Slack's `ts` count from 1700000000, not from the clock.
            return Ok(self.find(channel, tag).unwrap_or(SlackReply::Ok));
        }
        if let SlackRequest::ThreadOf { channel, ts } = &request {
            // A read too: the thread of a message posted here.
            return self.thread_of(channel, ts);
        }
        self.answer_and_record(request)
    }
}

impl RecordingSlack {
    /// Slack goes down: from now on, calls fail as `outage` says, until
    /// [`RecordingSlack::come_back`]. (The HTTP fake, `testkit::FakeSlack`, has the same
    /// faults on the wire.)
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::{SlackOutage, RecordingSlack};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let slack = RecordingSlack::new();
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// slack.go_down(SlackOutage::MadeButFailed);
    /// assert!(slack.call(post.clone()).await.unwrap_err().is_temporary());
    /// assert_eq!(slack.requests().len(), 1, "made all the same");
    /// slack.come_back();
    /// assert!(slack.call(post).await.is_ok());
    /// # });
    /// ```
    pub fn go_down(&self, outage: SlackOutage) {
        *self.outage.lock().unwrap_or_else(|p| p.into_inner()) = Some(outage);
    }

    /// Slack answers again.
    ///
    /// ```
    /// use orchestrator_core::{SlackApi, SlackRequest};
    /// use orchestrator_runtime::RecordingSlack;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
    /// use orchestrator_runtime::SlackOutage;
    /// let slack = RecordingSlack::new();
    /// slack.go_down(SlackOutage::Unavailable);
    /// assert!(slack.call(post.clone()).await.is_err());
    /// slack.come_back();
    /// assert!(slack.call(post).await.is_ok());
    /// # });
    /// ```
    pub fn come_back(&self) {
        *self.outage.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// A call during an outage: refused as a 503 or a rate limit, or a post made and
    /// answered `internal_error`.
    fn refuse(&self, request: SlackRequest, outage: &SlackOutage) -> Result<SlackReply, SlackError> {
        let method = request.method().to_owned();
        match outage {
            SlackOutage::MadeButFailed if matches!(request, SlackRequest::PostMessage { .. }) => {
                let _made = self.answer_and_record(request); // made; the outage answers it
                Err(SlackError::Api {
                    method,
                    code: "internal_error".into(),
                })
            }
            SlackOutage::RateLimited(_) => Err(SlackError::RateLimited { method }),
            _ => Err(SlackError::Transport {
                method,
                detail: "Slack answered 503 Service Unavailable".into(),
            }),
        }
    }

    /// Answers a request as Slack would and records it.
    /// Answers `request` and records it; a canned `"ok": false` is Slack refusing it.
    fn answer_and_record(&self, request: SlackRequest) -> Result<SlackReply, SlackError> {
        let reply = match &request {
            SlackRequest::PostMessage { channel, .. } => SlackReply::Message {
                channel: crate::payloads::posted_in(channel),
                ts: self.next_ts(),
            },
            SlackRequest::UpdateMessage { channel, ts, .. } => SlackReply::Message {
                channel: channel.clone(),
                ts: ts.clone(),
            },
            SlackRequest::OpenView { .. } | SlackRequest::PushView { .. } => SlackReply::View {
                id: format!("V{:08}", self.counter.fetch_add(1, Ordering::Relaxed) + 1),
            },
            SlackRequest::UpdateView { view_id, .. } => SlackReply::View { id: view_id.clone() },
            SlackRequest::Call { method, args } => SlackReply::Json(
                self.answers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(method)
                    .cloned()
                    .unwrap_or_else(|| default_answer(method, args)),
            ),
            SlackRequest::PostEphemeral { .. } => SlackReply::Ephemeral { ts: self.next_ts() },
            SlackRequest::Download { url } => {
                let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
                match files.get(url) {
                    Some(content) => SlackReply::Bytes(content.clone()),
                    None => SlackReply::Json(serde_json::json!({"ok": false, "error": "file_not_found"})),
                }
            }
            SlackRequest::Upload { filename, title, .. } => {
                let id = format!("F{:08}", self.counter.fetch_add(1, Ordering::Relaxed) + 1);
                SlackReply::Json(shared_file(&id, filename, title.as_deref()))
            }
            SlackRequest::Respond { .. } | SlackRequest::FindPost { .. } | SlackRequest::ThreadOf { .. } => {
                SlackReply::Ok
            }
        };
        let refused = match &reply {
            SlackReply::Json(answer) if answer["ok"] == false => Some(SlackError::Api {
                method: request.method().to_owned(),
                code: answer["error"].as_str().unwrap_or("unknown_error").to_owned(),
            }),
            _ => None,
        };
        if self.keep {
            self.lock().push((request, reply.clone()));
        }
        refused.map_or(Ok(reply), Err)
    }
}

/// How Slack fails during an outage of a [`RecordingSlack`] ([`RecordingSlack::go_down`]).
///
/// ```
/// use orchestrator_core::{SlackApi, SlackRequest};
/// use orchestrator_runtime::{RecordingSlack, SlackOutage};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let slack = RecordingSlack::new();
/// slack.go_down(SlackOutage::RateLimited("conversations.open".into()));
/// let open = SlackRequest::Call { method: "conversations.open".into(), args: serde_json::json!({"users": "U1"}) };
/// assert!(slack.call(open).await.unwrap_err().is_temporary(), "rate limited past the retries");
/// let post = SlackRequest::PostMessage { channel: "D1".into(), thread_ts: None, text: "hi".into(), blocks: None, tag: None };
/// assert!(slack.call(post).await.is_ok(), "other methods are answered");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackOutage {
    /// Every call fails as a 503 that made nothing.
    Unavailable,
    /// A `chat.postMessage` is made, then answered `internal_error` (Slack's "some aspect
    /// of the operation may have succeeded"); every other call fails as a 503.
    MadeButFailed,
    /// Calls of one method (e.g. `conversations.open`) are rate limited past the client's
    /// retries (Slack's limits are per method); every other call is answered.
    RateLimited(String),
}

impl SlackOutage {
    /// Whether `request` meets the outage.
    fn hits(&self, request: &SlackRequest) -> bool {
        match self {
            SlackOutage::RateLimited(method) => request.method() == method,
            _ => true,
        }
    }
}

/// `files.completeUploadExternal`'s answer for one file, as Slack gives it (the title is the
/// name when none was given): what the in-process Slacks (this one, the console's) answer.
pub(crate) fn shared_file(id: &str, filename: &str, title: Option<&str>) -> serde_json::Value {
    let title = title.unwrap_or(filename);
    serde_json::json!({"ok": true, "files": [{"id": id, "name": filename, "title": title}]})
}
