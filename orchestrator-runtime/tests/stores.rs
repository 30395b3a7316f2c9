//! Every store keeps the store contract.

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    let store = orchestrator_core::MemoryStore::new();
    orchestrator_testkit::check_store(&store, &store).await;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use orchestrator_runtime::store::{self, SqliteStore};

    fn temp_file(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("orchestrator-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sqlite_store_keeps_the_contract_with_two_handles_on_one_file() {
        let path = temp_file("bot.db");
        // Two handles with their own writers, as two processes on one file would have.
        let a = SqliteStore::open(&path).await.unwrap();
        let b = SqliteStore::open(&path).await.unwrap();
        orchestrator_testkit::check_store(&a, &b).await;
    }

    #[tokio::test]
    async fn a_bad_url_or_a_newer_schema_is_one_clear_error() {
        let error = |url: String| async move { store::open(&url).await.err().expect("refused").to_string() };
        assert!(error("sqlite://".into()).await.contains("no file name"));
        let missing_dir = error("sqlite:///no/such/dir/bot.db".into()).await;
        assert!(
            missing_dir.contains("cannot open store `sqlite:///no/such/dir/bot.db`"),
            "{missing_dir}"
        );
        assert!(error("sqlite://x.db?fast=yes".into())
            .await
            .contains("synchronous=normal|full"));
        assert!(error("mongodb://localhost/db".into())
            .await
            .contains("`postgres://USER@HOST/DB` or `redis://HOST:PORT`"));

        let path = temp_file("newer.db");
        drop(SqliteStore::open(&path).await.unwrap());
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.pragma_update(None, "user_version", 99).unwrap();
        drop(raw);
        let newer = error(format!("sqlite://{}", path.display())).await;
        assert!(
            newer.contains("schema version 99, newer than this build's 2"),
            "{newer}"
        );
        assert!(!newer.contains('\n'), "one line");
    }

    #[tokio::test]
    async fn a_file_is_created_on_first_use_and_keeps_flows_across_opens() {
        use orchestrator_core::{FlowRecord, MessageContext};
        let path = temp_file("kept.db");
        let url = format!("sqlite://{}", path.display());
        let first = store::open(&url).await.unwrap();
        let mut record = FlowRecord::new(
            "f",
            1,
            serde_json::json!("A"),
            "A",
            MessageContext::new("T", "U", "D1"),
            chrono::Utc::now(),
        );
        record.version = 1;
        first.commit(&record, 0, None).await.unwrap();
        drop(first);
        let again = store::open(&url).await.unwrap();
        assert_eq!(again.load(record.id).await.unwrap(), Some(record));
    }
}

/// On the PostgreSQL server of `DATABASE_URL` (default: the local one), in a schema of its own.
#[cfg(feature = "postgres")]
mod postgres {
    use orchestrator_runtime::store;
    use orchestrator_testkit as testkit;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_postgres_store_keeps_the_contract_with_two_handles_on_one_database() {
        let url = testkit::postgres_url();
        // Two stores with their own connections, as two replicas have.
        let a = store::open(&url).await.unwrap();
        let b = store::open(&url).await.unwrap();
        testkit::check_store(&*a, &*b).await;
    }

    /// Two replicas receive two events of one conversation at once, and the one timed
    /// first is stored last: its insert was slow (here it waits for a third connection's
    /// open transaction, which holds its event id), while the other was stored and its
    /// worker looked for older events and found none. The slow one must then go after it,
    /// not before it by its time: otherwise both workers apply their event side by side.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_event_whose_insert_was_slow_goes_after_one_of_its_conversation_stored_meanwhile() {
        use orchestrator_core::{Receipt, Received, Store};
        use std::sync::Arc;
        let url = testkit::postgres_url();
        let (a, b) = (store::open(&url).await.unwrap(), store::open(&url).await.unwrap());
        let run = uuid::Uuid::new_v4().simple().to_string();
        let event = |id: &str, at| dm(&format!("Ev{id}{run}"), &format!("D{run}"), at);
        let now = chrono::Utc::now();
        let (slow, quick) = (
            event("Slow", now),
            event("Quick", now + chrono::Duration::milliseconds(50)),
        );
        let lease = now + chrono::Duration::seconds(30);
        // Whether a worker that received `event` applies it now, as the engine decides:
        // nothing else was unsettled when it was stored, or it is the oldest unsettled.
        let goes_now = |store: Arc<dyn Store>, event: Received| async move {
            let receipt = store.receive(&event, lease).await.unwrap();
            let waits_for = store
                .oldest_unsettled(&event.conversation(), Some(&event.key))
                .await
                .unwrap();
            receipt == Receipt::NewFirst || (receipt == Receipt::New && waits_for.is_none())
        };

