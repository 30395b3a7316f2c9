//! [`PostgresStore`]: one PostgreSQL database shared by every replica of a bot.
//!
//! - **tokio-postgres, not sqlx.** Every operation of the contract is one SQL statement
//!   (a compare-and-swap that also settles its event is one `WITH … UPDATE … INSERT`), so
//!   no operation needs a transaction held across round trips. tokio-postgres pipelines the
//!   statements of concurrent tasks on one connection, so a handful of shared connections
//!   carry all the load without a pool handing out connections one task at a time; it also
//!   keeps sqlx's macro and runtime stack out of every bot's build (the same reasons as the
//!   SQLite store's rusqlite; figures in the scale-out issue's closing note).
//! - **The contract in the database:** the version compare-and-swap is the `WHERE version
//!   = $n` of one `UPDATE`; one active flow per conversation is a partial unique index; due
//!   deadlines and abandoned events are claimed with `FOR UPDATE SKIP LOCKED`, so two
//!   replicas never take the same one; a received event is leased with one conditional
//!   `UPDATE`. Receiving is one call of a PL/pgSQL function (`receive_event`, the second
//!   migration): it takes an advisory lock on the event's conversation and then inserts,
//!   so the receives of one conversation go one at a time and each sees the ones before it
//!   (one statement alone reads what was committed when it began: two replicas inserting
//!   events of one conversation at once each missed the other's, and both went first).
//! - **Schema:** tables in the schema the URL names (`?schema=NAME`, default `public`),
//!   created on first use; migrations are embedded, applied at open under an advisory lock
//!   (replicas starting together apply them once), and a database from a newer schema is
//!   refused with a clear error.
//! - **Connections:** `?connections=N` (default 4), each reconnected on its next use after
//!   it broke.

use super::row::{check_version, decode_received, decode_record, from_millis, lost, millis, EventRow, Row};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orchestrator_core::{ConversationKey, FlowFilter, FlowRecord, Purged, Receipt, Received, Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Statement};
use uuid::Uuid;

/// The schema, one migration per version; `MIGRATIONS[n]` brings version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        conv_key TEXT NOT NULL,
        active BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        due_at BIGINT,
        updated_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE UNIQUE INDEX flows_active_conversation ON flows(conv_key) WHERE active;
    CREATE INDEX flows_due ON flows(due_at) WHERE due_at IS NOT NULL;
    CREATE INDEX flows_finished ON flows(updated_at) WHERE NOT active;
    CREATE INDEX flows_created ON flows(created_at);
    CREATE TABLE events (
        key TEXT PRIMARY KEY,
        conv_key TEXT,
        received_at BIGINT NOT NULL,
        lease_until BIGINT NOT NULL,
        settled BOOLEAN NOT NULL,
        incoming TEXT
    );
    CREATE INDEX events_pending ON events(received_at) WHERE NOT settled;
    CREATE INDEX events_unsettled_conversation ON events(conv_key, received_at, key) WHERE NOT settled;
    CREATE INDEX events_settled ON events(received_at) WHERE settled;
",
    "
    -- Receives an event (see `Q::Receive`). One receive per conversation at a time (an
    -- advisory lock on the conversation, held to the end of the transaction), and each
    -- statement here reads what was committed before it began: so a new event sees every
    -- event stored before it, also one whose insert began later but finished first, and goes
    -- after it. One statement alone could not: it reads what was committed when it began.
    CREATE FUNCTION receive_event(p_key TEXT, p_conv TEXT, p_at BIGINT, p_lease BIGINT, p_incoming TEXT,
        OUT inserted BOOLEAN, OUT taken BOOLEAN, OUT settled BOOLEAN, OUT alone BOOLEAN, OUT stored_at BIGINT)
    LANGUAGE plpgsql AS $$
    BEGIN
        -- Keyed by schema too: bots sharing a database do not wait for each other.
        PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || ' ' || p_conv, 0));
        WITH unsettled AS (
            SELECT max(e.received_at) AS latest FROM events e WHERE e.conv_key = p_conv AND NOT e.settled)
        INSERT INTO events (key, conv_key, received_at, lease_until, settled, incoming)
        SELECT p_key, p_conv, GREATEST(p_at, latest + 1), p_lease, FALSE, p_incoming FROM unsettled
        ON CONFLICT (key) DO NOTHING
        RETURNING received_at, (SELECT latest IS NULL FROM unsettled) INTO stored_at, alone;
        inserted := FOUND;
        taken := FALSE;
        settled := FALSE;
        IF NOT inserted THEN
            UPDATE events e SET lease_until = p_lease
            WHERE e.key = p_key AND NOT e.settled AND e.lease_until <= p_at;
            taken := FOUND;
            settled := coalesce((SELECT e.settled FROM events e WHERE e.key = p_key), FALSE);
        END IF;
    END $$;
