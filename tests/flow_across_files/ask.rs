//! The signup flow's questions.

use crate::steps::Signup;
use slack_orchestrator::prelude::*;

#[step(Signup::Welcome)]
async fn welcome(cx: &mut Cx) -> Next<Signup> {
    cx.say("Your name?").await?;
    goto(Signup::AskName)
}

#[step(Signup::AskName)]
async fn ask_name(cx: &mut Cx, name: Text) -> Next<Signup> {
    if name.len() > 40 {
        return stay();
    }
    let buttons = blocks::actions("team", vec![blocks::button("team", "Design", "design")]);
    cx.send_interactive_message(
        format!("{name}, which team? (click or type)"),
        serde_json::json!([buttons]),
    )
    .await?;
    goto(Signup::AskTeam { name: name.into() })
}
