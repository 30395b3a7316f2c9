//! Downloading a file a user shared (its `url_private`) with the bot's token, for
//! [`SlackRequest::Download`](orchestrator_core::SlackRequest::Download).
//!
//! slack-morphism's client reads every answer as JSON, and a file is bytes, so this asks
//! with hyper-util's client (the one under slack-morphism's, on the same TLS connector).
//! Slack's quirks, as its own SDKs handle them:
//! - a URL may redirect (to `files.slack.com`); up to three redirects are followed, the
//!   token sent on only to the same host or to Slack's;
//! - a token without the `files:read` scope, or a file not shared where the bot is, gets a
//!   200 with Slack's sign-in page instead of the file: that is a refusal, not the file.

use super::web_api::Failure;
use axum::body::Bytes;
use axum::http::{header, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use orchestrator_core::SlackError;
use std::time::Duration;

/// The method name downloads are reported under.
const METHOD: &str = "url_private";
/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;
/// The largest file read into memory.
pub(crate) const MAX_DOWNLOAD: usize = 100 * 1024 * 1024;

/// Downloads files with a bot's token.
#[derive(Clone)]
pub(crate) struct Downloader {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Downloader {
    /// A downloader on `connector`.
    pub(crate) fn new(connector: HttpsConnector<HttpConnector>) -> Self {
        Downloader {
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// The bytes at `url`, asked for with `token`.
    pub(crate) async fn download(&self, url: &str, token: &str) -> Result<Vec<u8>, Failure> {
        let first: url::Url = url.parse().map_err(|e| refused(format!("url_private `{url}`: {e}")))?;
        let mut at = first.clone();
        for _ in 0..=MAX_REDIRECTS {
            let trusted = at.host_str() == first.host_str() || at.host_str().is_some_and(is_slacks);
            let uri: Uri = at
                .as_str()
                .parse()
                .map_err(|e| refused(format!("url_private `{at}`: {e}")))?;
            let mut asked = Request::get(uri);
            if trusted {
                asked = asked.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            let asked = asked.body(Empty::new()).map_err(|e| refused(e.to_string()))?;
            let answer = self.client.request(asked).await.map_err(|e| transport(e.to_string()))?;
            let status = answer.status();
            if status.is_redirection() {
                let location = answer.headers().get(header::LOCATION).and_then(|l| l.to_str().ok());
                let location =
                    location.ok_or_else(|| transport(format!("Slack answered {status} without a Location")))?;
                at = at
                    .join(location)
                    .map_err(|e| transport(format!("a redirect to `{location}`: {e}")))?;
                continue;
            }
            let html = answer
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|t| t.to_str().ok())
                .is_some_and(|t| t.starts_with("text/html"));
            let retry_after = answer
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|r| r.to_str().ok()?.parse().ok())
                .map(Duration::from_secs);
            return match status {
                StatusCode::OK if html => Err(refused(
                    "Slack answered its sign-in page, not the file: the app needs the `files:read` scope, \
                     and the file must be shared where the bot is"
                        .into(),
                )),
                StatusCode::OK => {
                    let body = Limited::new(answer.into_body(), MAX_DOWNLOAD).collect().await;
                    let body = body.map_err(|e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
                        Some(_) => refused(format!("the file is larger than {MAX_DOWNLOAD} bytes")),
                        None => transport(e.to_string()),
                    })?;
                    Ok(body.to_bytes().to_vec())
                }
                StatusCode::NOT_FOUND => Err(Failure::Other(SlackError::Api {
                    method: METHOD.into(),
                    code: "file_not_found".into(),
                })),
                StatusCode::TOO_MANY_REQUESTS => Err(Failure::RateLimited(METHOD.into(), retry_after)),
                status if status.is_server_error() => Err(Failure::Unavailable(SlackError::Transport {
                    method: METHOD.into(),
                    detail: format!("Slack answered {status}"),
                })),
                status => Err(transport(format!("Slack answered {status}"))),
            };
        }
        Err(transport(format!("more than {MAX_REDIRECTS} redirects")))
    }
}

/// Slack's own hosts, which may be sent the token.
fn is_slacks(host: &str) -> bool {
    host == "slack.com" || host.ends_with(".slack.com") || host.ends_with(".slack-edge.com")
}

fn refused(detail: String) -> Failure {
    Failure::Other(SlackError::InvalidRequest {
        method: METHOD.into(),
        detail,
    })
}

fn transport(detail: String) -> Failure {
    Failure::Other(SlackError::Transport {
        method: METHOD.into(),
        detail,
    })
}
