//! The step enum of the signup flow; its handlers live in `ask.rs` and `finish.rs`.

use slack_orchestrator::flow;

/// Signing up: a name, then a team.
#[flow(trigger = direct_message, timeout = "1h")]
#[derive(Debug)]
pub(crate) enum Signup {
    /// Asks for the name.
    #[start]
    Welcome,
    /// Waits for the name.
    AskName,
    /// Waits for the team.
    AskTeam {
        /// The name given.
        name: String,
    },
    /// Signed up.
    #[terminal]
    Done,
}
