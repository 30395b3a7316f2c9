//! How a flow id rides along on Slack's interactive elements: block ids of messages the
//! flow sends and the `private_metadata` of modals it opens are prefixed `so:<uuid>:`, so a
//! click or a submission finds its flow even when it arrives outside the conversation.

use uuid::Uuid;

const PREFIX: &str = "so:";
const UUID_LEN: usize = 36;

/// Tags a block id (or modal metadata) with the flow id; `inner` is what the author wrote.
///
/// ```
/// # use orchestrator_core::tag::{tag, untag};
/// let id = uuid::Uuid::nil();
/// let tagged = tag(id, "choices");
/// assert_eq!(untag(&tagged), (Some(id), "choices".to_owned()));
/// ```
pub fn tag(flow_id: Uuid, inner: &str) -> String {
    format!("{PREFIX}{flow_id}:{inner}")
}

/// Splits a possibly tagged string into the flow id and what the author wrote.
/// Untagged input comes back unchanged with no flow id.
///
/// ```
/// # use orchestrator_core::tag::untag;
/// assert_eq!(untag("plain"), (None, "plain".to_owned()));
/// ```
pub fn untag(text: &str) -> (Option<Uuid>, String) {
    let parsed = text.strip_prefix(PREFIX).and_then(|rest| {
        let id = Uuid::parse_str(rest.get(..UUID_LEN)?).ok()?;
        let inner = rest.get(UUID_LEN..)?;
        Some((id, inner.strip_prefix(':').unwrap_or(inner).to_owned()))
    });
    match parsed {
        Some((id, inner)) => (Some(id), inner),
        None => (None, text.to_owned()),
    }
}