        let (mut holder, connection) = blocker_connection(&url).await;
        let held = holder.transaction().await.unwrap();
        held.execute(
            "INSERT INTO events (key, conv_key, received_at, lease_until, settled) VALUES ($1, 'elsewhere', 0, 0, FALSE)",
            &[&slow.key],
        )
        .await
        .unwrap();
        let slow_one = tokio::spawn(goes_now(a.clone(), slow));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let quick_one = tokio::spawn(goes_now(b.clone(), quick));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        held.rollback().await.unwrap();
        let (slow_goes, quick_goes) = (slow_one.await.unwrap(), quick_one.await.unwrap());
        assert!(
            slow_goes != quick_goes,
            "exactly one of them is applied first (the slow one: {slow_goes}, the quick one: {quick_goes})"
        );
        drop(holder);
        connection.abort();
    }

    /// A schema written by an older build is brought up to date when a store opens it,
    /// and one written by a newer build is refused with one clear line.
    #[tokio::test]
    async fn an_older_schema_is_migrated_and_a_newer_one_refused() {
        use orchestrator_core::Receipt;
        let url = testkit::postgres_url();
        drop(store::open(&url).await.unwrap());
        let (holder, connection) = blocker_connection(&url).await;
        // As the first schema was: no receive function.
        holder
            .batch_execute("DROP FUNCTION receive_event; UPDATE schema_version SET version = 1")
            .await
            .unwrap();
        let upgraded = store::open(&url).await.expect("the first schema is migrated");
        let event = dm(
            &format!("Ev{}", uuid::Uuid::new_v4().simple()),
            "D1",
            chrono::Utc::now(),
        );
        let receipt = upgraded.receive(&event, chrono::Utc::now()).await.unwrap();
        assert_eq!(receipt, Receipt::NewFirst);
        holder
            .batch_execute("UPDATE schema_version SET version = 99")
            .await
            .unwrap();
        let refused = store::open(&url)
            .await
            .err()
            .expect("a newer schema is refused")
            .to_string();
        assert!(refused.contains("newer than this build's 2"), "{refused}");
        assert!(!refused.contains('\n'), "one line: {refused}");
        connection.abort();
    }

    /// A message `event_id` from U1 in DM `channel`, received `at`.
    fn dm(event_id: &str, channel: &str, at: chrono::DateTime<chrono::Utc>) -> orchestrator_core::Received {
        let body = serde_json::json!({"type": "event_callback", "team_id": "T1", "event_id": event_id,
            "event": {"type": "message", "channel": channel, "channel_type": "im", "user": "U1", "text": "hi", "ts": "1.1"}});
        let incoming = orchestrator_core::Incoming::from_json(&body).unwrap().unwrap();
        orchestrator_core::Received::new(incoming, at).unwrap()
    }

    /// A plain connection to the test server, in the schema of `url`.
    async fn blocker_connection(url: &str) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
        let mut parsed = url::Url::parse(url).unwrap();
        let schema = parsed
            .query_pairs()
            .find(|(k, _)| k == "schema")
            .unwrap()
            .1
            .into_owned();
        parsed.set_query(None);
        let (client, connection) = tokio_postgres::connect(parsed.as_str(), tokio_postgres::NoTls)
            .await
            .unwrap();
        let connection = tokio::spawn(async move {
            let _ = connection.await;
        });
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .await
            .unwrap();
        (client, connection)
    }

    #[tokio::test]
    async fn an_unreachable_server_or_a_bad_option_is_one_clear_error() {
        let error = |url: &'static str| async move { store::open(url).await.err().expect("refused").to_string() };
        let down = error("postgres://root@127.0.0.1:1/test").await;
        assert!(
            down.contains("cannot open store `postgres://root@127.0.0.1:1/test`"),
            "{down}"
        );
        assert!(!down.contains('\n'), "one line: {down}");
        let secret = error("postgres://root:hunter2@127.0.0.1:1/test").await;
        assert!(!secret.contains("hunter2"), "the password is not shown: {secret}");
        assert!(error("postgres://root@127.0.0.1/test?schema=a;drop")
            .await
            .contains("use letters, digits and `_`"));
    }
}

/// On the Redis server of `REDIS_URL` (default: the local one), under a key prefix of its own.
#[cfg(feature = "redis")]
mod redis {
    use orchestrator_runtime::store;
    use orchestrator_testkit as testkit;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_redis_store_keeps_the_contract_with_two_handles_on_one_server() {
        let url = testkit::redis_url();
        let a = store::open(&url).await.unwrap();
        let b = store::open(&url).await.unwrap();
        testkit::check_store(&*a, &*b).await;
    }

    #[tokio::test]
    async fn an_unreachable_server_is_one_clear_error() {
        let down = store::open("redis://127.0.0.1:1/0")
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(down.contains("cannot open store `redis://127.0.0.1:1/0`"), "{down}");
        assert!(!down.contains('\n'), "one line: {down}");
    }
}
