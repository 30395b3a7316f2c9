//! The app's Home tab: `trigger = app_home` starts a flow each time a user opens it, which
//! publishes their Home view with `cx.publish_home`, apart from (and never blocked by) a
//! flow running in their DM with the bot.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/onboarding.rs"]
mod onboarding_example;

use onboarding_example::Onboarding;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{payloads, FlowState, Orchestrator, SlackRequest};

#[slack_orchestrator::flow(trigger = app_home)]
mod home {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Home {
        #[start]
        Show,
    }

    #[step(Show)]
    async fn show(cx: &mut Cx) -> Next<Home> {
        let greeting = blocks::section(&format!("Hello <@{}>! Say hi in Messages to start.", cx.user_id()));
        cx.publish_home(serde_json::json!({"type": "home", "blocks": [greeting]}))
            .await?;
        complete_silently()
    }
}

fn published(bot: &TestBot) -> Vec<serde_json::Value> {
    bot.slack()
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SlackRequest::Call { method, args } if method == "views.publish" => Some(args),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn opening_home_publishes_the_users_view_every_time_even_during_a_dm_flow() {
    let bot = TestBot::new(Orchestrator::builder().flow::<home::Home>().flow::<Onboarding>());
    let mut dm = bot.dm("U_ANA");
    dm.send("hi").await;
    dm.expect_reply("Let's start the workflow. Step 1: What's your name?");

    for n in 0..2 {
        let opened = bot
            .deliver(&payloads::app_home_opened(TEAM, "U_ANA", &format!("EvHome{n}")))
            .await;
        assert_eq!(opened.state(), Some(FlowState::Completed), "{opened:?}");
    }
    let views = published(&bot);
    assert_eq!(views.len(), 2, "one view per opening");
    assert_eq!(views[0]["user_id"], "U_ANA");
    assert_eq!(views[0]["view"]["type"], "home");

    // The DM flow went on undisturbed.
    dm.send("Ana").await;
    dm.expect_reply("Nice to meet you, Ana! Step 2: What can I help you with?");
}

#[tokio::test]
async fn the_messages_tab_is_not_the_home_tab() {
    let bot = TestBot::new(Orchestrator::builder().flow::<home::Home>());
    let mut body = payloads::app_home_opened(TEAM, "U_ANA", "EvMessagesTab");
    body["event"]["tab"] = "messages".into();
    bot.deliver(&body).await;
    assert!(published(&bot).is_empty());
}
