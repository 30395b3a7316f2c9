//! [`Places`]: where Slack said the bot's messages are (the root of each one's thread, and
//! the root's post tag), remembered so that more reactions to one message ask Slack once
//! (`Orchestrator::reaction_conversation`). A message never moves to another thread and
//! its tag never changes, so what Slack said stays true; which flow is active there is
//! read from the store every time.

use orchestrator_core::PostTag;
use std::collections::HashMap;
use std::sync::Mutex;

/// How many messages are remembered; the table starts over when it is full (a bot whose
/// users react to this many of its messages asks Slack again).
const LIMIT: usize = 10_000;

/// Where a message is: its thread's root (its own `ts` at the top), and the root's tag if
/// a flow posted it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Place {
    pub(crate) root: String,
    pub(crate) tag: Option<PostTag>,
}

/// The places Slack told, by channel and message `ts`.
#[derive(Default)]
pub(crate) struct Places {
    known: Mutex<HashMap<String, Place>>,
}

impl Places {
    /// Where message `ts` of `channel` is, if Slack said it before.
    pub(crate) fn get(&self, channel: &str, ts: &str) -> Option<Place> {
        self.lock().get(&key(channel, ts)).cloned()
    }

    /// Remembers where message `ts` of `channel` is.
    pub(crate) fn remember(&self, channel: &str, ts: &str, place: Place) {
        let mut known = self.lock();
        if known.len() >= LIMIT {
            known.clear();
        }
        known.insert(key(channel, ts), place);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Place>> {
        // Each use reads or inserts once, so a poisoned table is still a consistent one.
        self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn key(channel: &str, ts: &str) -> String {
    format!("{channel}/{ts}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_remembered_by_channel_and_ts_and_the_table_starts_over_when_full() {
        let places = Places::default();
        let place = Place {
            root: "1.0".into(),
            tag: None,
        };
        places.remember("C1", "1.5", place.clone());
        assert_eq!(places.get("C1", "1.5"), Some(place.clone()));
        assert_eq!(places.get("C2", "1.5"), None, "another channel's message");
        for n in 0..LIMIT {
            places.remember("C9", &n.to_string(), place.clone());
        }
        assert_eq!(places.get("C1", "1.5"), None, "forgotten when the table filled up");
        assert!(places.lock().len() <= LIMIT);
    }
}
