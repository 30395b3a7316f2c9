//! A daily standup, started on a schedule: at 9:00 on weekdays (`STANDUP_CRON`, in
//! `STANDUP_TZ`) the bot DMs each member of the team (`STANDUP_TEAM`, user ids separated by
//! commas) three questions. Someone who does not answer within an hour gets one reminder
//! and another hour; then (or when all three are answered) the answers are summarized in
//! `STANDUP_CHANNEL` (or in the DM when it is unset). `/standup` runs one by hand.
//!
//! ```text
//! cargo run --example standup          # console: type /standup
//! STANDUP_TEAM=U1,U2 STANDUP_CHANNEL=C_TEAM STANDUP_TZ=Europe/Paris cargo run --example standup
//! ```

use slack_orchestrator::prelude::*;
use slack_orchestrator::{OrchestratorBuilder, TargetError};

/// Who takes part, and where summaries go: the bot's state, read at each occurrence.
#[derive(Debug, Clone)]
pub struct Team {
    /// The members' user ids.
    pub members: Vec<String>,
    /// The channel summaries are posted to; `None` posts them in the member's DM.
    pub channel: Option<String>,
}

impl Team {
    /// From `STANDUP_TEAM` and `STANDUP_CHANNEL` (the console's user when unset).
    pub fn from_env() -> Team {
        let members = std::env::var("STANDUP_TEAM").unwrap_or_else(|_| "U_YOU".into());
        Team {
            members: members
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            channel: std::env::var("STANDUP_CHANNEL").ok().filter(|c| !c.is_empty()),
        }
    }
}

/// The standup flow.
#[flow(trigger = command("/standup"), timeout = "1h", timeout_message = false)]
pub mod standup {
    use super::Team;
    use slack_orchestrator::prelude::*;

    /// The questions, asked in order.
    pub const QUESTIONS: [&str; 3] = [
        "What did you do yesterday?",
        "What will you do today?",
        "Anything blocking you?",
    ];

    /// The steps of one member's standup.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Standup {
        /// `/standup` by hand; the schedule starts at `Ask { .. }`.
        #[start]
        ByHand,
        /// Asks question number `question`.
        Ask {
            /// The answers so far.
            answers: Vec<String>,
        },
        /// Waits for the answer; an hour without one brings a reminder, two end it.
        Listen {
            /// The answers so far.
            answers: Vec<String>,
            /// Whether the reminder was sent.
            reminded: bool,
        },
    }

    impl Standup {
        /// The first question, as the schedule starts it.
        pub fn first() -> Standup {
            Standup::Ask { answers: Vec::new() }
        }
    }

    #[step(ByHand)]
    async fn by_hand(_cx: &mut Cx, _command: Command) -> Next<Standup> {
        goto(Standup::first())
    }

    #[step(Ask { answers })]
    async fn ask(cx: &mut Cx, answers: Vec<String>) -> Next<Standup> {
        cx.say(QUESTIONS[answers.len()]).await?;
        goto(Standup::Listen {
            answers,
            reminded: false,
        })
    }

    #[step(Listen { answers })]
    async fn listen(cx: &mut Cx, mut answers: Vec<String>, said: Text) -> Next<Standup> {
        answers.push(said.as_str().trim().to_owned());
        if answers.len() < QUESTIONS.len() {
            return goto(Standup::Ask { answers });
        }
        summarize(cx, &answers).await
    }

    #[step(Listen { answers, reminded })]
    async fn unanswered(cx: &mut Cx, answers: Vec<String>, reminded: bool, _deadline: Timeout) -> Next<Standup> {
        if !reminded {
            cx.say(format!(
                "Reminder: {} (I'll wait another hour.)",
                QUESTIONS[answers.len()]
            ))
            .await?;
            return goto(Standup::Listen {
                answers,
                reminded: true,
            });
        }
        summarize(cx, &answers).await
    }

    /// Posts the summary where the team reads it and ends the flow.
    async fn summarize(cx: &mut Cx, answers: &[String]) -> Next<Standup> {
        let mut summary = format!("*Standup of <@{}>*", cx.user_id());
        for (i, question) in QUESTIONS.iter().enumerate() {
            let answer = answers.get(i).map_or("_(no answer)_", String::as_str);
            summary.push_str(&format!("\n{question} {answer}"));
        }
        let channel = cx.state::<Team>()?.channel.clone();
        match channel {
            Some(channel) => {
                cx.post_to(&channel, summary, None).await?;
                if answers.len() < QUESTIONS.len() {
                    complete(format!("Time's up: I posted what you answered in <#{channel}>."))
                } else {
                    complete(format!("Thanks! Your answers are in <#{channel}>."))
                }
            }
            None => complete(summary),
        }
    }
}

/// The bot: the flow, the team, and the schedule (`STANDUP_CRON` in `STANDUP_TZ`).
pub fn bot(team: Team, schedule: Schedule) -> OrchestratorBuilder {
    Orchestrator::builder()
        .flow::<standup::Standup>()
        .state(team)
        .schedule(schedule, members)
}

/// Whom the schedule asks: the team as it is at that moment.
async fn members(at: Occurrence) -> Result<Vec<(Target, standup::Standup)>, TargetError> {
    let team = at.state::<Team>()?;
    Ok(team
        .members
        .iter()
        .map(|member| (Target::dm(member), standup::Standup::first()))
        .collect())
}

/// The schedule from the environment: `STANDUP_CRON` (default `0 9 * * MON-FRI`) in
/// `STANDUP_TZ` (default `UTC`).
pub fn schedule_from_env() -> Result<Schedule, slack_orchestrator::ScheduleError> {
    let cron = std::env::var("STANDUP_CRON").unwrap_or_else(|_| "0 9 * * MON-FRI".into());
    let tz = std::env::var("STANDUP_TZ").unwrap_or_else(|_| "UTC".into());
    Schedule::cron(&cron)?.tz(&tz)
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    let schedule = match schedule_from_env() {
        Ok(schedule) => schedule,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    slack_orchestrator::cli::main(|| bot(Team::from_env(), schedule))
}