",
];

/// The statements of the contract, prepared once per connection.
#[derive(Clone, Copy)]
enum Q {
    Insert,
    Update,
    Load,
    ActiveFor,
    List,
    Delete,
    ClaimDue,
    NextDeadline,
    Receive,
    Settle,
    OldestUnsettled,
    ClaimPending,
    RenewLease,
    RenewClaim,
    ClaimDeadline,
    PurgeFlows,
    PurgeEvents,
}

impl Q {
    const ALL: [Q; 17] = [
        Q::Insert,
        Q::Update,
        Q::Load,
        Q::ActiveFor,
        Q::List,
        Q::Delete,
        Q::ClaimDue,
        Q::NextDeadline,
        Q::Receive,
        Q::Settle,
        Q::OldestUnsettled,
        Q::ClaimPending,
        Q::RenewLease,
        Q::RenewClaim,
        Q::ClaimDeadline,
        Q::PurgeFlows,
        Q::PurgeEvents,
    ];

    fn sql(self) -> &'static str {
        match self {
            Q::Insert => {
                "WITH written AS (
            INSERT INTO flows (id, conv_key, active, version, due_at, updated_at, created_at, record)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING 1),
        settled AS (
            INSERT INTO events (key, received_at, lease_until, settled)
            SELECT $9, $6, 0, TRUE WHERE $9::TEXT IS NOT NULL AND EXISTS (SELECT 1 FROM written)
            ON CONFLICT (key) DO UPDATE SET settled = TRUE, incoming = NULL)
        SELECT (SELECT count(*) FROM written), NULL::BIGINT"
            }
            Q::Update => {
                "WITH written AS (
            UPDATE flows SET conv_key = $2, active = $3, version = $4, due_at = $5, updated_at = $6, record = $7
            WHERE id = $1 AND version = $8 RETURNING 1),
        settled AS (
            INSERT INTO events (key, received_at, lease_until, settled)
            SELECT $9, $6, 0, TRUE WHERE $9::TEXT IS NOT NULL AND EXISTS (SELECT 1 FROM written)
            ON CONFLICT (key) DO UPDATE SET settled = TRUE, incoming = NULL)
        SELECT (SELECT count(*) FROM written), (SELECT version FROM flows WHERE id = $1)"
            }
            Q::Load => "SELECT record FROM flows WHERE id = $1",
            Q::ActiveFor => "SELECT record FROM flows WHERE conv_key = $1 AND active",
            // The filters of `list_where` (active only, a user's, a flow's) where the
            // records are, so that a user's flow is found under any number of newer ones.
            Q::List => {
                "SELECT record FROM flows WHERE (active OR NOT $1)
                   AND ($2::text IS NULL OR record::json -> 'context' ->> 'user_id' = $2)
                   AND ($3::text IS NULL OR record::json ->> 'flow' = $3)
                 ORDER BY created_at DESC LIMIT $4"
            }
            Q::Delete => "DELETE FROM flows WHERE id = $1",
            Q::ClaimDue => {
                "UPDATE flows SET due_at = $2 WHERE id IN (
            SELECT id FROM flows WHERE due_at <= $1 ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING record"
            }
            Q::NextDeadline => "SELECT min(due_at) FROM flows WHERE due_at IS NOT NULL",
            // NewFirst if inserted with nothing else of its conversation unsettled, New if
            // inserted after such events; Pending if it was there unsettled with its lease
            // ended (taken now); otherwise Settled or Busy (also when another delivery
            // inserted it a moment ago). In a function: see the second migration.
            Q::Receive => "SELECT inserted, taken, settled, alone, stored_at FROM receive_event($1, $2, $3, $4, $5)",
            Q::Settle => {
                "INSERT INTO events (key, received_at, lease_until, settled) VALUES ($1, $2, 0, TRUE)
        ON CONFLICT (key) DO UPDATE SET settled = TRUE, incoming = NULL"
            }
            Q::OldestUnsettled => {
                "SELECT key, received_at, incoming, lease_until FROM events
        WHERE conv_key = $1 AND NOT settled ORDER BY received_at, key LIMIT 1"
            }
            Q::ClaimPending => {
                "UPDATE events SET lease_until = $2 WHERE key IN (
            SELECT key FROM events WHERE NOT settled AND lease_until <= $1
            ORDER BY received_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING key, received_at, incoming"
            }
            Q::RenewLease => "UPDATE events SET lease_until = $3 WHERE key = $1 AND NOT settled AND lease_until > $2",
            Q::RenewClaim => "UPDATE flows SET due_at = $3 WHERE id = $1 AND due_at = $2",
            Q::ClaimDeadline => "UPDATE flows SET due_at = $3 WHERE id = $1 AND due_at <= $2",
            Q::PurgeFlows => "DELETE FROM flows WHERE NOT active AND updated_at < $1",
            Q::PurgeEvents => "DELETE FROM events WHERE settled AND received_at < $1",
        }
    }
}

