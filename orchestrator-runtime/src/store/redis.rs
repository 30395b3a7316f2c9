//! [`RedisStore`]: every replica of a bot on one Redis (or a Redis-compatible server).
//!
//! - **Every operation is one Lua script or one command**, so each is atomic on the server
//!   without WATCH/MULTI round trips: the compare-and-swap checks the version and writes the
//!   record, its indexes and its settled event together; claims take the due end of a
//!   sorted set and lease what they take in the same script.
//! - **Layout**, under a prefix (`?prefix=NAME`, default `slack-orchestrator`) written as a
//!   hash tag `{NAME}:` so that all of one bot's keys live in one slot (Redis Cluster runs
//!   the scripts on one node): `flow:ID` (hash: version, conversation, active, record JSON,
//!   times), `active:CONVERSATION` (the active flow's id), sorted sets `due` (deadline or
//!   lease end), `created`, `actives`, `finished`; `ev:KEY` (hash: settled, received at,
//!   lease, conversation, event JSON), sorted sets `leases` (unsettled events by lease end),
//!   `conv:CONVERSATION` (unsettled events of a conversation) and `settled` (for purging).
//! - **Durability is Redis's:** with `appendonly yes` and `appendfsync always` an acked
//!   event survives a crash of Redis; with `everysec` up to a second of writes can be lost;
//!   without persistence (as a cache is often run) a restart of Redis loses everything. A
//!   failover to a replica that had not received the last writes loses those writes too
//!   (replication is asynchronous). PostgreSQL has neither gap; Redis answers faster.
//! - **Connection:** one multiplexed connection (redis's `ConnectionManager`), which
//!   pipelines concurrent commands and reconnects after a failure.

use super::row::{check_version, decode_received, decode_record, from_millis, lost, millis, EventRow, Row};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orchestrator_core::{ConversationKey, FlowFilter, FlowRecord, Purged, Receipt, Received, Store, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

/// The prefix when the URL names none.
const DEFAULT_PREFIX: &str = "slack-orchestrator";
/// How long connecting may take.
const CONNECT: Duration = Duration::from_secs(5);
/// How many flows or events one purge script drops at most (a script blocks the server).
const PURGE_BATCH: usize = 1000;

/// Settles event `key` (received at `at` if it was never received), shared by the scripts
/// that settle.
const SETTLE_FN: &str = r"
local function settle(p, key, at)
  local ek = p .. 'ev:' .. key
  local conv = redis.call('HGET', ek, 'c')
  if conv then redis.call('ZREM', p .. 'conv:' .. conv, key) end
  if redis.call('HEXISTS', ek, 'at') == 0 then redis.call('HSET', ek, 'at', at) end
  redis.call('HSET', ek, 's', '1')
  redis.call('HDEL', ek, 'i', 'c', 'l')
  redis.call('ZREM', p .. 'leases', key)
  redis.call('ZADD', p .. 'settled', redis.call('HGET', ek, 'at'), key)
end
";

/// ARGV: prefix, id, expected, version, conversation, active (1/0), due ('' for none),
/// created, updated, record, event ('' for none).
static COMMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{SETTLE_FN}{}",
        r"
local p, id, conv, active = ARGV[1], ARGV[2], ARGV[5], ARGV[6]
local fk = p .. 'flow:' .. id
local expected = tonumber(ARGV[3])
local current = redis.call('HGET', fk, 'v')
if expected == 0 then
  if current then return {'taken'} end
elseif not current then
  return {'missing'}
elseif tonumber(current) ~= expected then
  return {'stale', current}
end
local ak = p .. 'active:' .. conv
if active == '1' then
  local holder = redis.call('GET', ak)
  if holder and holder ~= id then return {'taken'} end
end
local old = redis.call('HGET', fk, 'k')
if old and old ~= conv and redis.call('GET', p .. 'active:' .. old) == id then
  redis.call('DEL', p .. 'active:' .. old)
end
redis.call('HSET', fk, 'v', ARGV[4], 'k', conv, 'a', active, 'c', ARGV[8], 'u', ARGV[9], 'r', ARGV[10])
redis.call('ZADD', p .. 'created', ARGV[8], id)
if active == '1' then
  redis.call('SET', ak, id)
  redis.call('ZADD', p .. 'actives', ARGV[8], id)
  redis.call('ZREM', p .. 'finished', id)
else
  if redis.call('GET', ak) == id then redis.call('DEL', ak) end
  redis.call('ZREM', p .. 'actives', id)
  redis.call('ZADD', p .. 'finished', ARGV[9], id)
end
if ARGV[7] ~= '' then redis.call('ZADD', p .. 'due', ARGV[7], id) else redis.call('ZREM', p .. 'due', id) end
if ARGV[11] ~= '' then settle(p, ARGV[11], ARGV[9]) end
return {'ok'}
"
    ))
});

