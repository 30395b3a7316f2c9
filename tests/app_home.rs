//! The app's Home tab: `trigger = app_home` starts a flow each time a user opens it, which
//! publishes their Home view with `cx.publish_home`, apart from (and never blocked by) a
//! flow running in their DM with the bot. What a Home flow says goes to that DM (the
//! Messages tab beside Home); a button on Home starts a flow that talks there too, and what
//! the user types there answers it.

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

#[slack_orchestrator::flow(trigger = app_home)]
mod desk {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Desk {
        #[start]
        Show,
    }

    /// A Home with a button, and a word in the Messages tab.
    #[step(Show)]
    async fn show(cx: &mut Cx) -> Next<Desk> {
        let button = blocks::button("request_access", "Request access", "access");
        let home = serde_json::json!({"type": "home", "blocks": [blocks::actions("desk", vec![button])]});
        cx.publish_home(home).await?;
        cx.say("Your desk is on the Home tab.").await?;
        complete_silently()
    }
}

#[slack_orchestrator::flow(trigger = action("request_access"))]
mod access {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Access {
        #[start]
        Ask,
        What,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, _clicked: Click) -> Next<Access> {
        cx.say("What do you need access to?").await?;
        goto(Access::What)
    }

    #[step(What)]
    async fn what(_cx: &mut Cx, what: Text) -> Next<Access> {
        complete(format!("Requested access to {what}."))
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

#[tokio::test]
async fn a_home_flow_talks_in_the_dm_and_a_home_button_starts_a_flow_answered_there() {
    let bot = TestBot::new(Orchestrator::builder().flow::<desk::Desk>().flow::<access::Access>());
    let mut dm = bot.dm("U_ANA");
    bot.deliver(&payloads::app_home_opened(TEAM, "U_ANA", "EvDesk")).await;
    dm.expect_reply("Your desk is on the Home tab.");
    let posted_to = |bot: &TestBot| -> Vec<String> {
        let requests = bot.slack().requests().into_iter();
        requests
            .filter_map(|r| match r {
                SlackRequest::PostMessage { channel, .. } => Some(channel),
                _ => None,
            })
            .collect()
    };
    assert_eq!(posted_to(&bot), ["U_ANA"], "to the user's id: the DM, not `home:U_ANA`");

    // As Slack sends a click on Home: no channel, the Home view.
    let home = published(&bot).remove(0)["view"].clone();
    let (block_id, button) = payloads::find_element(&home["blocks"], "request_access").expect("the button");
    let click = payloads::view_action(TEAM, "U_ANA", &home, "VHOME", &block_id, button, &[], "3.t");
    let outcome = bot.deliver(&click).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    dm.expect_reply("What do you need access to?");

    let outcome = dm.send("the VPN").await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    dm.expect_reply("Requested access to the VPN.");
    assert_eq!(
        posted_to(&bot),
        ["U_ANA", "U_ANA", "DU_ANA"],
        "then in the DM's id Slack answered with"
    );
}
