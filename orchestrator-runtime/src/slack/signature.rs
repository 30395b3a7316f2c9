//! Slack request signing: `X-Slack-Signature = v0=` + hex(HMAC-SHA256(signing secret,
//! `v0:{X-Slack-Request-Timestamp}:{raw body}`)), compared in constant time
//! (`Mac::verify_slice`), with requests older or newer than five minutes refused.
//!
//! Written on the `hmac` and `sha2` crates rather than slack-morphism's verifier so the
//! same code signs the test kit's requests and verifies the bot's, on raw bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
///
/// ```
/// use orchestrator_runtime::signature::{sign, verify, MAX_SKEW_SECS};
/// let (body, sent_at) = (br#"{"type":"event_callback"}"#, 1_700_000_000);
/// let signature = sign("secret", sent_at, body);
/// let header = |t: i64| Some(t.to_string());
/// assert!(verify("secret", header(sent_at).as_deref(), Some(&signature), body, sent_at + MAX_SKEW_SECS).is_ok());
/// assert!(verify("secret", header(sent_at).as_deref(), Some(&signature), body, sent_at + MAX_SKEW_SECS + 1).is_err(), "a replay");
/// ```
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// Why a request's signature was refused.
///
/// ```
/// use orchestrator_runtime::signature::{sign, verify, SignatureError, MAX_SKEW_SECS};
/// let (body, now) = (br#"{"type":"event_callback"}"#, 1_700_000_000);
/// let signature = sign("secret", now, body);
/// let stamp = now.to_string();
/// assert_eq!(verify("secret", Some(&stamp), Some(&signature), body, now), Ok(()));
/// assert_eq!(verify("other", Some(&stamp), Some(&signature), body, now), Err(SignatureError::Mismatch));
/// let later = now + MAX_SKEW_SECS + 1; // a replay six minutes on
/// assert!(matches!(verify("secret", Some(&stamp), Some(&signature), body, later), Err(SignatureError::Stale(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `X-Slack-Request-Timestamp` or `X-Slack-Signature` is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// The timestamp is not a number of seconds.
    #[error("malformed X-Slack-Request-Timestamp")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now (a replay, or a wrong clock).
    #[error("stale request: timestamp is {0} s from now")]
    Stale(i64),
    /// The signature does not match.
    #[error("signature mismatch")]
    Mismatch,
}

/// Verifies Slack's signature on a request body received at `now` (Unix seconds).
///
/// ```
/// use orchestrator_runtime::signature::{sign, verify};
/// let signature = sign("secret", 1_700_000_000, b"body");
/// assert!(verify("secret", Some("1700000000"), Some(&signature), b"body", 1_700_000_010).is_ok());
/// assert!(verify("other", Some("1700000000"), Some(&signature), b"body", 1_700_000_010).is_err());
/// ```
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Missing("X-Slack-Request-Timestamp"))?;
    let signature = signature.ok_or(SignatureError::Missing("X-Slack-Signature"))?;
    let seconds: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    let skew = seconds - now;
    if skew.abs() > MAX_SKEW_SECS {
        return Err(SignatureError::Stale(skew));
    }
    let expected = signature
        .strip_prefix("v0=")
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(SignatureError::Mismatch)?;
    mac(secret, timestamp.trim(), body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Slack-Signature` value for a body sent at `timestamp` (Unix seconds).
///
/// ```
/// let signature = orchestrator_runtime::signature::sign("secret", 1_700_000_000, b"token=x");
/// assert!(signature.starts_with("v0=") && signature.len() == 3 + 64);
/// ```
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(mac(secret, &timestamp.to_string(), body).finalize().into_bytes())
    )
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of Slack's "Verifying requests from Slack" documentation.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: i64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn matches_slacks_worked_example() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        assert_eq!(
            verify(
                SECRET,
                Some("1531420618"),
                Some(SIGNATURE),
                BODY.as_bytes(),
                TIMESTAMP + 60
            ),
            Ok(())
        );
    }

    #[test]
    fn refuses_tampering_staleness_and_missing_headers() {
        let body = BODY.as_bytes();
        let check = |ts: Option<&str>, sig: Option<&str>, body: &[u8], now: i64| verify(SECRET, ts, sig, body, now);
        assert_eq!(
            check(Some("1531420618"), Some(SIGNATURE), b"token=changed", TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some("1531420618"), Some(SIGNATURE), body, TIMESTAMP + 301),
            Err(SignatureError::Stale(-301))
        );
        assert_eq!(
            check(Some("1531420618"), Some(SIGNATURE), body, TIMESTAMP - 301),
            Err(SignatureError::Stale(301))
        );
        assert_eq!(
            check(None, Some(SIGNATURE), body, TIMESTAMP),
            Err(SignatureError::Missing("X-Slack-Request-Timestamp"))
        );
        assert_eq!(
            check(Some("1531420618"), None, body, TIMESTAMP),
            Err(SignatureError::Missing("X-Slack-Signature"))
        );
        assert_eq!(
            check(Some("soon"), Some(SIGNATURE), body, TIMESTAMP),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            check(Some("1531420618"), Some("v0=zz"), body, TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some("1531420618"), Some("v1=00"), body, TIMESTAMP),
            Err(SignatureError::Mismatch)
        );
    }
}