/// ARGV: prefix, id. 1 if deleted.
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, id = ARGV[1], ARGV[2]
local fk = p .. 'flow:' .. id
local conv = redis.call('HGET', fk, 'k')
if not conv then return 0 end
if redis.call('GET', p .. 'active:' .. conv) == id then redis.call('DEL', p .. 'active:' .. conv) end
redis.call('DEL', fk)
for _, index in ipairs({'created', 'actives', 'finished', 'due'}) do redis.call('ZREM', p .. index, id) end
return 1
",
    )
});

/// ARGV: prefix, conversation. The active flow's record, or nil.
static ACTIVE_FOR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('GET', ARGV[1] .. 'active:' .. ARGV[2])
if not id then return false end
return redis.call('HGET', ARGV[1] .. 'flow:' .. id, 'r')
",
    )
});

/// How many records a listing reads from Redis at a time.
const LIST_PAGE: usize = 500;

/// ARGV: prefix, index ('created' or 'actives'), start and stop ranks (newest first). How
/// many ids the range held, then their records.
static LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ids = redis.call('ZREVRANGE', ARGV[1] .. ARGV[2], ARGV[3], ARGV[4])
local out = {tostring(#ids)}
for _, id in ipairs(ids) do
  local r = redis.call('HGET', ARGV[1] .. 'flow:' .. id, 'r')
  if r then table.insert(out, r) end
end
return out
",
    )
});

/// ARGV: prefix, now, lease until, limit. The claimed records.
static CLAIM_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'due', '-inf', ARGV[2], 'LIMIT', 0, ARGV[4])) do
  redis.call('ZADD', p .. 'due', ARGV[3], id)
  local r = redis.call('HGET', p .. 'flow:' .. id, 'r')
  if r then table.insert(out, r) end
end
return out
",
    )
});

/// ARGV: prefix, key, conversation, received at, lease until, event. first (new, and no
/// other event of its conversation unsettled), new, `later:MS` (new, stored at MS after
/// an unsettled event of its conversation timed later), pending, busy or settled. A new
/// event goes after its conversation's unsettled ones (see [`Store::receive`]).
static RECEIVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, key = ARGV[1], ARGV[2]
local ek = p .. 'ev:' .. key
local settled = redis.call('HGET', ek, 's')
if not settled then
  local conv = p .. 'conv:' .. ARGV[3]
  local at = ARGV[4]
  local last = redis.call('ZRANGE', conv, -1, -1, 'WITHSCORES')
  if #last > 0 and tonumber(last[2]) >= tonumber(at) then at = string.format('%.0f', tonumber(last[2]) + 1) end
  redis.call('HSET', ek, 's', '0', 'at', at, 'l', ARGV[5], 'c', ARGV[3], 'i', ARGV[6])
  redis.call('ZADD', p .. 'leases', ARGV[5], key)
  redis.call('ZADD', conv, at, key)
  if #last == 0 then return 'first' end
  if at ~= ARGV[4] then return 'later:' .. at end
  return 'new'
end
if settled == '1' then return 'settled' end
if tonumber(redis.call('HGET', ek, 'l')) > tonumber(ARGV[4]) then return 'busy' end
redis.call('HSET', ek, 'l', ARGV[5])
redis.call('ZADD', p .. 'leases', ARGV[5], key)
return 'pending'
",
    )
});

