//! [`SqliteStore`]: one file, no server; the embedded default.
//!
//! - **rusqlite, not sqlx, by measurement.** SQLite allows one writer at a time, so the
//!   write side is one thread whatever the crate; rusqlite lets that thread group every
//!   queued write into one transaction with plain blocking calls. The same compare-and-swap
//!   write (record + settled event, WAL, `synchronous=NORMAL`, 64 writers at once) made
//!   about 21,000 commits/s through this store and about 4,000 through an sqlx
//!   `SqlitePool` with a transaction per commit, on the project's 2-core machine (a
//!   throwaway program, figures in the durability issue's closing note). sqlx would also
//!   add its macro and runtime stack to every bot's build.
//! - **One writer thread, grouped commits.** Every write (a commit, a received event, a
//!   claim, a purge) is a message to the writer, which takes all that are queued, applies
//!   them in one `BEGIN IMMEDIATE` transaction (each in its own savepoint, so a conflict
//!   refuses that write alone) and answers each when the transaction is on disk. Under load
//!   many acks share one transaction (and with `synchronous=full` one fsync), so the
//!   3-second ack holds.
//! - **Checkpoints beside the writer.** SQLite's automatic checkpoint (copying the WAL into
//!   the database file, with an fsync) would run inside the writer's commits; a thread of
//!   its own does it instead, at most every 50 ms after writes. When the WAL has grown past
//!   16 MiB it pauses the writer between two transactions to finish the copy and start the
//!   WAL over, so the file stays bounded under steady load (a checkpoint that runs while the
//!   writer appends never catches up on its own). Should that thread fall behind (a disk
//!   that stalls its fsync, a starved thread), SQLite's own checkpoint takes over in the
//!   writer once the WAL is four times that long: writes slow down, the file stays bounded.
//! - **Reads** run on a small pool of read connections (WAL lets them run beside the writer).
//!   An event's point look-ups (its conversation's active flow and oldest pending event, a
//!   flow by id) first try a connection of their own on the caller's thread, one that never
//!   waits for a lock (busy timeout 0): a look-up takes microseconds, less than the two
//!   thread switches of the pool. One that would wait, or finds every such connection in
//!   use, goes to the pool, so a tokio worker is never held by SQLite's busy handler.
//! - **Durability:** WAL with `synchronous=NORMAL` by default: a committed write survives
//!   the process being killed (SIGKILL, OOM, a panic); `?synchronous=full` also survives
//!   the machine losing power, at one fsync per transaction.
//! - **Schema** migrations are embedded and applied at open (`PRAGMA user_version`); a file
//!   from a newer schema is refused with a clear error instead of being misread.
//! - Several processes may share one file (each has its own writer; `busy_timeout` makes
//!   them take turns), which the conformance suite checks with two handles.

use super::row::{check_version, from_millis, lost, millis, EventRow, Row};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orchestrator_core::{ConversationKey, FlowFilter, FlowRecord, Purged, Receipt, Received, Store, StoreError};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, ToSql};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use uuid::Uuid;

/// The schema, one migration per version; `MIGRATIONS[n]` brings version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE flows (
        id TEXT PRIMARY KEY,
        conv_key TEXT NOT NULL,
        active INTEGER NOT NULL,
        version INTEGER NOT NULL,
        due_at INTEGER,
        updated_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE UNIQUE INDEX flows_active_conversation ON flows(conv_key) WHERE active = 1;
    CREATE INDEX flows_due ON flows(due_at) WHERE due_at IS NOT NULL;
    CREATE INDEX flows_finished ON flows(updated_at) WHERE active = 0;
    CREATE INDEX flows_created ON flows(created_at);
    CREATE TABLE events (
        key TEXT PRIMARY KEY,
        received_at INTEGER NOT NULL,
        settled INTEGER NOT NULL,
        incoming TEXT
    );
    CREATE INDEX events_pending ON events(received_at) WHERE settled = 0;
    CREATE INDEX events_received ON events(received_at);
",
    "
    ALTER TABLE events ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE events ADD COLUMN conv_key TEXT;
    CREATE INDEX events_unsettled_conversation ON events(conv_key, received_at, key) WHERE settled = 0;
",
];

