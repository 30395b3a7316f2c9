//! A request form in a modal, validated inline: `/timeoff` opens a form (first day, last
//! day, an optional note). Every mistake is shown under its own field at once (a date that
//! is not `YYYY-MM-DD`, a first day in the past, a last day before the first, more than 20
//! working days); the modal stays open for another try. Closing the modal ends the flow.
//!
//! ```text
//! cargo run --example time_off        # console: type /timeoff
//! ```

use slack_orchestrator::prelude::*;

/// The time-off request.
#[flow(trigger = command("/timeoff"), timeout = "30m", timeout_message = false)]
pub mod time_off {
    use chrono::{Datelike, NaiveDate, Weekday};
    use slack_orchestrator::prelude::*;

    /// The longest request, in working days.
    pub const MAX_DAYS: u32 = 20;

    /// The steps of a request.
    #[derive(Debug, Clone, PartialEq)]
    pub enum TimeOff {
        /// Opens the form.
        #[start]
        Open,
        /// Waits for the form.
        Form,
    }

    #[step(Open)]
    async fn open(cx: &mut Cx, _command: Command) -> Next<TimeOff> {
        // Block ids and action ids differ, as Block Kit builders make them: errors are
        // named by the action id, the one `Submission::value` reads.
        let note = blocks::optional(blocks::text_input("note_block", "note", "Note for your manager"));
        let view = blocks::modal(
            "time_off",
            "Time off",
            "Request",
            vec![
                blocks::text_input("first_block", "first", "First day (YYYY-MM-DD)"),
                blocks::text_input("last_block", "last", "Last day (YYYY-MM-DD)"),
                note,
            ],
        );
        cx.open_modal(view).await?;
        goto(TimeOff::Form)
    }

    #[step(Form)]
    async fn submitted(cx: &mut Cx, form: Submission) -> Next<TimeOff> {
        let today = cx.now().date_naive();
        let first = date(form.value("first"));
        let last = date(form.value("last"));
        let mut errors: Vec<(&str, String)> = Vec::new();
        match &first {
            Err(why) => errors.push(("first", why.clone())),
            Ok(first) if *first < today => errors.push(("first", "That day has passed.".into())),
            Ok(_) => {}
        }
        match (&first, &last) {
            (_, Err(why)) => errors.push(("last", why.clone())),
            (Ok(first), Ok(last)) if last < first => {
                errors.push(("last", "The last day comes before the first.".into()))
            }
            (Ok(first), Ok(last)) if working_days(*first, *last) > MAX_DAYS => errors.push((
                "last",
                format!("That is more than {MAX_DAYS} working days: split it in two requests."),
            )),
            _ => {}
        }
        let (Ok(first), Ok(last), true) = (first, last, errors.is_empty()) else {
            return reject(errors);
        };
        let days = working_days(first, last);
        cx.set("first", first.to_string());
        cx.set("last", last.to_string());
        let note = form.value("note").filter(|n| !n.trim().is_empty());
        complete(match note {
            Some(note) => format!("Time off requested: {first} to {last}, {days} working days. Note: {note}"),
            None => format!("Time off requested: {first} to {last}, {days} working days."),
        })
    }

    fn date(value: Option<&str>) -> Result<NaiveDate, String> {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return Err("Please give a date.".into());
        }
        NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| format!("`{value}` is not a date like 2026-12-24."))
    }

    /// Monday to Friday from `first` to `last`, both included.
    pub fn working_days(first: NaiveDate, last: NaiveDate) -> u32 {
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .count() as u32
    }
}

slack_orchestrator::main!(time_off::TimeOff);
