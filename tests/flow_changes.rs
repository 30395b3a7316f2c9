//! Stored state that no longer fits the code: a step's fields change between two runs of
//! the bot over the same SQLite file. With a `migrate` hook and a bumped `version` the
//! conversation goes on; without one, that flow (only that one) ends in ERROR with an
//! apology. Also: `deadline = last_event`, the deadline policy that restarts on every event.

use slack_orchestrator::prelude::*;
use slack_orchestrator::testkit::TestBot;
use slack_orchestrator::{FlowState, Store};
use std::sync::Arc;
use std::time::Duration;

/// The first release of the survey.
#[flow(trigger = direct_message, name = "survey")]
mod v1 {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Survey {
        #[start]
        Name,
        Team {
            name: String,
        },
    }

    #[step(Name)]
    async fn name(cx: &mut Cx, name: Text) -> Next<Survey> {
        cx.say("Which team?").await?;
        goto(Survey::Team { name: name.into() })
    }

    #[step(Team { name })]
    async fn team(_cx: &mut Cx, name: String, team: Text) -> Next<Survey> {
        complete(format!("{name} of {team}"))
    }
}

/// The next release: `Team` also keeps a nickname; old records are migrated.
#[flow(trigger = direct_message, name = "survey", version = 2, migrate = upgrade)]
mod v2 {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Survey {
        #[start]
        Name,
        Team {
            name: String,
            nickname: String,
        },
    }

    #[step(Name)]
    async fn name(cx: &mut Cx, name: Text) -> Next<Survey> {
        cx.say("Which team?").await?;
        goto(Survey::Team {
            nickname: name.to_lowercase(),
            name: name.into(),
        })
    }

    #[step(Team { name, nickname })]
    async fn team(_cx: &mut Cx, name: String, nickname: String, team: Text) -> Next<Survey> {
        complete(format!("{name} ({nickname}) of {team}"))
    }

    /// Version 1 kept `Team { name }`; the nickname is derived from it.
    fn upgrade(from: u32, mut step: serde_json::Value) -> Result<serde_json::Value, String> {
        if from == 1 {
            if let Some(team) = step.get_mut("Team") {
                let nickname = team["name"].as_str().ok_or("no name")?.to_lowercase();
                team["nickname"] = nickname.into();
            }
        }
        Ok(step)
    }
}

/// The same change shipped by mistake without a migration (still version 1).
#[flow(trigger = direct_message, name = "survey")]
mod careless {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Survey {
        #[start]
        Name,
        Team {
            name: String,
            nickname: String,
        },
    }

    #[step(Name)]
    async fn name(_cx: &mut Cx, _name: Text) -> Next<Survey> {
        stay()
    }

    #[step(Team { name, nickname })]
    async fn team(_cx: &mut Cx, name: String, nickname: String, team: Text) -> Next<Survey> {
        complete(format!("{name} ({nickname}) of {team}"))
    }
}

/// A release whose migration trips over the old shape (a bug); its steps never run.
#[flow(trigger = direct_message, name = "survey", version = 2, migrate = upgrade)]
mod hasty {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Survey {
        #[start]
        Ask,
        Team {
            nickname: String,
        },
    }

    #[step(Ask)]
    async fn ask(_cx: &mut Cx, _said: Text) -> Next<Survey> {
        stay()
    }

    #[step(Team { nickname })]
    async fn nicknamed(_cx: &mut Cx, nickname: String, _said: Text) -> Next<Survey> {
        complete(nickname)
    }

    /// Reads a field version 1 never had.
    fn upgrade(_from: u32, mut step: serde_json::Value) -> Result<serde_json::Value, String> {
        let nickname = step["Team"]["nick"].as_str().unwrap().to_owned();
        step["Team"]["nickname"] = nickname.into();
        Ok(step)
    }
}

