//! [`SignedSender`]: the other half of the fake Slack. It sends requests to a bot the way
//! Slack does: Events API callbacks as JSON, interactivity as `payload=` forms, slash
//! commands as forms, each signed with the signing secret.

use orchestrator_runtime::signature::sign;
use serde_json::Value;

/// What the bot answered ([`SignedSender`]'s example sends requests and reads them).
///
/// ```
/// use orchestrator_testkit::Sent;
/// let refused = Sent { status: 400, body: r#"{"ok":false,"error":"bad"}"#.into(), no_retry: true };
/// assert_eq!(refused.json()["error"], "bad");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The HTTP status.
    pub status: u16,
    /// The response body.
    pub body: String,
    /// The answer asks Slack not to deliver it again (`X-Slack-No-Retry: 1`): Slack would
    /// otherwise retry a non-2xx answer three times.
    pub no_retry: bool,
}

impl Sent {
    async fn read(response: reqwest::Response) -> Result<Sent, reqwest::Error> {
        let status = response.status().as_u16();
        let no_retry = response.headers().get("x-slack-no-retry").is_some_and(|v| v == "1");
        Ok(Sent {
            status,
            no_retry,
            body: response.text().await?,
        })
    }

    /// The body as JSON (`Value::Null` if it is not JSON).
    ///
    /// ```
    /// use slack_orchestrator::testkit::{LiveBot, Transport};
    /// use slack_orchestrator::Orchestrator;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder()).await;
    /// let sender = bot.sender().unwrap();
    /// let check = sender.event(&serde_json::json!({"type": "url_verification", "challenge": "c1"})).await;
    /// assert_eq!(check.json(), serde_json::json!({"challenge": "c1"}));
    /// let refused = sender.send("application/json", b"{not json".to_vec(), &[]).await;
    /// assert_eq!(refused.json()["ok"], false, "the refusal says why");
    /// let acked = sender.event(&slack_orchestrator::payloads::direct_message("T1", "U1", "hi", "1.1", "Ev1")).await;
    /// assert_eq!((acked.status, acked.json()), (200, serde_json::Value::Null), "an empty ack is no JSON");
    /// bot.stop().await;
    /// # }
    /// ```
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends signed requests to `POST {bot}/slack/events`.
///
/// ```
/// use slack_orchestrator::testkit::SignedSender;
/// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
///
/// # #[tokio::main]
/// # async fn main() {
/// let orchestrator = Orchestrator::builder().slack(RecordingSlack::new()).build().unwrap();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let url = format!("http://{}", listener.local_addr().unwrap());
/// let ingress = HttpIngress::new(orchestrator, "the-secret").unwrap();
/// tokio::spawn(ingress.serve(listener, std::future::pending()));
///
/// let check = serde_json::json!({"type": "url_verification", "challenge": "c1"});
/// let answered = SignedSender::new(&url, "the-secret").event(&check).await;
/// assert_eq!(answered.json()["challenge"], "c1");
/// // Signed with another secret: refused, and nothing else happens.
/// let forged = SignedSender::new(&url, "not-the-secret").event(&check).await;
/// assert_eq!(forged.status, 401);
/// # }
/// ```
#[derive(Clone)]
pub struct SignedSender {
    url: String,
    secret: String,
    http: reqwest::Client,
}

impl SignedSender {
    /// A sender to the bot at `base_url` (e.g. `http://127.0.0.1:3000`).
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// let check = serde_json::json!({"type": "url_verification", "challenge": "c1"});
    /// assert_eq!(sender.event(&check).await.status, 200);
    /// # }
    /// ```
    pub fn new(base_url: &str, signing_secret: &str) -> Self {
        SignedSender {
            url: format!("{}/slack/events", base_url.trim_end_matches('/')),
            secret: signing_secret.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// An Events API callback (or `url_verification`).
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// use slack_orchestrator::payloads;
    /// let hi = payloads::direct_message("T1", "U1", "hi", "1700000000.000100", "Ev1");
    /// assert_eq!(sender.event(&hi).await.status, 200, "acked, whether a flow takes it or not");
    /// # }
    /// ```
    pub async fn event(&self, body: &Value) -> Sent {
        self.send("application/json", body.to_string().into_bytes(), &[]).await
    }

    /// An interactivity payload (`block_actions`, `view_submission`).
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// use slack_orchestrator::payloads::{block_action, ElementAt};
    /// let at = ElementAt { channel: "D1", message_ts: "1.1", thread_ts: None, block_id: "b" };
    /// let click = block_action("T1", "U1", &at, slack_orchestrator::blocks::button("ok", "OK", "ok"), "1.2");
    /// assert_eq!(sender.interaction(&click).await.status, 200); // as a `payload=` form, like Slack
    /// # }
    /// ```
    pub async fn interaction(&self, payload: &Value) -> Sent {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        self.send("application/x-www-form-urlencoded", form.into_bytes(), &[])
            .await
    }

    /// A slash command form body (see [`payloads::slash_command`](orchestrator_runtime::payloads::slash_command)).
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// use slack_orchestrator::payloads;
    /// let form = payloads::slash_command("T1", "U1", "C1", "/help", "", "1.2");
    /// assert_eq!(sender.command(&form).await.status, 200);
    /// # }
    /// ```
    pub async fn command(&self, form: &str) -> Sent {
        self.send("application/x-www-form-urlencoded", form.as_bytes().to_vec(), &[])
            .await
    }

    /// Slack's retry of an Events API callback: the same body with `X-Slack-Retry-Num`.
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// use slack_orchestrator::payloads;
    /// let hi = payloads::direct_message("T1", "U1", "hi", "1700000000.000100", "Ev1");
    /// assert_eq!(sender.event(&hi).await.status, 200);
    /// assert_eq!(sender.retry(&hi, 1).await.status, 200, "Slack's retry is acked, and runs nothing twice");
    /// # }
    /// ```
    pub async fn retry(&self, body: &Value, attempt: u32) -> Sent {
        let attempt = attempt.to_string();
        let headers = [
            ("x-slack-retry-num", attempt.as_str()),
            ("x-slack-retry-reason", "http_timeout"),
        ];
        self.send("application/json", body.to_string().into_bytes(), &headers)
            .await
    }

    /// One delivery of an Events API callback as Slack makes it: `attempt` 0 is the first,
    /// later ones carry `X-Slack-Retry-Num`. Unlike [`event`](Self::event), a bot that does
    /// not answer (down, restarting) is an `Err`, so a test can deliver again as Slack would.
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// use slack_orchestrator::payloads;
    /// let hi = payloads::direct_message("T1", "U1", "hi", "1700000000.000100", "Ev1");
    /// assert_eq!(sender.deliver(&hi, 0).await.unwrap().status, 200);
    /// let nobody = SignedSender::new("http://127.0.0.1:9", "s3cret"); // a bot that is down
    /// assert!(nobody.deliver(&hi, 1).await.is_err(), "to be delivered again, as Slack would");
    /// # }
    /// ```
    pub async fn deliver(&self, body: &Value, attempt: u32) -> Result<Sent, reqwest::Error> {
        let now = chrono::Utc::now().timestamp();
        let body = body.to_string().into_bytes();
        let attempt = attempt.to_string();
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", now.to_string())
            .header("x-slack-signature", sign(&self.secret, now, &body));
        if attempt != "0" {
            request = request
                .header("x-slack-retry-num", attempt.as_str())
                .header("x-slack-retry-reason", "http_error");
        }
        Sent::read(request.body(body).send().await?).await
    }

    /// Any body, signed now, with extra headers.
    ///
    /// ```
    /// use slack_orchestrator::testkit::SignedSender;
    /// use slack_orchestrator::{HttpIngress, Orchestrator, RecordingSlack};
    /// # #[tokio::main] async fn main() {
    /// let slack = RecordingSlack::new();
    /// let orchestrator = Orchestrator::builder().slack(slack.clone()).build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}", listener.local_addr().unwrap());
    /// tokio::spawn(HttpIngress::new(orchestrator, "s3cret").unwrap().serve(listener, std::future::pending()));
    /// let sender = SignedSender::new(&url, "s3cret");
    /// let refused = sender.send("application/json", b"{not json".to_vec(), &[]).await;
    /// assert_eq!(refused.status, 400);
    /// assert!(refused.no_retry, "the same body would be refused again");
    /// # }
    /// ```
    pub async fn send(&self, content_type: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Sent {
        let now = chrono::Utc::now().timestamp();
        // `resign` signs the body; no signature needs computing here.
        self.send_signed(content_type, body, now, "", headers, true).await
    }

    /// Any body with an explicit timestamp and signature (`resign` signs it properly for
    /// that timestamp; otherwise `signature` is sent as given). For testing refusals.
    ///
    /// ```
    /// use slack_orchestrator::testkit::{LiveBot, Transport};
    /// use slack_orchestrator::Orchestrator;
    /// # #[tokio::main] async fn main() {
    /// let bot = LiveBot::start(Transport::Http, Orchestrator::builder()).await;
    /// let sender = bot.sender().unwrap();
    /// let body = br#"{"type": "url_verification", "challenge": "c1"}"#.to_vec();
    /// let now = chrono::Utc::now().timestamp();
    /// let forged = sender.send_signed("application/json", body.clone(), now, "v0=00ff", &[], false).await;
    /// assert_eq!(forged.status, 401, "a wrong signature");
    /// let signed = sender.send_signed("application/json", body, now, "", &[], true).await;
    /// assert_eq!(signed.status, 200);
    /// bot.stop().await;
    /// # }
    /// ```
    pub async fn send_signed(
        &self,
        content_type: &str,
        body: Vec<u8>,
        timestamp: i64,
        signature: &str,
        headers: &[(&str, &str)],
        resign: bool,
    ) -> Sent {
        let signature = if resign {
            sign(&self.secret, timestamp, &body)
        } else {
            signature.to_owned()
        };
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match request.send().await {
            Ok(response) => Sent::read(response)
                .await
                .unwrap_or_else(|error| panic!("no body: {error}")),
            Err(error) => panic!("the bot did not answer at {}: {error}", self.url),
        }
    }
}
