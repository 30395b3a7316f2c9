//! A help desk: `/ticket` opens a form of two pages (what and where, then the details), and
//! the bot then offers the known issues that match, in an external select whose options
//! it searches as the user types; picking one links the ticket, the button files a new one.
//!
//! ```text
//! cargo run --example helpdesk   # type "/ticket", answer the form, then pick a number
//! ```

use slack_orchestrator::prelude::*;

/// The known issues the search looks in (a tracker's API in a real bot).
pub const ISSUES: [(&str, &str); 4] = [
    ("PROJ-1", "Login fails on Safari"),
    ("PROJ-2", "Export to CSV times out"),
    ("PROJ-3", "Login page is slow"),
    ("PROJ-4", "Invoices show the wrong currency"),
];

/// The options of the `issue` select: the known issues whose key or title holds what the
/// user typed (all of them when nothing is typed yet).
pub async fn search_issues(asked: Suggestion) -> Vec<SelectOption> {
    let typed = asked.value.trim().to_lowercase();
    ISSUES
        .iter()
        .filter(|(key, title)| format!("{key} {title}").to_lowercase().contains(&typed))
        .map(|(key, title)| SelectOption::new(*key, format!("{key}: {title}")))
        .collect()
}

/// A ticket, from the form to a linked or new issue.
#[flow(trigger = command("/ticket"), timeout = "1h")]
pub mod ticket {
    use serde_json::json;
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::ModalAnswer;

    /// The steps of a ticket.
    #[derive(Debug, Clone)]
    pub enum Ticket {
        /// Opens the form's first page.
        #[start]
        Open,
        /// Waits for the first page: what and where.
        What,
        /// Waits for the second page: the details.
        Details {
            /// The ticket's title.
            title: String,
            /// The area it is about.
            area: String,
        },
        /// Waits for a known issue to be picked, or for a new one.
        Link {
            /// The ticket's title.
            title: String,
        },
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Ticket> {
        let area = json!({"type": "input", "block_id": "area", "label": {"type": "plain_text", "text": "Area"},
            "element": blocks::static_select("area", "Pick one", &[("web", "Web app"), ("billing", "Billing")])});
        let page = blocks::modal(
            "ticket-1",
            "Ticket (1/2)",
            "Next",
            vec![blocks::text_input("title", "title", "What is wrong"), area],
        );
        cx.open_modal(page).await?;
        goto(Ticket::What)
    }

    #[step(What)]
    async fn what(cx: &mut Cx, form: Submission) -> Next<Ticket> {
        let title = form.value("title").unwrap_or_default().trim().to_owned();
        if title.len() < 5 {
            return reject([("title", "Say a little more (5 characters at least).")]);
        }
        let area = form.value("area").unwrap_or("web").to_owned();
        let details = blocks::text_input("details", "details", &format!("Details of \"{title}\""));
        cx.answer_submission(ModalAnswer::Update(blocks::modal(
            "ticket-2",
            "Ticket (2/2)",
            "File it",
            vec![details],
        )))?;
        goto(Ticket::Details { title, area })
    }

    #[step(Details { title, area })]
    async fn details(cx: &mut Cx, title: String, area: String, form: Submission) -> Next<Ticket> {
        cx.set("details", form.value("details").unwrap_or_default());
        cx.set("area", &area);
        let issue = json!({"type": "external_select", "action_id": "issue", "min_query_length": 0,
            "placeholder": {"type": "plain_text", "text": "Search known issues"}});
        let blocks = json!([
            blocks::section(&format!("*{title}* ({area}): is it one of these?")),
            blocks::actions("link", vec![issue, blocks::button("new", "No, a new issue", "new")]),
        ]);
        cx.send_interactive_message(format!("{title}: is it a known issue?"), blocks)
            .await?;
        goto(Ticket::Link { title })
    }

    #[step(Link { title })]
    async fn linked(cx: &mut Cx, title: String, issue: Selection) -> Next<Ticket> {
        cx.set("issue", &issue.value);
        complete(format!(
            "\"{title}\" is linked to {}. We'll keep you posted.",
            issue.value
        ))
    }

    #[step(Link { title })]
    async fn new_issue(cx: &mut Cx, title: String, _new: Click) -> Next<Ticket> {
        cx.set("issue", "new");
        complete(format!("\"{title}\" is filed as a new issue."))
    }
}

fn main() -> std::process::ExitCode {
    slack_orchestrator::cli::main(|| {
        Orchestrator::builder()
            .flow::<ticket::Ticket>()
            .options("issue", search_issues)
    })
}
