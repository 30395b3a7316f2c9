//! The original guided workflow: mention the bot (or DM it), give your name, say what you
//! need. Run it with no Slack credentials for a console chat:
//!
//! ```text
//! cargo run --example onboarding
//! cargo run --example onboarding -- graph
//! ```

use slack_orchestrator::prelude::*;

/// The steps of the onboarding conversation.
#[flow(trigger = mention, trigger = direct_message, timeout = "30m")]
#[derive(Debug, Clone, PartialEq)]
pub enum Onboarding {
    /// Greets and asks for the name.
    #[start]
    Welcome,
    /// Waits for the name.
    AskName,
    /// Waits for the request.
    AskHelp {
        /// The user's name.
        name: String,
    },
}

#[step(Onboarding::Welcome)]
async fn welcome(cx: &mut Cx) -> Next<Onboarding> {
    cx.say("Let's start the workflow. Step 1: What's your name?").await?;
    goto(Onboarding::AskName)
}

#[step(Onboarding::AskName)]
async fn ask_name(cx: &mut Cx, name: Text) -> Next<Onboarding> {
    cx.say(format!("Nice to meet you, {name}! Step 2: What can I help you with?"))
        .await?;
    goto(Onboarding::AskHelp { name: name.into() })
}

#[step(Onboarding::AskHelp { name })]
async fn ask_help(cx: &mut Cx, name: String, request: Text) -> Next<Onboarding> {
    cx.set("request", request.as_str());
    complete(format!("Thanks, {name}! I'll help you with: {request}"))
}

slack_orchestrator::main!(Onboarding);
