//! A flow record as the database stores see it: the columns they index (conversation,
//! active, version, deadline, times, all times in milliseconds since the epoch) beside the
//! record's JSON, and the received event's columns. Shared by the SQLite, PostgreSQL and
//! Redis stores so that all three index the same things the same way.

use chrono::{DateTime, TimeZone, Utc};
use orchestrator_core::{FlowRecord, Received, StoreError};

/// A record as a row.
pub(crate) struct Row {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) active: bool,
    pub(crate) version: i64,
    /// The deadline, rounded up: a flow claimed at `now` (rounded down) is really due then.
    pub(crate) due_at: Option<i64>,
    pub(crate) updated_at: i64,
    pub(crate) created_at: i64,
    pub(crate) json: String,
}

impl Row {
    pub(crate) fn of(record: &FlowRecord) -> Result<Row, StoreError> {
        Ok(Row {
            id: record.id.to_string(),
            key: record.key.as_str().to_owned(),
            active: record.is_active(),
            version: record.version as i64,
            due_at: record.deadline.filter(|_| record.is_active()).map(millis_ceil),
            updated_at: millis(record.updated_at),
            created_at: millis(record.created_at),
            json: serde_json::to_string(record).map_err(|e| StoreError::Backend(e.to_string()))?,
        })
    }

    /// The conflict a refused insert or update of this row means.
    pub(crate) fn taken(&self) -> StoreError {
        StoreError::Conflict(format!(
            "flow {} exists, or another flow is active in {}",
            self.id, self.key
        ))
    }
}

/// Refuses a write whose new version is not `expected + 1`.
pub(crate) fn check_version(row: &Row, expected: u64) -> Result<(), StoreError> {
    match row.version == expected as i64 + 1 {
        true => Ok(()),
        false => Err(StoreError::Conflict(format!(
            "a write at version {expected} makes version {}, not {}",
            expected + 1,
            row.version
        ))),
    }
}

/// What a compare-and-swap that changed nothing means, given the version stored (if any).
pub(crate) fn lost(row: &Row, expected: u64, stored: Option<i64>) -> StoreError {
    match stored {
        None => StoreError::NotFound(row.id.parse().unwrap_or_default()),
        Some(version) => StoreError::Conflict(format!("flow {} is at version {version}, expected {expected}", row.id)),
    }
}

/// A received event's columns: key, conversation, time and the event as JSON.
pub(crate) struct EventRow {
    pub(crate) key: String,
    pub(crate) conversation: String,
    pub(crate) at: i64,
    pub(crate) json: String,
}

impl EventRow {
    pub(crate) fn of(event: &Received) -> Result<EventRow, StoreError> {
        Ok(EventRow {
            key: event.key.clone(),
            conversation: event.conversation().0,
            at: millis(event.at),
            json: serde_json::to_string(&event.incoming).map_err(|e| StoreError::Backend(e.to_string()))?,
        })
    }
}

/// A record from its JSON.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn decode_record(json: &str) -> Result<FlowRecord, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Backend(format!("a stored record does not decode: {e}")))
}

/// A received event from its columns.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn decode_received(key: String, at: i64, json: &str) -> Result<Received, StoreError> {
    Ok(Received {
        key,
        at: from_millis(at),
        incoming: serde_json::from_str(json)
            .map_err(|e| StoreError::Backend(format!("a stored event does not decode: {e}")))?,
    })
}

/// Milliseconds since the epoch.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Milliseconds since the epoch, rounded up.
pub(crate) fn millis_ceil(at: DateTime<Utc>) -> i64 {
    let ms = at.timestamp_millis();
    match at.timestamp_subsec_nanos() % 1_000_000 {
        0 => ms,
        _ => ms + 1,
    }
}

/// The time `ms` milliseconds after the epoch.
pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
