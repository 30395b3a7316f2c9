//! A quick-fire quiz: timeouts that continue the flow. DM the bot; it asks a question and
//! gives you 20 seconds. When they pass, a `Timeout` handler sends a hint and gives you 20
//! more (a late answer still counts); when those pass too, the flow times out with the
//! answer. Wrong answers do not buy time: a step's deadline counts from when it was entered.
//!
//! The same shape makes "remind after 1 h, escalate to the manager after 4 h, then expire".
//!
//! ```text
//! cargo run --example quiz
//! ```

use slack_orchestrator::prelude::*;

/// The quiz flow.
#[flow(trigger = direct_message, timeout = "20s", timeout_message = "Time's up! The answer was Paris.")]
pub mod quiz {
    use slack_orchestrator::prelude::*;

    /// The steps of the quiz.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Quiz {
        /// Asks the question.
        #[start]
        Ask,
        /// Waits for an answer; its deadline brings a hint.
        Answer,
        /// Waits for an answer after the hint; its deadline ends the quiz.
        Hinted,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Quiz> {
        cx.say("Quick quiz: what is the capital of France? You have 20 seconds.")
            .await?;
        goto(Quiz::Answer)
    }

    #[step(Answer)]
    async fn answer(cx: &mut Cx, guess: Text) -> Next<Quiz> {
        judge(cx, &guess).await
    }

    #[step(Answer)]
    async fn hint(cx: &mut Cx, _deadline: Timeout) -> Next<Quiz> {
        cx.say("Hint: it is called the City of Light. 20 more seconds.").await?;
        goto(Quiz::Hinted)
    }

    #[step(Hinted)]
    async fn late_answer(cx: &mut Cx, guess: Text) -> Next<Quiz> {
        judge(cx, &guess).await
    }

    async fn judge(cx: &mut Cx, guess: &str) -> Next<Quiz> {
        if guess.trim().eq_ignore_ascii_case("paris") {
            return complete("Correct: Paris!");
        }
        cx.say("Not quite; try again.").await?;
        stay()
    }
}

slack_orchestrator::main!(quiz::Quiz);
