//! Every store honours the `Store` contract.

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    orchestrator_runtime::testkit::check_store(&orchestrator_core::MemoryStore::new()).await;
}