/// How many connections by default.
const CONNECTIONS: usize = 4;

/// One connection with its prepared statements.
struct Connection {
    client: Client,
    /// [`Q::ALL`], prepared, in that order.
    prepared: Vec<Statement>,
}

impl Connection {
    fn sql(&self, q: Q) -> &Statement {
        &self.prepared[q as usize]
    }
}

/// Where and how to connect: the server's own URL options, plus ours.
#[derive(Clone)]
pub(crate) struct Options {
    config: Config,
    schema: String,
    connections: usize,
}

impl Options {
    /// Parses a `postgres://` URL; `schema` and `connections` are ours, the rest
    /// tokio-postgres's.
    pub(crate) fn parse(url: &str) -> Result<Options, String> {
        let mut parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        let (mut schema, mut connections) = ("public".to_owned(), CONNECTIONS);
        let mut rest = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "schema" => schema = value.into_owned(),
                "connections" => {
                    connections = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or("`connections` is a number of connections, at least 1")?
                }
                _ => rest.push((key.into_owned(), value.into_owned())),
            }
        }
        if schema.is_empty() || !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("schema `{schema}`: use letters, digits and `_`"));
        }
        parsed.set_query(None);
        if !rest.is_empty() {
            parsed.query_pairs_mut().extend_pairs(rest);
        }
        let config = parsed.as_str().parse::<Config>().map_err(|e| e.to_string())?;
        Ok(Options {
            config,
            schema,
            connections,
        })
    }
}

/// A [`Store`] in a PostgreSQL database: `postgres://USER@HOST:PORT/DB?schema=NAME`.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = orchestrator_runtime::store::open("postgres://root@127.0.0.1/test?schema=bot").await.unwrap();
/// orchestrator_testkit::check_store(&*store, &*store).await;
/// # }
/// ```
pub struct PostgresStore {
    options: Options,
    slots: Vec<Mutex<Option<Arc<Connection>>>>,
    next: AtomicUsize,
}

