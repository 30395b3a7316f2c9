//! Onboarding new members of the workspace. When someone joins (`team_join`), the bot
//! writes to them in their DM with the app: it asks their role (they type it), then their
//! team (buttons), and points them to the team's channel. A member who does not answer
//! within a day is reminded once; a day after that the flow ends, and the bot says where
//! to find help.
//!
//! Slack sends `team_join` with the `users:read` scope (see `slack-app-manifest.yml`).
//! Run it with no Slack credentials for a console chat, and type `/join`:
//!
//! ```text
//! cargo run --example new_member
//! ```

use slack_orchestrator::prelude::*;

/// The flow of one new member.
#[flow(
    trigger = team_join,
    timeout = "1d",
    timeout_message = "I'll leave you to it. Ask in <#C_HELP> whenever you need a hand."
)]
pub mod new_member {
    use slack_orchestrator::prelude::*;

    /// The teams a new member can join, with their channels.
    pub const TEAMS: [(&str, &str); 3] = [("Engineering", "C_ENG"), ("Design", "C_DESIGN"), ("Sales", "C_SALES")];

    /// The steps of one member's onboarding.
    #[derive(Debug, Clone, PartialEq)]
    pub enum NewMember {
        /// Greets the member and asks their role.
        #[start]
        Welcome,
        /// Waits for the role; its deadline reminds them once.
        AskRole,
        /// Waits for the role after the reminder; its deadline ends the flow.
        Reminded,
        /// Waits for a click on a team.
        AskTeam {
            /// The role they typed.
            role: String,
        },
    }

    #[step(Welcome)]
    async fn welcome(cx: &mut Cx) -> Next<NewMember> {
        let user = cx.user_id().to_owned();
        cx.say(format!(
            "Welcome to the workspace, <@{user}>! I'll get you set up. What's your role?"
        ))
        .await?;
        goto(NewMember::AskRole)
    }

    #[step(AskRole)]
    async fn role(cx: &mut Cx, role: Text) -> Next<NewMember> {
        ask_team(cx, role.as_str()).await
    }

    #[step(AskRole)]
    async fn remind(cx: &mut Cx, _deadline: Timeout) -> Next<NewMember> {
        cx.say("Just checking in: what's your role? (e.g. backend developer)")
            .await?;
        goto(NewMember::Reminded)
    }

    #[step(Reminded)]
    async fn late_role(cx: &mut Cx, role: Text) -> Next<NewMember> {
        ask_team(cx, role.as_str()).await
    }

    async fn ask_team(cx: &mut Cx, role: &str) -> Next<NewMember> {
        let buttons = TEAMS.iter().map(|(team, _)| blocks::button(team, team, team)).collect();
        let question = format!("Got it: {role}. Which team are you joining?");
        let message = serde_json::json!([blocks::section(&question), blocks::actions("teams", buttons)]);
        cx.send_interactive_message(question, message).await?;
        goto(NewMember::AskTeam { role: role.to_owned() })
    }

    #[step(AskTeam { role })]
    async fn team(cx: &mut Cx, role: String, picked: Click) -> Next<NewMember> {
        let Some((team, channel)) = TEAMS.iter().find(|(team, _)| *team == picked.action_id) else {
            return stay(); // Not one of the team buttons.
        };
        cx.set("role", role.as_str());
        cx.set("team", *team);
        complete(format!("You're all set as {role} in {team}. Say hi in <#{channel}>!"))
    }
}

slack_orchestrator::main!(new_member::NewMember);
