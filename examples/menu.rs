//! The original's interactive example: "Choose an option" with buttons Option 1 / Option 2,
//! then a select menu, the message updated with the choice made. Also `/feedback` opens a
//! modal whose answer is validated (an invalid score is shown under the field).
//!
//! ```text
//! cargo run --example menu      # type "menu", then a number to pick ("cancel" leaves); or "/feedback"
//! ```

use slack_orchestrator::prelude::*;

/// Buttons, then a select menu; "cancel" leaves it at any step.
#[flow(trigger = keyword("menu"), trigger = direct_message, timeout = "10m", timeout_message = false, cancel = "cancel")]
pub mod menu {
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    /// The steps of the menu conversation.
    #[derive(Debug, Clone)]
    pub enum Menu {
        /// Shows the buttons.
        #[start]
        Choose,
        /// Waits for a size from the select menu.
        PickSize {
            /// The option clicked first.
            option: String,
        },
    }

    #[step(Choose)]
    async fn show_options(cx: &mut Cx) -> Next<Menu> {
        let blocks = json!([
            blocks::section("Choose an option:"),
            blocks::actions(
                "options",
                vec![
                    blocks::button("option_1", "Option 1", "1"),
                    blocks::button("option_2", "Option 2", "2"),
                ]
            ),
        ]);
        cx.send_interactive_message("Choose an option", blocks).await?;
        stay()
    }

    #[step(Choose)]
    async fn chosen(cx: &mut Cx, click: Click) -> Next<Menu> {
        let option = click.value.unwrap_or_default();
        if let Some(ts) = &click.message_ts {
            cx.update_message(ts.clone(), format!("You chose Option {option}"), Some(json!([])))
                .await?;
        }
        let blocks = json!([
            blocks::section(&format!("Option {option}: which size?")),
            blocks::actions(
                "size",
                vec![blocks::static_select(
                    "size",
                    "Pick a size",
                    &[("s", "Small"), ("l", "Large")]
                )]
            ),
        ]);
        cx.send_interactive_message("Which size?", blocks).await?;
        goto(Menu::PickSize { option })
    }

    #[step(Choose)]
    async fn typed_instead(cx: &mut Cx, _text: Text) -> Next<Menu> {
        cx.say("Please pick one of the buttons.").await?;
        stay()
    }

    #[step(PickSize { option })]
    async fn size(cx: &mut Cx, option: String, size: Selection) -> Next<Menu> {
        let label = size.label.unwrap_or(size.value);
        cx.set("choice", format!("{option}/{label}"));
        complete(format!("Option {option}, size {label}. Done!"))
    }
}

/// A modal opened by a slash command.
#[flow(trigger = command("/feedback"), timeout = "15m")]
pub mod feedback {
    use slack_orchestrator::prelude::*;

    /// The steps of the feedback form.
    #[derive(Debug, Clone)]
    pub enum Feedback {
        /// Opens the modal.
        #[start]
        Open,
        /// Waits for the submission.
        Form,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<Feedback> {
        let view = blocks::modal(
            "feedback",
            "Feedback",
            "Send",
            vec![
                blocks::text_input("score", "score", "Score from 1 to 5"),
                blocks::text_input("comment", "comment", "Comment"),
            ],
        );
        cx.open_modal(view).await?;
        goto(Feedback::Form)
    }

    #[step(Form)]
    async fn submitted(cx: &mut Cx, form: Submission) -> Next<Feedback> {
        match form
            .value("score")
            .and_then(|s| s.trim().parse::<u8>().ok())
            .filter(|s| (1..=5).contains(s))
        {
            Some(score) => {
                cx.set("score", score);
                complete(format!(
                    "Thanks for the {score}/5! You said: {}",
                    form.value("comment").unwrap_or("")
                ))
            }
            // Shown under the field; the modal stays open and the flow waits for another try.
            None => reject([("score", "The score must be a number from 1 to 5.")]),
        }
    }
}

slack_orchestrator::main!(feedback::Feedback, menu::Menu);