impl PostgresStore {
    /// Connects, creating the schema and its tables if needed.
    pub(crate) async fn open(options: Options) -> Result<PostgresStore, StoreError> {
        let store = PostgresStore {
            slots: (0..options.connections).map(|_| Mutex::new(None)).collect(),
            options,
            next: AtomicUsize::new(0),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn connect(&self) -> Result<Client, StoreError> {
        let (client, connection) = self.options.config.connect(NoTls).await.map_err(backend)?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "PostgreSQL connection closed; the next use reconnects");
            }
        });
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {0}; SET search_path TO {0}",
                self.options.schema
            ))
            .await
            .map_err(backend)?;
        Ok(client)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.connect().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // Replicas starting together take turns; the lock ends with the transaction.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('slack-orchestrator schema'))",
            &[],
        )
        .await
        .map_err(backend)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)")
            .await
            .map_err(backend)?;
        let found: i32 = tx
            .query_opt("SELECT version FROM schema_version", &[])
            .await
            .map_err(backend)?
            .map_or(0, |row| row.get(0));
        let known = MIGRATIONS.len() as i32;
        if found > known {
            return Err(StoreError::Backend(format!(
                "schema `{}` has schema version {found}, newer than this build's {known}: upgrade the bot, or use another schema",
                self.options.schema
            )));
        }
        for migration in &MIGRATIONS[found as usize..] {
            tx.batch_execute(migration).await.map_err(backend)?;
        }
        tx.execute("DELETE FROM schema_version", &[]).await.map_err(backend)?;
        tx.execute("INSERT INTO schema_version VALUES ($1)", &[&known])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    /// A connection, round-robin; a broken one is replaced.
    async fn connection(&self) -> Result<Arc<Connection>, StoreError> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[index].lock().await;
        if let Some(connection) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(connection.clone());
        }
        let client = self.connect().await?;
        let prepared = prepare(&client).await?;
        let connection = Arc::new(Connection { client, prepared });
        *slot = Some(connection.clone());
        Ok(connection)
    }

    async fn records(&self, q: Q, params: Params<'_>) -> Result<Vec<FlowRecord>, StoreError> {
        let db = self.connection().await?;
        let rows = db.client.query(db.sql(q), params).await.map_err(backend)?;
        rows.iter().map(|row| decode_record(row.get(0))).collect()
    }

    /// Runs statement `q`; how many rows it changed.
    async fn execute(&self, q: Q, params: Params<'_>) -> Result<u64, StoreError> {
        let db = self.connection().await?;
        db.client.execute(db.sql(q), params).await.map_err(backend)
    }
}

type Params<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

async fn prepare(client: &Client) -> Result<Vec<Statement>, StoreError> {
    let mut prepared = Vec::with_capacity(Q::ALL.len());
    for q in Q::ALL {
        prepared.push(client.prepare(q.sql()).await.map_err(backend)?);
    }
    Ok(prepared)
}

