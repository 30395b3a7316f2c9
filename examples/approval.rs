//! Named approvers: `/approve <what>` asks for an approval; only the requester and the
//! approver named in `APPROVER` (default `U_APPROVER`) can answer, anyone else's click
//! gets an ephemeral notice. Unanswered requests expire after an hour with a hook.
//!
//! ```text
//! cargo run --example approval -- graph
//! ```

use slack_orchestrator::prelude::*;

/// An approval with a named approver.
#[flow(trigger = command("/approve"), timeout = "1h", on_timeout = expired,
       timeout_message = "Nobody decided within the hour; the request expired.")]
pub mod approval {
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    /// The steps of an approval.
    #[derive(Debug, Clone)]
    pub enum Approval {
        /// Posts the request with Approve / Reject buttons.
        #[start]
        Request,
        /// Waits for the approver's decision.
        #[timeout("1h")]
        Decide {
            /// What is to be approved.
            what: String,
        },
        /// Approved.
        #[terminal]
        Approved,
    }

    #[step(Request)]
    async fn request(cx: &mut Cx, command: Command) -> Next<Approval> {
        let what = command.text.trim().to_owned();
        if what.is_empty() {
            return fail("Usage: /approve <what to approve>");
        }
        let approver = std::env::var("APPROVER").unwrap_or_else(|_| "U_APPROVER".into());
        cx.add_participant(approver.clone());
        let blocks = json!([
            blocks::section(&format!("<@{}> asks <@{approver}> to approve: *{what}*", cx.user_id())),
            blocks::actions(
                "decision",
                vec![
                    blocks::button("approve", "Approve", "approve"),
                    blocks::button("reject", "Reject", "reject"),
                ]
            ),
        ]);
        cx.send_interactive_message(format!("Approval requested: {what}"), blocks)
            .await?;
        goto(Approval::Decide { what })
    }

    #[step(Decide { what })]
    async fn decide(cx: &mut Cx, what: String, click: Click) -> Next<Approval> {
        let who = cx.user_id().to_owned();
        let verdict = if click.action_id == "approve" {
            "approved"
        } else {
            "rejected"
        };
        if let Some(ts) = click.message_ts {
            cx.update_message(ts, format!("*{what}* was {verdict} by <@{who}>"), Some(json!([])))
                .await?;
        }
        cx.set("decided_by", &who);
        if verdict == "approved" {
            goto(Approval::Approved)
        } else {
            fail(format!("{what} was rejected."))
        }
    }

    async fn expired(cx: &mut Cx, step: Approval) -> Result<(), StepError> {
        if let Approval::Decide { what } = step {
            cx.set("expired", what);
        }
        Ok(())
    }
}

slack_orchestrator::main!(approval::Approval);
