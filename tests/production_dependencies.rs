//! What a bot ships: the facade's normal dependencies (default features) hold no test kit,
//! no HTTP client of the test kit's (reqwest), no trybuild, and tokio without `test-util`.

use std::process::Command;

fn cargo_tree(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-e", "normal", "-p", "slack-orchestrator"])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn a_bot_ships_no_test_kit_no_reqwest_no_trybuild() {
    let tree = cargo_tree(&[]);
    assert!(tree.contains("orchestrator-runtime"), "{tree}");
    for unwanted in ["orchestrator-testkit", "reqwest", "trybuild"] {
        assert!(
            !tree.contains(unwanted),
            "{unwanted} is a normal dependency of a bot:\n{tree}"
        );
    }
}

#[test]
fn tokio_comes_without_test_util() {
    let features = cargo_tree(&["-e", "features", "-i", "tokio"]);
    assert!(features.contains("tokio feature"), "{features}");
    assert!(
        !features.contains("\"test-util\""),
        "tokio's test-util reaches a bot:\n{features}"
    );
}