fn backend(error: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(format!("PostgreSQL: {error}"))
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for PostgresStore {
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
        let row = Row::of(record)?;
        check_version(&row, expected)?;
        let db = self.connection().await?;
        let result = match expected {
            0 => {
                let params: Params<'_> = &[
                    &row.id,
                    &row.key,
                    &row.active,
                    &row.version,
                    &row.due_at,
                    &row.updated_at,
                    &row.created_at,
                    &row.json,
                    &event,
                ];
                db.client.query_one(db.sql(Q::Insert), params).await
            }
            _ => {
                let expected_version = expected as i64;
                let params: Params<'_> = &[
                    &row.id,
                    &row.key,
                    &row.active,
                    &row.version,
                    &row.due_at,
                    &row.updated_at,
                    &row.json,
                    &expected_version,
                    &event,
                ];
                db.client.query_one(db.sql(Q::Update), params).await
            }
        };
        let answer = result.map_err(|error| match error.code() {
            Some(&SqlState::UNIQUE_VIOLATION) => row.taken(),
            _ => backend(error),
        })?;
        match answer.get::<_, i64>(0) {
            1 => Ok(()),
            _ => Err(lost(&row, expected, answer.get(1))),
        }
    }

    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        Ok(self.records(Q::Load, &[&id.to_string()]).await?.pop())
    }

    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        Ok(self.records(Q::ActiveFor, &[&key.as_str()]).await?.pop())
    }

    async fn list_where(&self, filter: &FlowFilter, limit_to: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let params: Params<'_> = &[&filter.active_only, &filter.user, &filter.flow, &limit(limit_to)];
        self.records(Q::List, params).await
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        Ok(self.execute(Q::Delete, &[&id.to_string()]).await? > 0)
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit_to: usize,
    ) -> Result<Vec<FlowRecord>, StoreError> {
        let params: Params<'_> = &[&millis(now), &millis(lease_until), &limit(limit_to)];
        let mut claimed = self.records(Q::ClaimDue, params).await?;
        claimed.sort_by_key(|r| r.deadline);
        Ok(claimed)
    }

    async fn renew_claim(
        &self,
        id: Uuid,
        held_until: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let params: Params<'_> = &[&id.to_string(), &millis(held_until), &millis(lease_until)];
        Ok(self.execute(Q::RenewClaim, params).await? > 0)
    }

    async fn claim_deadline(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let params: Params<'_> = &[&id.to_string(), &millis(now), &millis(lease_until)];
        Ok(self.execute(Q::ClaimDeadline, params).await? > 0)
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let db = self.connection().await?;
        let row = db
            .client
            .query_one(db.sql(Q::NextDeadline), &[])
            .await
            .map_err(backend)?;
        Ok(row.get::<_, Option<i64>>(0).map(from_millis))
    }

    async fn receive(&self, event: &Received, lease_until: DateTime<Utc>) -> Result<Receipt, StoreError> {
        let row = EventRow::of(event)?;
        let db = self.connection().await?;
        let params: Params<'_> = &[&row.key, &row.conversation, &row.at, &millis(lease_until), &row.json];
        let answer = db.client.query_one(db.sql(Q::Receive), params).await.map_err(backend)?;
        // `alone` and `stored_at` are NULL unless it was inserted.
        let (alone, stored_at): (Option<bool>, Option<i64>) = (answer.get(3), answer.get(4));
        Ok(match (answer.get(0), answer.get(1), answer.get(2)) {
            (true, _, _) if alone == Some(true) => Receipt::NewFirst,
            (true, _, _) => match stored_at.filter(|&at| at != row.at) {
                Some(later) => Receipt::Later(from_millis(later)),
                None => Receipt::New,
            },
            (_, true, _) => Receipt::Pending,
            (_, _, true) => Receipt::Settled,
            _ => Receipt::Busy,
        })
    }

    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let params: Params<'_> = &[&key, &millis(now), &millis(lease_until)];
        Ok(self.execute(Q::RenewLease, params).await? > 0)
    }

    async fn settle(&self, key: &str) -> Result<(), StoreError> {
        self.execute(Q::Settle, &[&key, &millis(Utc::now())]).await?;
        Ok(())
    }

    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError> {
        let db = self.connection().await?;
        let row = db
            .client
            .query_opt(db.sql(Q::OldestUnsettled), &[&conversation.as_str()])
            .await
            .map_err(backend)?;
        let row = row.filter(|row| unless != Some(row.get::<_, &str>(0)));
        row.map(|row| {
            Ok((
                decode_received(row.get(0), row.get(1), row.get(2))?,
                from_millis(row.get(3)),
            ))
        })
        .transpose()
    }

    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit_to: usize,
    ) -> Result<Vec<Received>, StoreError> {
        let db = self.connection().await?;
        let params: Params<'_> = &[&millis(now), &millis(lease_until), &limit(limit_to)];
        let rows = db
            .client
            .query(db.sql(Q::ClaimPending), params)
            .await
            .map_err(backend)?;
        let mut claimed = rows
            .iter()
            .map(|row| decode_received(row.get(0), row.get(1), row.get(2)))
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|r| r.at);
        Ok(claimed)
    }

    async fn purge(&self, flows_before: DateTime<Utc>, events_before: DateTime<Utc>) -> Result<Purged, StoreError> {
        let db = self.connection().await?;
        let flows = db
            .client
            .execute(db.sql(Q::PurgeFlows), &[&millis(flows_before)])
            .await
            .map_err(backend)?;
        let events = db
            .client
            .execute(db.sql(Q::PurgeEvents), &[&millis(events_before)])
            .await
            .map_err(backend)?;
        Ok(Purged { flows, events })
    }
}