/// ARGV: prefix, flow id, held until, lease until. 1 if renewed, 0 if no longer held so.
static RENEW_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local due = redis.call('ZSCORE', ARGV[1] .. 'due', ARGV[2])
if not due or tonumber(due) ~= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', ARGV[1] .. 'due', ARGV[4], ARGV[2])
return 1
",
    )
});

/// ARGV: prefix, flow id, now, lease until. 1 if claimed, 0 if not due or held.
static CLAIM_DEADLINE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local due = redis.call('ZSCORE', ARGV[1] .. 'due', ARGV[2])
if not due or tonumber(due) > tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', ARGV[1] .. 'due', ARGV[4], ARGV[2])
return 1
",
    )
});

/// ARGV: prefix, key, now, lease until. 1 if renewed, 0 if settled, unknown or ended.
static RENEW_LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p, key = ARGV[1], ARGV[2]
local ek = p .. 'ev:' .. key
local held = redis.call('HMGET', ek, 's', 'l')
if held[1] ~= '0' or tonumber(held[2]) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', ek, 'l', ARGV[4])
redis.call('ZADD', p .. 'leases', ARGV[4], key)
return 1
",
    )
});

/// ARGV: prefix, key, at.
static SETTLE: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{SETTLE_FN}settle(ARGV[1], ARGV[2], ARGV[3])\nreturn 1")));

/// ARGV: prefix, conversation. {key, received at, event, lease until} or nil.
static OLDEST_UNSETTLED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local first = redis.call('ZRANGE', ARGV[1] .. 'conv:' .. ARGV[2], 0, 0)
if #first == 0 then return false end
local ek = ARGV[1] .. 'ev:' .. first[1]
return {first[1], redis.call('HGET', ek, 'at'), redis.call('HGET', ek, 'i'), redis.call('HGET', ek, 'l')}
",
    )
});

/// ARGV: prefix, now, lease until, limit. {key, received at, event} of each claimed event.
static CLAIM_PENDING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p = ARGV[1]
local out = {}
for _, key in ipairs(redis.call('ZRANGEBYSCORE', p .. 'leases', '-inf', ARGV[2], 'LIMIT', 0, ARGV[4])) do
  local ek = p .. 'ev:' .. key
  redis.call('HSET', ek, 'l', ARGV[3])
  redis.call('ZADD', p .. 'leases', ARGV[3], key)
  table.insert(out, {key, redis.call('HGET', ek, 'at'), redis.call('HGET', ek, 'i')})
end
return out
",
    )
});

/// ARGV: prefix, flows before, events before, batch. {flows dropped, events dropped}.
static PURGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', p .. 'finished', '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[4])
for _, id in ipairs(ids) do
  redis.call('DEL', p .. 'flow:' .. id)
  redis.call('ZREM', p .. 'finished', id)
  redis.call('ZREM', p .. 'created', id)
end
local keys = redis.call('ZRANGEBYSCORE', p .. 'settled', '-inf', '(' .. ARGV[3], 'LIMIT', 0, ARGV[4])
for _, key in ipairs(keys) do
  redis.call('DEL', p .. 'ev:' .. key)
  redis.call('ZREM', p .. 'settled', key)
end
return {#ids, #keys}
",
    )
});

/// A [`Store`] in Redis: `redis://HOST:PORT/DB?prefix=NAME`.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = orchestrator_runtime::store::open("redis://127.0.0.1:6379/0?prefix=bot").await.unwrap();
/// orchestrator_testkit::check_store(&*store, &*store).await;
/// # }
/// ```
pub struct RedisStore {
    connection: ConnectionManager,
    /// `{NAME}:`, the start of every key.
    prefix: String,
}

