//! Waiting on the world outside Slack: `/deploy v2.1` starts a deploy and waits for the CI
//! job to report back with *signals*, inputs sent to the flow by its id. CI relays its
//! stages (`progress`) and its end (`deployed`); a failure asks whether to retry, and a
//! retry waits for CI again. A signal CI sends twice (a retried webhook) counts once;
//! one the bot cannot read is said so, and the deploy keeps waiting.
//!
//! ```text
//! cargo run --example deploy            # console: /deploy v2.1, then
//!                                       #   /signal progress {"stage": "tests passed"}
//!                                       #   /signal deployed {"ok": true, "url": "https://example.com"}
//! ```
//!
//! Beside a bot running on a store, CI (or you) sends a signal with the bot's binary:
//!
//! ```text
//! cargo run --example deploy -- flows signal FLOW_ID deployed --data '{"ok": false, "error": "tests failed"}' --signal-id run-42
//! ```

use slack_orchestrator::prelude::*;

/// A deploy, from the command to CI's verdict.
#[flow(trigger = command("/deploy"), timeout = "30m",
       timeout_message = "CI has not reported for 30 minutes; have a look at the pipeline.")]
pub mod deploy {
    use serde::Deserialize;
    use serde_json::json;
    use slack_orchestrator::prelude::*;

    /// The steps of a deploy.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Deploy {
        /// Reads the version and says how CI reports back.
        #[start]
        Request,
        /// Waits for CI: its stages are relayed, its verdict ends the wait.
        Running {
            /// What is being deployed.
            version: String,
        },
        /// CI failed: retry, or give up.
        Failed {
            /// What was being deployed.
            version: String,
        },
    }

    /// A `progress` signal's data.
    #[derive(Deserialize)]
    pub struct Progress {
        /// The stage CI reached.
        pub stage: String,
    }

    /// A `deployed` signal's data.
    #[derive(Deserialize)]
    pub struct Finished {
        /// Whether the deploy went out.
        pub ok: bool,
        /// Where it is live.
        #[serde(default)]
        pub url: Option<String>,
        /// Why it failed.
        #[serde(default)]
        pub error: Option<String>,
    }

    #[step(Request)]
    async fn request(cx: &mut Cx, command: Command) -> Next<Deploy> {
        let version = command.text.trim().to_owned();
        if version.is_empty() {
            return fail("Usage: /deploy VERSION");
        }
        let id = cx.flow_id();
        cx.say(format!(
            "Deploying {version}. CI reports back to flow {id}: \
             `flows signal {id} deployed --data '{{\"ok\": true}}'`."
        ))
        .await?;
        goto(Deploy::Running { version })
    }

    #[step(Running { version })]
    async fn reported(cx: &mut Cx, version: String, signal: Signal) -> Next<Deploy> {
        match signal.name.as_str() {
            "progress" => {
                let Some(progress) = readable::<Progress>(cx, &signal).await? else {
                    return stay();
                };
                cx.say(format!("{version}: {}", progress.stage)).await?;
                stay()
            }
            "deployed" => {
                let Some(finished) = readable::<Finished>(cx, &signal).await? else {
                    return stay();
                };
                if finished.ok {
                    let at = finished.url.map(|url| format!(" at {url}")).unwrap_or_default();
                    return complete(format!("{version} is live{at}."));
                }
                let why = finished.error.unwrap_or_else(|| "no reason given".into());
                let buttons = json!([
                    blocks::section(&format!("The deploy of {version} failed: {why}. Retry?")),
                    blocks::actions(
                        "failed",
                        vec![
                            blocks::button("retry", "Retry", "retry"),
                            blocks::button("give_up", "Give up", "give_up"),
                        ]
                    ),
                ]);
                cx.send_interactive_message(format!("The deploy of {version} failed: {why}."), buttons)
                    .await?;
                goto(Deploy::Failed { version })
            }
            // Some other job's signal: not what this deploy waits for.
            _ => stay(),
        }
    }

    /// The signal's data as a `T`, or `None` after telling the channel what was wrong with
    /// it (the deploy keeps waiting for a readable one).
    async fn readable<T: serde::de::DeserializeOwned>(cx: &mut Cx, signal: &Signal) -> Result<Option<T>, StepError> {
        match signal.data::<T>() {
            Ok(data) => Ok(Some(data)),
            Err(error) => {
                cx.say(format!(
                    "CI sent a `{}` signal I could not read ({error}); still waiting.",
                    signal.name
                ))
                .await?;
                Ok(None)
            }
        }
    }

    #[step(Failed { version })]
    async fn decide(cx: &mut Cx, version: String, click: Click) -> Next<Deploy> {
        if click.action_id != "retry" {
            return fail(format!("The deploy of {version} was given up."));
        }
        cx.say(format!("Retrying {version}; waiting for CI again.")).await?;
        goto(Deploy::Running { version })
    }
}

slack_orchestrator::main!(deploy::Deploy);
