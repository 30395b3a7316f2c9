//! Every store keeps the store contract.

#[tokio::test]
async fn the_memory_store_keeps_the_contract() {
    let store = orchestrator_core::MemoryStore::new();
    orchestrator_runtime::testkit::check_store(&store, &store).await;
}