impl RedisStore {
    /// Connects to the server a `redis://` URL names (`?prefix=NAME` is ours).
    pub(crate) async fn open(url: &str) -> Result<RedisStore, StoreError> {
        let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Backend(format!("not a URL: {e}")))?;
        let mut prefix = DEFAULT_PREFIX.to_owned();
        let rest: Vec<(String, String)> = parsed
            .query_pairs()
            .filter_map(|(key, value)| match &*key {
                "prefix" => {
                    prefix = value.into_owned();
                    None
                }
                _ => Some((key.into_owned(), value.into_owned())),
            })
            .collect();
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            return Err(StoreError::Backend(format!(
                "prefix `{prefix}`: use a name without braces"
            )));
        }
        parsed.set_query(None);
        if !rest.is_empty() {
            parsed.query_pairs_mut().extend_pairs(rest);
        }
        let client = redis::Client::open(parsed.as_str()).map_err(backend)?;
        // One plain connection first: an unreachable server is an error at start, not a
        // manager retrying with back-off for minutes.
        let mut probe = tokio::time::timeout(CONNECT, client.get_multiplexed_async_connection())
            .await
            .map_err(|_| StoreError::Backend(format!("Redis: no answer within {CONNECT:?}")))?
            .map_err(backend)?;
        let _: String = redis::cmd("PING").query_async(&mut probe).await.map_err(backend)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT)
            .set_response_timeout(Duration::from_secs(10));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(backend)?;
        Ok(RedisStore {
            connection,
            prefix: format!("{{{prefix}}}:"),
        })
    }

    /// Runs a script with the prefix as its first argument (and a key in the bot's slot, so
    /// that a cluster client routes it there).
    async fn run<T: redis::FromRedisValue>(&self, script: &Script, args: &[&dyn ToArg]) -> Result<T, StoreError> {
        let mut invocation = script.key(format!("{}due", self.prefix));
        invocation.arg(&self.prefix);
        for arg in args {
            arg.push(&mut invocation);
        }
        invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend)
    }

    /// Runs `script` (`RENEW_CLAIM`, `CLAIM_DEADLINE`), which moves flow `id`'s entry in
    /// the deadlines to `lease_until` if it meets the script's test against `than`.
    async fn move_due(
        &self,
        script: &Script,
        id: Uuid,
        than: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let moved: i64 = self
            .run(script, &[&id.to_string(), &millis(than), &millis(lease_until)])
            .await?;
        Ok(moved == 1)
    }
}

/// An argument of a script (numbers and text alike).
trait ToArg: Sync {
    fn push(&self, invocation: &mut redis::ScriptInvocation<'_>);
}

impl<T: redis::ToRedisArgs + Sync> ToArg for T {
    fn push(&self, invocation: &mut redis::ScriptInvocation<'_>) {
        invocation.arg(self);
    }
}

fn backend(error: redis::RedisError) -> StoreError {
    StoreError::Backend(format!("Redis: {error}"))
}

/// A number the scripts wrote as text.
fn number(text: &str) -> Result<i64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Backend(format!("Redis: `{text}` is not a number")))
}