/// How many queued writes one transaction takes at most.
const GROUP: usize = 512;
/// How many read connections (of each kind: pooled, and for look-ups in place).
const READERS: usize = 4;
/// How long a write waits for another process's transaction.
const BUSY: Duration = Duration::from_secs(10);
/// How often at most the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);
/// The WAL's length (in pages of 4 KiB: 16 MiB) from which the checkpointer starts it over.
const WAL_RESTART_PAGES: i64 = 4096;
/// How long a restart of the WAL waits for readers of an older snapshot (the writer is
/// paused meanwhile).
const RESTART_WAIT: Duration = Duration::from_millis(100);
/// The WAL's length, in restart lengths, past which the writer checkpoints it itself
/// (SQLite's automatic checkpoint, in the commit): only when the checkpointer fell behind.
const WAL_LIMIT_FACTOR: i64 = 4;

/// Where and how to open the file.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    path: PathBuf,
    full_sync: bool,
    /// The WAL's length in pages from which the checkpointer starts it over.
    wal_restart_pages: i64,
    /// How often at most the checkpointer runs.
    checkpoint_every: Duration,
    /// The WAL's length in pages past which the writer checkpoints it itself (0: never).
    wal_limit_pages: i64,
}

impl Options {
    /// Parses what follows `sqlite://`: a path, and optionally `?synchronous=normal|full`.
    pub(crate) fn parse(rest: &str) -> Result<Options, String> {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err("no file name: write e.g. `sqlite://bot.db`".into());
        }
        let mut full_sync = false;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match (&*key, &*value) {
                ("synchronous", "full") => full_sync = true,
                ("synchronous", "normal") => full_sync = false,
                _ => {
                    return Err(format!(
                        "unknown option `{key}={value}`: the option is `synchronous=normal|full`"
                    ))
                }
            }
        }
        Ok(Options {
            full_sync,
            ..Options::at(PathBuf::from(path))
        })
    }

    /// The file at `path`, with the defaults.
    fn at(path: PathBuf) -> Options {
        Options {
            path,
            full_sync: false,
            wal_restart_pages: WAL_RESTART_PAGES,
            checkpoint_every: CHECKPOINT_EVERY,
            wal_limit_pages: WAL_RESTART_PAGES * WAL_LIMIT_FACTOR,
        }
    }
}

/// A [`Store`] in one SQLite file.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let dir = std::env::temp_dir().join(format!("doc-{}", uuid::Uuid::new_v4()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let store = orchestrator_runtime::store::SqliteStore::open(dir.join("bot.db")).await.unwrap();
/// orchestrator_testkit::check_store(&store, &store).await;
/// # }
/// ```
pub struct SqliteStore {
    writer: mpsc::Sender<Write>,
    readers: Arc<Vec<Mutex<Connection>>>,
    /// Read connections for look-ups on the caller's thread; they never wait for a lock.
    quick: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// The store failed; a SQLite error says what.
///
/// ```
/// use orchestrator_runtime::store::SqliteStore;
/// let dir = std::env::temp_dir().join(format!("sqlite-error-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// // A directory is no database file: the error names the path and what SQLite said.
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let error = SqliteStore::open(&dir).await.err().unwrap();
/// assert!(error.to_string().starts_with(&dir.display().to_string()), "{error}");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// SQLite refused.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file was written by a newer version of slack-orchestrator.
    #[error(
        "{path} has schema version {found}, newer than this build's {known}: upgrade the bot, or use another file"
    )]
    NewerSchema {
        /// The file.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
}

impl SqliteStore {
    /// Opens (creating if needed) the file at `path` with the default durability.
    ///
    /// ```
    /// use orchestrator_runtime::store::SqliteStore;
    /// use slack_orchestrator::{FlowRecord, MessageContext, Store};
    /// # #[tokio::main] async fn main() {
    /// let dir = std::env::temp_dir().join(format!("sqlite-open-{}", uuid::Uuid::new_v4()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("bot.db");
    /// let record = FlowRecord::new("ask", 1, serde_json::json!("Name"), "Name", MessageContext::new("T1", "U1", "D1"), chrono::Utc::now());
    /// let mut saved = record.clone();
    /// saved.version = 1;
    /// SqliteStore::open(&path).await.unwrap().commit(&saved, 0, None).await.unwrap(); // created on first use
    /// let reopened = SqliteStore::open(&path).await.unwrap(); // as after a restart
    /// assert_eq!(reopened.load(record.id).await.unwrap().unwrap().version, 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }
    /// ```
    pub async fn open(path: impl Into<PathBuf>) -> Result<SqliteStore, SqliteError> {
        SqliteStore::open_with(Options::at(path.into())).await
    }

