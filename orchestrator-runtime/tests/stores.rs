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