#[async_trait]
impl Store for RedisStore {
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
        let row = Row::of(record)?;
        check_version(&row, expected)?;
        let due = row.due_at.map(|d| d.to_string()).unwrap_or_default();
        let active = if row.active { "1" } else { "0" };
        let args: [&dyn ToArg; 10] = [
            &row.id,
            &expected,
            &row.version,
            &row.key,
            &active,
            &due,
            &row.created_at,
            &row.updated_at,
            &row.json,
            &event.unwrap_or_default(),
        ];
        let answer: Vec<String> = self.run(&COMMIT, &args).await?;
        match answer.first().map(String::as_str) {
            Some("ok") => Ok(()),
            Some("taken") => Err(row.taken()),
            Some("missing") => Err(lost(&row, expected, None)),
            Some("stale") => Err(lost(&row, expected, Some(number(&answer[1])?))),
            other => Err(StoreError::Backend(format!("Redis: unexpected answer {other:?}"))),
        }
    }

    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        let json: Option<String> = redis::cmd("HGET")
            .arg(format!("{}flow:{id}", self.prefix))
            .arg("r")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        json.as_deref().map(decode_record).transpose()
    }

    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        let json: Option<String> = self.run(&ACTIVE_FOR, &[&key.as_str()]).await?;
        json.as_deref().map(decode_record).transpose()
    }

    async fn list_where(&self, filter: &FlowFilter, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        // Redis cannot look into the records' JSON without a script reading them all while
        // every other client waits, so the records are read in pages, newest first, and the
        // filter is applied here.
        let index = if filter.active_only { "actives" } else { "created" };
        let narrowed = filter.user.is_some() || filter.flow.is_some();
        let mut found: Vec<FlowRecord> = Vec::new();
        let mut start = 0usize;
        while found.len() < limit {
            // Unfiltered, the page is what is still missing.
            let size = match narrowed {
                true => LIST_PAGE,
                false => (limit - found.len()).min(LIST_PAGE),
            };
            let stop = start + size - 1;
            let page: Vec<String> = self.run(&LIST, &[&index, &start, &stop]).await?;
            let Some((read, records)) = page.split_first() else {
                break;
            };
            for json in records {
                let record = decode_record(json)?;
                if filter.keeps(&record) && found.len() < limit {
                    found.push(record);
                }
            }
            if read.parse::<usize>().unwrap_or(0) < size {
                break; // the index ends here
            }
            start = stop + 1;
        }
        Ok(found)
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let deleted: i64 = self.run(&DELETE, &[&id.to_string()]).await?;
        Ok(deleted == 1)
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FlowRecord>, StoreError> {
        let records: Vec<String> = self
            .run(&CLAIM_DUE, &[&millis(now), &millis(lease_until), &limit])
            .await?;
        let mut claimed = records
            .iter()
            .map(|json| decode_record(json))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|r| r.deadline);
        Ok(claimed)
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first: Vec<(String, i64)> = redis::cmd("ZRANGE")
            .arg(format!("{}due", self.prefix))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        Ok(first.first().map(|(_, due)| from_millis(*due)))
    }

    async fn receive(&self, event: &Received, lease_until: DateTime<Utc>) -> Result<Receipt, StoreError> {
        let row = EventRow::of(event)?;
        let args: [&dyn ToArg; 5] = [&row.key, &row.conversation, &row.at, &millis(lease_until), &row.json];
        let answer: String = self.run(&RECEIVE, &args).await?;
        Ok(match answer.as_str() {
            "new" => Receipt::New,
            "first" => Receipt::NewFirst,
            "pending" => Receipt::Pending,
            "settled" => Receipt::Settled,
            "busy" => Receipt::Busy,
            other => match other.strip_prefix("later:").and_then(|at| at.parse().ok()) {
                Some(at) => Receipt::Later(from_millis(at)),
                None => {
                    return Err(StoreError::Backend(format!(
                        "Redis: unexpected receive answer `{other}`"
                    )))
                }
            },
        })
    }

    async fn renew_claim(
        &self,
        id: Uuid,
        held_until: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.move_due(&RENEW_CLAIM, id, held_until, lease_until).await
    }

    async fn claim_deadline(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.move_due(&CLAIM_DEADLINE, id, now, lease_until).await
    }

    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let renewed: i64 = self
            .run(&RENEW_LEASE, &[&key, &millis(now), &millis(lease_until)])
            .await?;
        Ok(renewed == 1)
    }

    async fn settle(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = self.run(&SETTLE, &[&key, &millis(Utc::now())]).await?;
        Ok(())
    }

    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError> {
        let found: Option<(String, String, String, String)> =
            self.run(&OLDEST_UNSETTLED, &[&conversation.as_str()]).await?;
        found
            .filter(|(key, ..)| unless != Some(key.as_str()))
            .map(|(key, at, json, lease)| {
                Ok((decode_received(key, number(&at)?, &json)?, from_millis(number(&lease)?)))
            })
            .transpose()
    }

    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Received>, StoreError> {
        let found: Vec<(String, String, String)> = self
            .run(&CLAIM_PENDING, &[&millis(now), &millis(lease_until), &limit])
            .await?;
        let mut claimed = found
            .into_iter()
            .map(|(key, at, json)| decode_received(key, number(&at)?, &json))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
        Ok(claimed)
    }

    async fn purge(&self, flows_before: DateTime<Utc>, events_before: DateTime<Utc>) -> Result<Purged, StoreError> {
        let mut purged = Purged::default();
        loop {
            let (flows, events): (u64, u64) = self
                .run(&PURGE, &[&millis(flows_before), &millis(events_before), &PURGE_BATCH])
                .await?;
            purged.flows += flows;
            purged.events += events;
            if flows < PURGE_BATCH as u64 && events < PURGE_BATCH as u64 {
                return Ok(purged);
            }
        }
    }
}