    pub(crate) async fn open_with(options: Options) -> Result<SqliteStore, SqliteError> {
        tokio::task::spawn_blocking(move || SqliteStore::open_blocking(&options))
            .await
            .expect("opening the store does not panic")
    }

    fn open_blocking(options: &Options) -> Result<SqliteStore, SqliteError> {
        let path = options.path.display().to_string();
        let failed = |source| SqliteError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut writer = Connection::open(&options.path).map_err(failed)?;
        let sync = if options.full_sync { "FULL" } else { "NORMAL" };
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
            ))
            .map_err(failed)?;
        writer.busy_timeout(BUSY).map_err(failed)?;
        migrate(&mut writer, &path)?;
        let open_readers = |busy| {
            (0..READERS)
                .map(|_| {
                    let reader = Connection::open_with_flags(
                        &options.path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    reader.busy_timeout(busy)?;
                    Ok(Mutex::new(reader))
                })
                .collect::<Result<Vec<_>, rusqlite::Error>>()
        };
        let readers = open_readers(BUSY).map_err(failed)?;
        let quick = open_readers(Duration::ZERO).map_err(failed)?;
        // The checkpointer copies the WAL into the database file, beside the writer (see
        // `checkpoint_loop`); the writer does it only past the limit, if that thread fell behind.
        writer
            .pragma_update(None, "wal_autocheckpoint", options.wal_limit_pages)
            .map_err(failed)?;
        let checkpointer = Connection::open(&options.path).map_err(failed)?;
        checkpointer.busy_timeout(RESTART_WAIT).map_err(failed)?;
        let gate = Arc::new(Mutex::new(()));
        let (wrote, written) = mpsc::sync_channel(1);
        let writer_gate = gate.clone();
        let (restart_pages, every) = (options.wal_restart_pages, options.checkpoint_every);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &written, &gate, restart_pages, every))
            .expect("spawn the SQLite checkpoint thread");
        let (sender, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(writer, &queue, &writer_gate, &wrote))
            .expect("spawn the SQLite writer thread");
        Ok(SqliteStore {
            writer: sender,
            readers: Arc::new(readers),
            quick,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Renews a lease with `sql` (see [`Write::Renew`]); `false` if it changed no row.
    async fn renew(&self, sql: &'static str, of: String, from: i64, lease: i64) -> Result<bool, StoreError> {
        self.write(|reply| Write::Renew {
            sql,
            of,
            from,
            lease,
            reply,
        })
        .await
    }

    async fn write<T: Send + 'static>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Write,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(make(reply))
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?
    }

    /// A point look-up by an indexed key: on the caller's thread if a quick connection is
    /// free and no lock is in the way, otherwise on the pool (see the module docs).
    async fn look_up<T: Send + 'static>(
        &self,
        query: impl Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        match self.look_up_here(query) {
            Ok(found) => found,
            Err(query) => self.read(query).await,
        }
    }

    /// Runs `query` on a free quick connection now; gives it back when every one is in use
    /// or SQLite would have to wait for a lock.
    fn look_up_here<T, Q: Fn(&Connection) -> rusqlite::Result<T>>(&self, query: Q) -> Result<Result<T, StoreError>, Q> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let quick = &self.quick;
        let Some(reader) = (0..quick.len()).find_map(|i| quick[(start + i) % quick.len()].try_lock().ok()) else {
            return Err(query);
        };
        match query(&reader) {
            Err(error) if is_busy(&error) => Err(query),
            result => Ok(result.map_err(backend)),
        }
    }

    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self.readers.clone();
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        tokio::task::spawn_blocking(move || {
            let reader = readers[index].lock().unwrap_or_else(|p| p.into_inner());
            query(&reader).map_err(backend)
        })
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))?
    }
}

