//! Files in and out: DM the bot "timesheet", share your hours as a CSV (`project,hours`
//! lines), and it shares back the totals per project as a CSV of its own. A file that is
//! not such a CSV is refused with the line at fault, and the bot waits for another.
//!
//! ```text
//! cargo run --example timesheet   # type "timesheet", then "/file hours.csv"
//! ```

use slack_orchestrator::prelude::*;

/// Totals per project of `project,hours` lines (a header line is skipped), in the order
/// the projects first appear; or the line that is not such a line (tests/timesheet.rs).
pub fn totals(csv: &str) -> Result<Vec<(String, f64)>, String> {
    let mut totals: Vec<(String, f64)> = Vec::new();
    for (n, line) in csv.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parsed = line.split_once(',').and_then(|(project, hours)| {
            let hours = hours
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|h| h.is_finite() && *h >= 0.0)?;
            Some((project.trim(), hours))
        });
        let (project, hours) = match parsed {
            Some(parsed) => parsed,
            None if n == 0 => continue, // a header
            None => return Err(format!("line {}: `{line}` is not `project,hours`", n + 1)),
        };
        match totals.iter_mut().find(|(p, _)| p == project) {
            Some((_, total)) => *total += hours,
            None => totals.push((project.to_owned(), hours)),
        }
    }
    Ok(totals)
}

/// The timesheet conversation.
#[flow(trigger = keyword("timesheet"), timeout = "30m", cancel = "cancel")]
pub mod timesheet {
    use slack_orchestrator::prelude::*;
    use slack_orchestrator::FileUpload;

    /// The steps of a timesheet.
    #[derive(Debug, Clone)]
    pub enum Timesheet {
        /// Asks for the file.
        #[start]
        Ask,
        /// Waits for the file.
        Read,
    }

    #[step(Ask)]
    async fn ask(cx: &mut Cx) -> Next<Timesheet> {
        cx.say("Share your hours as a CSV of `project,hours` lines.").await?;
        goto(Timesheet::Read)
    }

    #[step(Read)]
    async fn read(cx: &mut Cx, files: Files) -> Next<Timesheet> {
        let Some(file) = files.first() else {
            return stay();
        };
        let bytes = cx.download(file).await?;
        let totals = match super::totals(&String::from_utf8_lossy(&bytes)) {
            Ok(totals) if !totals.is_empty() => totals,
            Ok(_) => {
                cx.say("That file has no hours in it. Share another.").await?;
                return stay();
            }
            Err(line) => {
                cx.say(format!("I can't read that file: {line}. Share another."))
                    .await?;
                return stay();
            }
        };
        let mut csv = String::from("project,hours\n");
        for (project, hours) in &totals {
            csv.push_str(&format!("{project},{hours}\n"));
        }
        let sum: f64 = totals.iter().map(|(_, hours)| hours).sum();
        let comment = format!("{sum} hours on {} project(s).", totals.len());
        cx.upload(
            FileUpload::new("totals.csv", csv)
                .title("Totals per project")
                .comment(comment),
        )
        .await?;
        complete_silently()
    }
}

slack_orchestrator::main!(timesheet::Timesheet);