/// A SQLite file in which U1 answered the survey's first question under version 1 of the
/// flow, by a bot that has since stopped.
async fn started_under_v1() -> Arc<dyn Store> {
    let store = sqlite_file().await;
    let before = TestBot::new(Orchestrator::builder().flow::<v1::Survey>().store(store.clone()));
    before.dm("U1").send("Alice").await;
    store
}

async fn sqlite_file() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("flow-changes-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bot.db").display());
    slack_orchestrator::store::open(&url).await.unwrap()
}

#[tokio::test]
async fn a_migrated_step_continues_after_the_upgrade() {
    let store = started_under_v1().await;

    let after = TestBot::new(Orchestrator::builder().flow::<v2::Survey>().store(store.clone()));
    let mut chat = after.dm("U1");
    let outcome = chat.send("Platform").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Alice (alice) of Platform");
    let record = &store.list(false, 10).await.unwrap()[0];
    assert_eq!(record.flow_version, 2, "the record is written under the new version");
}

#[tokio::test]
async fn a_migration_that_panics_ends_only_its_flow_with_an_apology() {
    let store = started_under_v1().await;

    let after = TestBot::new(Orchestrator::builder().flow::<hasty::Survey>().store(store.clone()));
    let mut alice = after.dm("U1");
    let outcome = alice.send("Platform").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    alice.expect_reply("Sorry, something went wrong and this conversation had to stop.");
    let error = store.list(false, 10).await.unwrap()[0]
        .error
        .clone()
        .unwrap_or_default();
    assert!(
        error.contains("could not be migrated") && error.contains("panicked"),
        "{error}"
    );
    let outcome = after.dm("U2").send("Bob").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "others go on");
}

#[tokio::test]
async fn a_step_that_no_longer_decodes_ends_only_its_flow_with_an_apology() {
    let store = started_under_v1().await;

    let after = TestBot::new(Orchestrator::builder().flow::<careless::Survey>().store(store.clone()));
    let mut alice = after.dm("U1");
    let outcome = alice.send("Platform").await;
    assert_eq!(outcome.state(), Some(FlowState::Error), "{outcome:?}");
    alice.expect_reply("Sorry, something went wrong and this conversation had to stop.");
    let failed = store.list(false, 10).await.unwrap();
    assert!(
        failed[0].error.as_deref().unwrap().contains("does not decode"),
        "{:?}",
        failed[0].error
    );
    // Others are not held up, and Alice can start again.
    let outcome = after.dm("U2").send("Bob").await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse));
    assert_eq!(alice.send("again").await.state(), Some(FlowState::WaitingForResponse));
}

#[flow(trigger = direct_message, timeout = "1m", deadline = last_event)]
mod chatty {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Chatty {
        #[start]
        Listen,
        #[deadline(entry)]
        Strict,
    }

    #[step(Listen)]
    async fn listen(_cx: &mut Cx, text: Text) -> Next<Chatty> {
        match text.as_str() {
            "strict" => goto(Chatty::Strict),
            _ => stay(),
        }
    }

    #[step(Strict)]
    async fn strict(_cx: &mut Cx, _text: Text) -> Next<Chatty> {
        stay()
    }
}

#[tokio::test(start_paused = true)]
async fn deadline_policies_restart_on_every_event_or_count_from_entry() {
    let bot = TestBot::new(Orchestrator::builder().flow::<chatty::Chatty>());
    let mut chat = bot.dm("U1");
    chat.send("one").await;
    for _ in 0..3 {
        assert_eq!(bot.advance(Duration::from_secs(50)).await, 0);
        chat.send("more").await; // `last_event`: every answer restarts the minute
    }
    chat.send("strict").await;
    assert_eq!(bot.advance(Duration::from_secs(50)).await, 0);
    chat.send("more").await; // `#[deadline(entry)]`: this answer does not
    assert_eq!(
        bot.advance(Duration::from_secs(11)).await,
        1,
        "a minute after entering `Strict`"
    );
    assert_eq!(bot.flows().await[0].state, FlowState::TimedOut);
}