fn migrate(connection: &mut Connection, path: &str) -> Result<(), SqliteError> {
    let failed = |source| SqliteError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let known = MIGRATIONS.len() as i64;
    let found: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(failed)?;
    if found > known {
        return Err(SqliteError::NewerSchema {
            path: path.to_owned(),
            found,
            known,
        });
    }
    let tx = connection.transaction().map_err(failed)?;
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(migration).map_err(failed)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)
            .map_err(failed)?;
    }
    tx.commit().map_err(failed)
}

/// Whether SQLite refused because another connection holds a lock (a busy timeout of 0).
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn backend(error: rusqlite::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn decode_record(json: &str) -> rusqlite::Result<FlowRecord> {
    serde_json::from_str(json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A write for the writer thread, with where to send its result.
enum Write {
    Commit {
        row: Row,
        expected: u64,
        event: Option<String>,
        reply: Reply<()>,
    },
    Delete {
        id: String,
        reply: Reply<bool>,
    },
    Claim {
        now: i64,
        lease: i64,
        limit: usize,
        reply: Reply<Vec<FlowRecord>>,
    },
    Receive {
        event: EventRow,
        lease: i64,
        reply: Reply<Receipt>,
    },
    ClaimPending {
        now: i64,
        lease: i64,
        limit: usize,
        reply: Reply<Vec<Received>>,
    },
    /// A lease renewed by `sql` (`renew_claim`'s or `renew_lease`'s), given the flow id or
    /// event key, the held lease's end or the time now, and the new end.
    Renew {
        sql: &'static str,
        of: String,
        from: i64,
        lease: i64,
        reply: Reply<bool>,
    },
    Settle {
        key: String,
        at: i64,
        reply: Reply<()>,
    },
    Purge {
        flows_before: i64,
        events_before: i64,
        reply: Reply<Purged>,
    },
}

/// The columns in table order: `id, conv_key, active, version, due_at, updated_at,
/// created_at, record` (`?1` to `?8`).
fn columns(row: &Row) -> [&dyn ToSql; 8] {
    [
        &row.id,
        &row.key,
        &row.active,
        &row.version,
        &row.due_at,
        &row.updated_at,
        &row.created_at,
        &row.json,
    ]
}

/// The writer: takes every queued write, applies them in one transaction (holding `gate`,
/// which the checkpointer takes to pause it), answers each, and tells the checkpointer
/// that the WAL grew.
fn write_loop(
    mut connection: Connection,
    queue: &mpsc::Receiver<Write>,
    gate: &Mutex<()>,
    wrote: &mpsc::SyncSender<()>,
) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match queue.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        let mut answers: Vec<Answering> = Vec::with_capacity(group.len());
        let turn = gate.lock().unwrap_or_else(|p| p.into_inner());
        let result = (|| -> rusqlite::Result<()> {
            let mut tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for write in group {
                let mut savepoint = tx.savepoint()?;
                let answer = apply(&savepoint, write);
                match answer.ok {
                    true => savepoint.commit()?,
                    // Rolled back when dropped.
                    false => savepoint.rollback()?,
                }
                answers.push(answer.send);
            }
            tx.commit()
        })();
        drop(turn);
        // A full channel means the checkpointer has a pass due already.
        let _ = wrote.try_send(());
        let failure = result.err().map(|e| e.to_string());
        for send in answers {
            send(failure.as_deref());
        }
    }
}

/// The checkpointer: copies the WAL into the database file on a thread of its own, so the
/// writer never waits for that copy and its fsync (SQLite's automatic checkpoint would run
/// it inside the writer's commit). A checkpoint that runs while the writer appends can
/// copy what is there but not start the WAL over, so the file would grow for as long as
/// the load lasts; once it is past `WAL_RESTART_PAGES`, the checkpointer takes `gate`,
/// pausing the writer between two transactions for the little that was appended since
/// its last pass, and restarts the WAL. Runs at most `every`; ends when the writer does.
fn checkpoint_loop(
    connection: &Connection,
    written: &mpsc::Receiver<()>,
    gate: &Mutex<()>,
    restart_pages: i64,
    every: Duration,
) {
    // Answers the WAL's length in pages (the second of the three columns).
    let checkpoint = |pragma: &str| connection.query_row(pragma, [], |row| row.get::<_, i64>(1));
    while written.recv().is_ok() {
        match checkpoint("PRAGMA wal_checkpoint(PASSIVE)") {
            Ok(pages) if pages >= restart_pages => {
                let _paused = gate.lock().unwrap_or_else(|p| p.into_inner());
                if let Err(error) = checkpoint("PRAGMA wal_checkpoint(RESTART)") {
                    tracing::debug!(%error, "the WAL did not restart; trying again later");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "a WAL checkpoint failed; trying again later"),
        }
        std::thread::sleep(every);
    }
}

/// Answers a write once the transaction's fate is known (`Some(error)` if it failed to commit).
type Answering = Box<dyn FnOnce(Option<&str>) + std::marker::Send>;

/// A write applied inside the transaction: whether to keep it, and how to answer.
struct Answer {
    ok: bool,
    send: Answering,
}

fn answer<T: Send + 'static>(reply: Reply<T>, result: Result<T, StoreError>) -> Answer {
    Answer {
        ok: result.is_ok(),
        send: Box::new(move |failure| {
            let result = match failure {
                Some(error) => Err(StoreError::Backend(format!("transaction failed: {error}"))),
                None => result,
            };
            let _ = reply.send(result);
        }),
    }
}

fn apply(tx: &rusqlite::Savepoint<'_>, write: Write) -> Answer {
    match write {
        Write::Commit {
            row,
            expected,
            event,
            reply,
        } => answer(reply, commit(tx, &row, expected, event.as_deref())),
        Write::Delete { id, reply } => {
            let deleted = tx.execute("DELETE FROM flows WHERE id = ?1", [id]).map(|n| n > 0);
            answer(reply, deleted.map_err(backend))
        }
        Write::Claim {
            now,
            lease,
            limit,
            reply,
        } => answer(reply, claim(tx, now, lease, limit).map_err(backend)),
        Write::Receive { event, lease, reply } => answer(reply, receive(tx, &event, lease).map_err(backend)),
        Write::ClaimPending {
            now,
            lease,
            limit,
            reply,
        } => answer(reply, claim_pending(tx, now, lease, limit).map_err(backend)),
        Write::Renew {
            sql,
            of,
            from,
            lease,
            reply,
        } => {
            let renewed = tx
                .prepare_cached(sql)
                .and_then(|mut update| update.execute(params![of, from, lease]));
            answer(reply, renewed.map(|n| n > 0).map_err(backend))
        }
        Write::Settle { key, at, reply } => answer(reply, settle(tx, &key, at).map_err(backend)),
        Write::Purge {
            flows_before,
            events_before,
            reply,
        } => answer(reply, purge(tx, flows_before, events_before).map_err(backend)),
    }
}

fn conflict_or_backend(error: rusqlite::Error, row: &Row) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => row.taken(),
        _ => backend(error),
    }
}

