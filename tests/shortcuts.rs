//! Global and message shortcuts as triggers (`trigger = shortcut("callback_id")`), in the
//! payload shapes Slack documents: a global shortcut opens a modal with its `trigger_id`
//! and answers in the user's DM with the app; a message shortcut gets the message it was
//! used on and answers in its channel. A repeated delivery runs nothing twice.

use slack_orchestrator::payloads;
use slack_orchestrator::testkit::{TestBot, TEAM};
use slack_orchestrator::{FlowState, Orchestrator, Outcome, SlackRequest};

#[slack_orchestrator::flow(trigger = shortcut("new_request"))]
mod request {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Request {
        #[start]
        Open,
        Form,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _shortcut: Shortcut) -> Next<Request> {
        let what = blocks::text_input("what", "what", "What do you need?");
        cx.open_modal(blocks::modal("request", "New request", "Send", vec![what]))
            .await?;
        goto(Request::Form)
    }

    #[step(Form)]
    async fn sent(_cx: &mut Cx, form: Submission) -> Next<Request> {
        complete(format!("Request filed: {}", form.value("what").unwrap_or_default()))
    }
}

#[slack_orchestrator::flow(trigger = shortcut("report_message"))]
mod report {
    use slack_orchestrator::prelude::*;

    pub(crate) enum Report {
        #[start]
        Reported,
    }

    #[step(Reported)]
    async fn reported(_cx: &mut Cx, shortcut: Shortcut) -> Next<Report> {
        let Some(message) = &shortcut.message else {
            return fail("This shortcut works on a message.");
        };
        complete(format!(
            "Reported <@{}>'s message {}: \"{}\"",
            message.user, message.ts, message.text
        ))
    }
}

fn bot() -> TestBot {
    TestBot::new(
        Orchestrator::builder()
            .flow::<request::Request>()
            .flow::<report::Report>(),
    )
}

#[tokio::test]
async fn a_global_shortcut_opens_a_modal_and_answers_in_the_users_dm() {
    let bot = bot();
    let mut chat = bot.channel("U_ANA", "U_ANA");
    let shortcut = payloads::global_shortcut(TEAM, "U_ANA", "new_request", "42.7.abc");
    let outcome = bot.deliver(&shortcut).await;
    assert_eq!(outcome.state(), Some(FlowState::WaitingForResponse), "{outcome:?}");
    let opened = bot.slack().requests().into_iter().find_map(|r| match r {
        SlackRequest::OpenView { trigger_id, .. } => Some(trigger_id),
        _ => None,
    });
    assert_eq!(
        opened.as_deref(),
        Some("42.7.abc"),
        "the modal opens with the shortcut's trigger_id"
    );
    assert!(
        matches!(bot.deliver(&shortcut).await, Outcome::Duplicate),
        "a retry runs nothing"
    );

    let outcome = chat.submit(&[("what", "what", "A new laptop")]).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Request filed: A new laptop");
}

#[tokio::test]
async fn a_message_shortcut_gets_the_message_and_answers_in_its_channel() {
    let bot = bot();
    let mut chat = bot.channel("U_ANA", "C_GENERAL");
    let shortcut = payloads::message_shortcut(
        TEAM,
        "U_ANA",
        "C_GENERAL",
        ("1700000000.000100", "U_BOB", "buy crypto now"),
        "report_message",
        "42.8.abc",
    );
    let outcome = bot.deliver(&shortcut).await;
    assert_eq!(outcome.state(), Some(FlowState::Completed), "{outcome:?}");
    chat.expect_reply("Reported <@U_BOB>'s message 1700000000.000100: \"buy crypto now\"");
}

#[tokio::test]
async fn a_shortcut_no_flow_has_is_no_flow() {
    let bot = bot();
    let other = payloads::global_shortcut(TEAM, "U_ANA", "something_else", "42.9.abc");
    assert_eq!(bot.deliver(&other).await, Outcome::NoFlow);
}
