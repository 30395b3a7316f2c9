//! URLs of the database servers that tests share, each with a place of its own (a schema,
//! a key prefix) so that tests running at once never see each other's flows.

/// The PostgreSQL server tests use: `DATABASE_URL`, or the local one
/// (`postgres://root@127.0.0.1:5432/test`).
///
/// ```
/// use orchestrator_testkit::{postgres_url, DEFAULT_DATABASE_URL};
/// let server = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
/// assert!(postgres_url().starts_with(&server), "a schema of its own on that server");
/// ```
pub const DEFAULT_DATABASE_URL: &str = "postgres://root@127.0.0.1:5432/test";
/// The Redis server tests use: `REDIS_URL`, or the local one (`redis://127.0.0.1:6379/0`).
///
/// ```
/// use orchestrator_testkit::{redis_url, DEFAULT_REDIS_URL};
/// let server = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
/// assert!(redis_url().starts_with(&server), "a key prefix of its own on that server");
/// ```
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/0";

/// A store URL on the test PostgreSQL (`DATABASE_URL`) with a new schema of its own.
///
/// ```
/// let url = orchestrator_testkit::postgres_url();
/// assert!(url.starts_with("postgres") && url.contains("schema=t_"));
/// ```
pub fn postgres_url() -> String {
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    with_param(&base, "schema", &format!("t_{}", uuid::Uuid::new_v4().simple()))
}

/// A store URL on the test Redis (`REDIS_URL`) with a new key prefix of its own.
///
/// ```
/// let url = orchestrator_testkit::redis_url();
/// assert!(url.starts_with("redis") && url.contains("prefix=t-"));
/// ```
pub fn redis_url() -> String {
    let base = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    with_param(&base, "prefix", &format!("t-{}", uuid::Uuid::new_v4().simple()))
}

fn with_param(url: &str, key: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{key}={value}")
}