fn commit(tx: &rusqlite::Savepoint<'_>, row: &Row, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
    check_version(row, expected)?;
    let expected_version = expected as i64;
    if expected == 0 {
        tx.prepare_cached(
            "INSERT INTO flows (id, conv_key, active, version, due_at, updated_at, created_at, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut insert| insert.execute(columns(row)))
        .map_err(|e| conflict_or_backend(e, row))?;
    } else {
        // The same columns as the insert (?7, `created_at`, never changes), plus the expected version.
        let columns = columns(row).into_iter().chain([&expected_version as &dyn ToSql]);
        let changed = tx
            .prepare_cached(
                "UPDATE flows SET conv_key = ?2, active = ?3, version = ?4, due_at = ?5, updated_at = ?6, record = ?8
                 WHERE id = ?1 AND version = ?9",
            )
            .and_then(|mut update| update.execute(rusqlite::params_from_iter(columns)))
            .map_err(|e| conflict_or_backend(e, row))?;
        if changed == 0 {
            let stored: Option<i64> = tx
                .query_row("SELECT version FROM flows WHERE id = ?1", [&row.id], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            return Err(lost(row, expected, stored));
        }
    }
    if let Some(key) = event {
        settle(tx, key, row.updated_at).map_err(backend)?;
    }
    Ok(())
}

fn claim(tx: &rusqlite::Savepoint<'_>, now: i64, lease: i64, limit: usize) -> rusqlite::Result<Vec<FlowRecord>> {
    let mut statement = tx.prepare_cached(
        "UPDATE flows SET due_at = ?2 WHERE id IN
            (SELECT id FROM flows WHERE due_at <= ?1 ORDER BY due_at LIMIT ?3)
         RETURNING record",
    )?;
    let rows = statement.query_map(params![now, lease, limit as i64], |row| row.get::<_, String>(0))?;
    let mut claimed = rows
        .map(|json| decode_record(&json?))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    claimed.sort_by_key(|r| r.deadline);
    Ok(claimed)
}

fn receive(tx: &rusqlite::Savepoint<'_>, event: &EventRow, lease: i64) -> rusqlite::Result<Receipt> {
    let EventRow {
        key,
        conversation,
        at,
        json,
    } = event;
    let known: Option<(bool, i64)> = tx
        .prepare_cached("SELECT settled, lease_until FROM events WHERE key = ?1")?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(match known {
        Some((true, _)) => Receipt::Settled,
        Some((false, held)) if held > *at => Receipt::Busy,
        Some((false, _)) => {
            tx.prepare_cached("UPDATE events SET lease_until = ?2 WHERE key = ?1")?
                .execute(params![key, lease])?;
            Receipt::Pending
        }
        None => {
            // After its conversation's unsettled events (see `Store::receive`).
            let latest: Option<i64> = tx
                .prepare_cached("SELECT max(received_at) FROM events WHERE conv_key = ?1 AND settled = 0")?
                .query_row([conversation], |row| row.get(0))?;
            let (stored, receipt) = Receipt::for_new(from_millis(*at), latest.map(from_millis));
            tx.prepare_cached(
                "INSERT INTO events (key, received_at, settled, incoming, lease_until, conv_key)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5)",
            )?
            .execute(params![key, millis(stored), json, lease, conversation])?;
            receipt
        }
    })
}

/// A received event from the columns `key, received_at, incoming`.
fn decode_received(row: &rusqlite::Row<'_>) -> rusqlite::Result<Received> {
    let incoming: String = row.get(2)?;
    Ok(Received {
        key: row.get(0)?,
        at: from_millis(row.get(1)?),
        incoming: serde_json::from_str(&incoming)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?,
    })
}

fn claim_pending(tx: &rusqlite::Savepoint<'_>, now: i64, lease: i64, limit: usize) -> rusqlite::Result<Vec<Received>> {
    let mut statement = tx.prepare_cached(
        "UPDATE events SET lease_until = ?2 WHERE key IN
            (SELECT key FROM events WHERE settled = 0 AND lease_until <= ?1 ORDER BY received_at LIMIT ?3)
         RETURNING key, received_at, incoming",
    )?;
    let rows = statement.query_map(params![now, lease, limit as i64], decode_received)?;
    let mut claimed = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    claimed.sort_by_key(|r| r.at);
    Ok(claimed)
}

fn settle(tx: &rusqlite::Savepoint<'_>, key: &str, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO events (key, received_at, settled, incoming) VALUES (?1, ?2, 1, NULL)
         ON CONFLICT(key) DO UPDATE SET settled = 1, incoming = NULL",
    )?
    .execute(params![key, at])?;
    Ok(())
}

fn purge(tx: &rusqlite::Savepoint<'_>, flows_before: i64, events_before: i64) -> rusqlite::Result<Purged> {
    let flows = tx.execute("DELETE FROM flows WHERE active = 0 AND updated_at < ?1", [flows_before])?;
    let events = tx.execute(
        "DELETE FROM events WHERE settled = 1 AND received_at < ?1",
        [events_before],
    )?;
    Ok(Purged {
        flows: flows as u64,
        events: events as u64,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, record: &FlowRecord, expected: u64, event: Option<&str>) -> Result<(), StoreError> {
        let row = Row::of(record)?;
        let event = event.map(str::to_owned);
        self.write(|reply| Write::Commit {
            row,
            expected,
            event,
            reply,
        })
        .await
    }

    async fn load(&self, id: Uuid) -> Result<Option<FlowRecord>, StoreError> {
        self.look_up(move |db| {
            db.prepare_cached("SELECT record FROM flows WHERE id = ?1")?
                .query_row([id.to_string()], |row| decode_record(&row.get::<_, String>(0)?))
                .optional()
        })
        .await
    }

    async fn active_for(&self, key: &ConversationKey) -> Result<Option<FlowRecord>, StoreError> {
        let key = key.as_str().to_owned();
        self.look_up(move |db| {
            db.prepare_cached("SELECT record FROM flows WHERE conv_key = ?1 AND active = 1")?
                .query_row([&key], |row| decode_record(&row.get::<_, String>(0)?))
                .optional()
        })
        .await
    }

    async fn list_where(&self, filter: &FlowFilter, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let FlowFilter {
            active_only,
            user,
            flow,
        } = filter.clone();
        self.read(move |db| {
            // Filtered where the records are, so that a user's flow is found under any
            // number of newer ones.
            let mut statement = db.prepare_cached(
                "SELECT record FROM flows WHERE (active = 1 OR NOT ?1)
                   AND (?2 IS NULL OR json_extract(record, '$.context.user_id') = ?2)
                   AND (?3 IS NULL OR json_extract(record, '$.flow') = ?3)
                 ORDER BY created_at DESC LIMIT ?4",
            )?;
            let rows = statement.query_map(rusqlite::params![active_only, user, flow, limit], |row| {
                row.get::<_, String>(0)
            })?;
            rows.map(|json| decode_record(&json?)).collect()
        })
        .await
    }

    async fn delete(&self, id: Uuid) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(|reply| Write::Delete { id, reply }).await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FlowRecord>, StoreError> {
        self.write(|reply| Write::Claim {
            now: millis(now),
            lease: millis(lease_until),
            limit,
            reply,
        })
        .await
    }

    async fn renew_claim(
        &self,
        id: Uuid,
        held_until: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE flows SET due_at = ?3 WHERE id = ?1 AND due_at = ?2";
        self.renew(sql, id.to_string(), millis(held_until), millis(lease_until))
            .await
    }

    async fn claim_deadline(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE flows SET due_at = ?3 WHERE id = ?1 AND due_at <= ?2";
        self.renew(sql, id.to_string(), millis(now), millis(lease_until)).await
    }

    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = self
            .read(|db| {
                db.query_row("SELECT MIN(due_at) FROM flows WHERE due_at IS NOT NULL", [], |row| {
                    row.get(0)
                })
            })
            .await?;
        Ok(next.map(from_millis))
    }

    async fn receive(&self, event: &Received, lease_until: DateTime<Utc>) -> Result<Receipt, StoreError> {
        let (event, lease) = (EventRow::of(event)?, millis(lease_until));
        self.write(|reply| Write::Receive { event, lease, reply }).await
    }

    async fn renew_lease(&self, key: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE events SET lease_until = ?3 WHERE key = ?1 AND settled = 0 AND lease_until > ?2";
        self.renew(sql, key.to_owned(), millis(now), millis(lease_until)).await
    }

    async fn settle(&self, key: &str) -> Result<(), StoreError> {
        let (key, at) = (key.to_owned(), millis(Utc::now()));
        self.write(|reply| Write::Settle { key, at, reply }).await
    }

    async fn oldest_unsettled(
        &self,
        conversation: &ConversationKey,
        unless: Option<&str>,
    ) -> Result<Option<(Received, DateTime<Utc>)>, StoreError> {
        let conversation = conversation.as_str().to_owned();
        let unless = unless.map(str::to_owned);
        self.look_up(move |db| {
            let oldest = db
                .prepare_cached(
                    "SELECT key, received_at, incoming, lease_until FROM events
                     WHERE conv_key = ?1 AND settled = 0 ORDER BY received_at, key LIMIT 1",
                )?
                .query_row([&conversation], |row| {
                    if unless.as_deref() == Some(row.get_ref(0)?.as_str()?) {
                        return Ok(None);
                    }
                    Ok(Some((decode_received(row)?, from_millis(row.get(3)?))))
                })
                .optional()?;
            Ok(oldest.flatten())
        })
        .await
    }

    async fn claim_pending(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Received>, StoreError> {
        self.write(|reply| Write::ClaimPending {
            now: millis(now),
            lease: millis(lease_until),
            limit,
            reply,
        })
        .await
    }

    async fn purge(&self, flows_before: DateTime<Utc>, events_before: DateTime<Utc>) -> Result<Purged, StoreError> {
        self.write(|reply| Write::Purge {
            flows_before: millis(flows_before),
            events_before: millis(events_before),
            reply,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(db: &Connection) -> rusqlite::Result<i64> {
        db.query_row("SELECT COUNT(*) FROM flows", [], |row| row.get(0))
    }

    #[tokio::test]
    async fn a_look_up_runs_in_place_and_hands_over_to_the_pool_rather_than_wait() {
        let dir = std::env::temp_dir().join(format!("so-lookup-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bot.db");
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.look_up_here(count).ok().map(Result::unwrap), Some(0), "in place");

        let held: Vec<_> = store.quick.iter().map(|c| c.lock().unwrap()).collect();
        assert!(
            store.look_up_here(count).is_err(),
            "every quick connection in use: given back"
        );
        assert_eq!(store.look_up(count).await.unwrap(), 0, "and answered by the pool");
        drop(held);

        // What SQLite answers a connection that would have to wait for a lock (here: one
        // asking for the file alone while the store has it open) is recognised as such.
        let blocker = Connection::open(&path).unwrap();
        blocker.busy_timeout(Duration::ZERO).unwrap();
        let refused = blocker.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;");
        assert!(is_busy(&refused.unwrap_err()));
        drop(blocker);
        let other = Connection::open(&path).unwrap();
        assert!(
            !is_busy(&other.execute_batch("SELEC").unwrap_err()),
            "other errors are errors"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// What became of the WAL file while 16 writers at once (as under load, so the writer
    /// always has work queued) commit and delete 16,000 records of 2 KB, on `options`: the
    /// largest it grew, and how often it started over (the checkpoint sequence number of its
    /// header, bytes 12 to 16, counts the restarts).
    async fn wal_under_load(mut options: impl FnMut(&mut Options)) -> (u64, u32) {
        const ROUNDS: usize = 1000;
        let dir = std::env::temp_dir().join(format!("so-wal-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bot.db");
        let mut opened = Options::parse(path.to_str().unwrap()).unwrap();
        options(&mut opened);
        let store = Arc::new(SqliteStore::open_with(opened).await.unwrap());
        let wal = dir.join("bot.db-wal");
        let (mut largest, mut first, mut last) = (0, None, 0);
        for _ in 0..ROUNDS {
            let commits = (0..16).map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let context = orchestrator_core::MessageContext::new("T1", "U1", format!("D{n}"));
                    let mut record = FlowRecord::new("wal", 1, serde_json::json!("Step"), "Step", context, Utc::now());
                    record.version = 1;
                    record.metadata.insert("padding".into(), "x".repeat(2000).into());
                    store.commit(&record, 0, None).await.unwrap();
                    store.delete(record.id).await.unwrap();
                })
            });
            for done in futures_util::future::join_all(commits).await {
                done.unwrap();
            }
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            last = wal_sequence(&wal);
            first.get_or_insert(last);
        }
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
        (largest, last - first.unwrap_or(last))
    }

    /// The checkpoint sequence number in the header of the WAL file at `path` (0 if none).
    fn wal_sequence(path: &std::path::Path) -> u32 {
        use std::io::Read;
        let mut header = [0; 16];
        match std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut header)) {
            Ok(()) => u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
            Err(_) => 0,
        }
    }

    #[tokio::test]
    async fn the_checkpointer_starts_the_wal_over_while_writes_keep_coming() {
        let (_, restarts) = wal_under_load(|options| {
            options.wal_restart_pages = 64;
            options.wal_limit_pages = 0; // the writer never checkpoints: the checkpointer alone
        })
        .await;
        // A pass every 50 ms, over the second or more the writes take; without restarts, 0.
        assert!(restarts >= 3, "the WAL started over {restarts} times");
    }

    #[tokio::test]
    async fn a_checkpointer_that_falls_behind_slows_the_writer_instead_of_growing_the_wal() {
        let (largest, _) = wal_under_load(|options| {
            (options.wal_restart_pages, options.wal_limit_pages) = (64, 256);
            // After its first pass, the checkpointer sleeps through the whole test.
            options.checkpoint_every = Duration::from_secs(3600);
        })
        .await;
        // The limit (1 MiB) plus one transaction of writes; some 350 MB without.
        assert!(
            largest < 8 << 20,
            "the WAL grew to {largest} bytes with the checkpointer behind"
        );
    }
}
