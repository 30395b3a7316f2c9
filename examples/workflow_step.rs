//! A custom step for Slack's Workflow Builder, as a conversation: when a workflow reaches
//! the step "Ask for approval" (`callback_id: approval_step`, declared under `functions` in
//! the app's manifest), the bot asks the approver from the step's inputs in their DM, waits
//! for their click, and completes the step with the decision as its outputs; the workflow
//! then goes on. Nobody answering within a day fails the step (the workflow stops, saying
//! why), as does any other way the conversation ends without completing it.
//!
//! ```text
//! cargo run --example workflow_step   # console: /workflow approval_step approver=U_APPROVER; request=deploy v2
//!                                     # then /as U_APPROVER and 1 to approve
//! ```

use slack_orchestrator::prelude::*;

/// One run of the "Ask for approval" step.
#[flow(trigger = function("approval_step"), timeout = "1d",
       timeout_message = "Nobody decided within a day.")]
pub mod approval_step {
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    /// The steps of one approval.
    #[derive(Debug, Clone)]
    pub enum ApprovalStep {
        /// Reads the workflow's inputs and asks the approver.
        #[start]
        Ask,
        /// Waits for the approver's click.
        Decide {
            /// What is to be approved.
            what: String,
            /// The approver's DM and the question's `ts` there, to update.
            dm: String,
            /// The question's `ts`.
            ts: String,
        },
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx, run: FunctionRun) -> Next<ApprovalStep> {
        let (Some(approver), Some(what)) = (run.input("approver"), run.input("request")) else {
            return fail("The step needs an `approver` and a `request`.");
        };
        let (approver, what) = (approver.to_owned(), what.to_owned());
        let blocks = json!([
            blocks::section(&format!("A workflow asks you to approve: *{what}*")),
            blocks::actions(
                "decision",
                vec![
                    blocks::button("approve", "Approve", "yes"),
                    blocks::button("decline", "Decline", "no"),
                ]
            ),
        ]);
        let dm = cx.open_dm(&approver).await?;
        let asked = cx
            .post_to(&dm, format!("Approval requested: {what}"), Some(blocks))
            .await?;
        // A workflow step has no user of its own: only the approver may decide.
        cx.hand_over([approver]);
        let ts = asked.ts().unwrap_or_default().to_owned();
        goto(ApprovalStep::Decide { what, dm, ts })
    }

    #[step(Decide { what, dm, ts })]
    async fn decide(cx: &mut Cx, what: String, dm: String, ts: String, click: Click) -> Next<ApprovalStep> {
        let approved = click.action_id == "approve";
        let who = cx.user_id().to_owned();
        let verdict = if approved { "approved" } else { "declined" };
        cx.update_message_in(&dm, &ts, format!("*{what}*: {verdict}. Thanks!"), Some(json!([])))
            .await?;
        cx.complete_function(json!({"approved": approved, "decided_by": who}))
            .await?;
        complete_silently()
    }
}

slack_orchestrator::main!(approval_step::ApprovalStep);
