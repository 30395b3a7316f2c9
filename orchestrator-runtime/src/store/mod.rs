//! Stores the runtime brings, and [`open`]: a store from its URL (`memory:`,
//! `sqlite://FILE`). Each backend is a cargo feature, so a bot compiles only the ones it uses.

#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use orchestrator_core::{MemoryStore, Store};
use std::sync::Arc;

/// The store `run` uses with Slack settings when `ORCHESTRATOR_STORE` is not set.
pub const DEFAULT_URL: &str = "sqlite://bot.db";

/// A store URL that cannot be opened. Its message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The scheme is not one this build knows.
    #[error("unknown store URL `{0}`: use `memory:` or `sqlite://FILE` (e.g. `sqlite://bot.db`)")]
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

/// Opens the store a URL names: `memory:` (nothing survives the process) or
/// `sqlite://FILE` (`sqlite://bot.db` is relative, `sqlite:///var/lib/bot.db` absolute;
/// `?synchronous=full` also survives power loss, the default survives a crash of the
/// process). The SQLite file and its schema are created on first use.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use orchestrator_runtime::store;
/// assert!(store::open("memory:").await.is_ok());
/// let error = store::open("mongodb://x").await.err().unwrap();
/// assert!(error.to_string().contains("use `memory:` or `sqlite://FILE`"));
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
    for (scheme, feature) in [("postgres", "postgres"), ("postgresql", "postgres"), ("redis", "redis")] {
        if url.starts_with(&format!("{scheme}://")) {
            return Err(OpenError::NotCompiled {
                url: url.to_owned(),
                feature,
            });
        }
    }
    Err(OpenError::UnknownScheme(url.to_owned()))
}

#[cfg(feature = "sqlite")]
async fn open_sqlite(url: &str, rest: &str) -> Result<Arc<dyn Store>, OpenError> {
    let options = sqlite::Options::parse(rest).map_err(|reason| OpenError::Backend {
        url: url.to_owned(),
        reason,
    })?;
    let store = SqliteStore::open_with(options).await.map_err(|e| OpenError::Backend {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "sqlite"))]
async fn open_sqlite(url: &str, _rest: &str) -> Result<Arc<dyn Store>, OpenError> {
    Err(OpenError::NotCompiled {
        url: url.to_owned(),
        feature: "sqlite",
    })
}
