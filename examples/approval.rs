//! A two-person approval: `/approve @approver what` asks the named approver in their DM,
//! with Approve / Reject buttons, or a :white_check_mark: / :x: reaction to the request.
//! Only that approver can decide (the requester's own click, or anyone else's, gets an
//! ephemeral notice), and the request expires two minutes after it
//! was made, whatever happens meanwhile: the approver's message says so and the requester is
//! told. Without a mention, the approver is `APPROVER` (default `U_APPROVER`).
//!
//! ```text
//! cargo run --example approval           # console: /approve deploy v2, then /as U_APPROVER
//! cargo run --example approval -- graph
//! ```

use slack_orchestrator::prelude::*;

/// An approval with a named approver and a fixed deadline.
#[flow(trigger = command("/approve"), on_timeout = expired,
       timeout_message = "Nobody decided within 2 minutes; the request expired.")]
pub mod approval {
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    /// The steps of an approval.
    #[derive(Debug, Clone)]
    pub enum Approval {
        /// Reads the command and asks the approver.
        #[start]
        Request,
        /// Waits for the approver's decision, for two minutes from the request.
        #[timeout("2m")]
        Decide {
            /// What is to be approved.
            what: String,
            /// Who decides.
            approver: String,
            /// The approver's DM and the request message in it, to update.
            dm: String,
            /// The request message's `ts`.
            ts: String,
        },
        /// Approved.
        #[terminal]
        Approved,
    }

    /// The approver named in the command: a mention as Slack escapes it (`<@U123|ana>`,
    /// `<@U123>`), else the `APPROVER` setting. Returns the approver and the rest of the text.
    pub fn approver_and_request(text: &str) -> (String, String) {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("<@") {
            if let Some((mention, what)) = rest.split_once('>') {
                let id = mention.split('|').next().unwrap_or(mention);
                return (id.to_owned(), what.trim().to_owned());
            }
        }
        let approver = std::env::var("APPROVER").unwrap_or_else(|_| "U_APPROVER".into());
        (approver, text.to_owned())
    }

    #[step(Request)]
    async fn request(cx: &mut Cx, command: Command) -> Next<Approval> {
        let (approver, what) = approver_and_request(&command.text);
        if what.is_empty() {
            return fail("Usage: /approve @approver <what to approve>");
        }
        let requester = cx.user_id().to_owned();
        if approver == requester {
            return fail("You cannot approve your own request: name someone else.");
        }
        let blocks = json!([
            blocks::section(&format!(
                "<@{requester}> asks you to approve: *{what}* (2 minutes). \
                 Click, or react with :white_check_mark: or :x:."
            )),
            blocks::actions(
                "decision",
                vec![
                    blocks::button("approve", "Approve", "approve"),
                    blocks::button("reject", "Reject", "reject"),
                ]
            ),
        ]);
        let dm = cx.open_dm(&approver).await?;
        let asked = cx
            .post_to(&dm, format!("Approval requested: {what}"), Some(blocks))
            .await?;
        cx.hand_over([approver.clone()]);
        cx.say(format!("I asked <@{approver}> to approve {what}; they have 2 minutes."))
            .await?;
        goto(Approval::Decide {
            what,
            approver,
            dm,
            ts: asked.ts().unwrap_or_default().to_owned(),
        })
    }

    #[step(Decide { what, dm, ts })]
    async fn decide(cx: &mut Cx, what: String, dm: String, ts: String, click: Click) -> Next<Approval> {
        let approved = click.action_id == "approve";
        let who = decided(cx, &what, &dm, &ts, approved).await?;
        if approved {
            goto(Approval::Approved)
        } else {
            fail(format!("<@{who}> rejected {what}."))
        }
    }

    /// A reaction to the request decides too: :white_check_mark: approves, :x: rejects,
    /// any other emoji is no answer (the two minutes still run from the request).
    #[step(Decide { what, dm, ts })]
    async fn reacted(cx: &mut Cx, what: String, dm: String, ts: String, reaction: Reaction) -> Next<Approval> {
        let approved = match (reaction.name.as_str(), reaction.added) {
            ("white_check_mark", true) => true,
            ("x", true) => false,
            _ => return stay(),
        };
        let who = decided(cx, &what, &dm, &ts, approved).await?;
        if approved {
            goto(Approval::Approved)
        } else {
            fail(format!("<@{who}> rejected {what}."))
        }
    }

    /// Says what the approver decided: on the request (its buttons go), in the record, and
    /// to the requester if approved (a rejection is the flow's failure message). Returns
    /// the approver.
    async fn decided(cx: &mut Cx, what: &str, dm: &str, ts: &str, approved: bool) -> Result<String, StepError> {
        let verdict = if approved { "approved" } else { "rejected" };
        let who = cx.user_id().to_owned();
        cx.update_message_in(dm, ts, format!("*{what}* was {verdict} by <@{who}>"), Some(json!([])))
            .await?;
        cx.set("decided_by", &who);
        if approved {
            cx.say(format!("<@{who}> approved {what}.")).await?;
        }
        Ok(who)
    }

    /// The two minutes passed: the approver's buttons go, and the record says what expired.
    async fn expired(cx: &mut Cx, step: Approval) -> Result<(), StepError> {
        if let Approval::Decide { what, dm, ts, .. } = step {
            cx.update_message_in(
                &dm,
                &ts,
                format!("*{what}* expired: nobody decided within 2 minutes."),
                Some(json!([])),
            )
            .await?;
            cx.set("expired", what);
        }
        Ok(())
    }
}

slack_orchestrator::main!(approval::Approval);
