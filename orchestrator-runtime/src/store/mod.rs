//! Stores the runtime brings, and [`open`]: a store from its URL (`memory:`,
//! `sqlite://FILE`, `postgres://…`, `redis://…`). Each backend is a cargo feature
//! (`sqlite` on by default, `postgres`, `redis`), so a bot compiles only the ones it uses.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
mod row;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use orchestrator_core::{MemoryStore, Store};
use std::sync::Arc;

/// The store `run` uses with Slack settings when `ORCHESTRATOR_STORE` is not set.
///
/// ```
/// assert_eq!(orchestrator_runtime::store::DEFAULT_URL, "sqlite://bot.db"); // in the working directory
/// ```
pub const DEFAULT_URL: &str = "sqlite://bot.db";

/// A store URL that cannot be opened. Its message is one line that says what to do.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use orchestrator_runtime::store::{self, OpenError};
/// let missing = store::open("sqlite:///no/such/folder/bot.db").await.err().unwrap();
/// assert!(matches!(missing, OpenError::Backend { .. }));
/// assert!(missing.to_string().starts_with("cannot open store `sqlite:///no/such/folder/bot.db`"));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The scheme is not one this build knows.
    #[error(
        "unknown store URL `{0}`: use `memory:`, `sqlite://FILE` (e.g. `sqlite://bot.db`), `postgres://USER@HOST/DB` or `redis://HOST:PORT`"
    )]
    UnknownScheme(String),
    /// The scheme needs a cargo feature this build was compiled without.
    #[error("store URL `{url}` needs the `{feature}` feature of slack-orchestrator, which this build lacks")]
    NotCompiled {
        /// The URL.
        url: String,
        /// The feature.
        feature: &'static str,
    },
    /// The backend could not open it (a bad path, a file from a newer schema, …).
    #[error("cannot open store `{url}`: {reason}")]
    Backend {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Opens the store a URL names:
///
/// - `memory:`: nothing survives the process;
/// - `sqlite://FILE` (`sqlite://bot.db` is relative, `sqlite:///var/lib/bot.db` absolute;
///   `?synchronous=full` also survives power loss, the default survives a crash of the
///   process), for one process;
/// - `postgres://USER:PASSWORD@HOST:PORT/DB` (`?schema=NAME`, `?connections=N`, and
///   tokio-postgres's own options), shared by replicas;
/// - `redis://HOST:PORT/DB` (`?prefix=NAME`), shared by replicas.
///
/// Files, schemas and tables are created on first use.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use orchestrator_runtime::store;
/// assert!(store::open("memory:").await.is_ok());
/// let error = store::open("mongodb://x").await.err().unwrap();
/// assert!(error.to_string().contains("use `memory:`, `sqlite://FILE`"));
/// # }
/// ```
pub async fn open(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let url = url.trim();
    if url == "memory:" || url == "memory" || url == "memory://" {
        return Ok(Arc::new(MemoryStore::new()));
    }
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        return open_sqlite(url, rest).await;
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url).await;
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        return open_redis(url).await;
    }
    Err(OpenError::UnknownScheme(url.to_owned()))
}

/// The error for a store that could not be opened (by a backend compiled in).
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
fn cannot_open(url: &str) -> impl FnOnce(String) -> OpenError + '_ {
    move |reason| OpenError::Backend {
        url: redacted(url),
        reason,
    }
}

/// The URL without its password, fit for a log line.
///
/// ```
/// let shown = orchestrator_runtime::store::redacted("postgres://bot:hunter2@db/bots");
/// assert_eq!(shown, "postgres://bot:***@db/bots");
/// ```
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let options = postgres::Options::parse(url).map_err(cannot_open(url))?;
    let store = PostgresStore::open(options)
        .await
        .map_err(|e| cannot_open(url)(e.to_string()))?;
    Ok(Arc::new(store))
}

#[cfg(feature = "redis")]
async fn open_redis(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    let store = RedisStore::open(url)
        .await
        .map_err(|e| cannot_open(url)(e.to_string()))?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotCompiled {
        url: redacted(url),
        feature: "postgres",
    })
}

#[cfg(not(feature = "redis"))]
async fn open_redis(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotCompiled {
        url: redacted(url),
        feature: "redis",
    })
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str, rest: &str) -> Result<Arc<dyn Store>, OpenError> {
    let options = sqlite::Options::parse(rest).map_err(cannot_open(url))?;
    let store = SqliteStore::open_with(options)
        .await
        .map_err(|e| cannot_open(url)(e.to_string()))?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(url: &str, _rest: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotCompiled {
        url: url.to_owned(),
        feature: "sqlite",
    })
}
