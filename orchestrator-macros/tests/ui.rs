//! Compile-fail tests: each file under `tests/ui/<topic>/` is one mistake, with the
//! expected compiler output beside it. Regenerate with `TRYBUILD=overwrite` and review.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
