//! The signup flow's last step, answered by a click or by text.

use crate::steps::Signup;
use slack_orchestrator::prelude::*;

#[step(Signup::AskTeam { name })]
async fn typed_team(cx: &mut Cx, name: String, team: Text) -> Next<Signup> {
    cx.say(format!("Welcome to {team}, {name}!")).await?;
    goto(Signup::Done)
}

#[step(Signup::AskTeam { name })]
async fn clicked_team(cx: &mut Cx, name: String, team: Click) -> Next<Signup> {
    let team = team.value.unwrap_or_default();
    cx.say(format!("Welcome to {team}, {name}! (clicked)")).await?;
    goto(Signup::Done)
}
