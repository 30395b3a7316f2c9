//! Options for external selects: a handler per `action_id`
//! (`OrchestratorBuilder::options`) turns a [`Suggestion`] (what the user typed) into
//! [`SelectOption`]s, answered in the response within Slack's 3 s. Nothing is stored and
//! no flow runs: a select asks again at each keystroke.

use crate::engine::outcome::caught;
use futures_util::future::BoxFuture;
use orchestrator_core::{SelectOption, Suggestion};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A registered handler.
pub(crate) type OptionsHandler = Arc<dyn Fn(Suggestion) -> BoxFuture<'static, Vec<SelectOption>> + Send + Sync>;

/// The handlers, by the `action_id` of their select.
pub(crate) type OptionsHandlers = HashMap<String, OptionsHandler>;

/// How long a handler may take: Slack shows nothing after 3 s, and the answer must travel.
const PATIENCE: Duration = Duration::from_millis(2500);

/// Slack's limits: options in one answer, characters of an option's text.
const MAX_OPTIONS: usize = 100;
const MAX_LABEL: usize = 75;

/// The options for `asked`: its handler's, or none (no handler for that select, or one
/// that failed or took longer than 2.5 s, each logged).
pub(crate) async fn options_for(handlers: &OptionsHandlers, asked: Suggestion) -> Vec<SelectOption> {
    let started = std::time::Instant::now();
    let action_id = asked.action_id.clone();
    let Some(handler) = handlers.get(&action_id) else {
        tracing::warn!(%action_id, "an external select asked for options; none is registered for it");
        crate::telemetry::options_answered("unknown", started);
        return Vec::new();
    };
    let (outcome, options) = match tokio::time::timeout(PATIENCE, caught(handler(asked))).await {
        Ok(Ok(options)) => ("answered", options),
        Ok(Err(panic)) => {
            tracing::error!(%action_id, %panic, "the options handler panicked; the select shows none");
            ("failed", Vec::new())
        }
        Err(_) => {
            tracing::warn!(%action_id, "the options handler took more than 2.5 s; the select shows none");
            ("late", Vec::new())
        }
    };
    crate::telemetry::options_answered(outcome, started);
    options
}

/// The answer Slack expects: `{"options": [...]}`, at most 100, texts cut to 75 characters.
pub(crate) fn options_body(options: &[SelectOption]) -> Value {
    let options: Vec<Value> = options
        .iter()
        .take(MAX_OPTIONS)
        .map(|o| {
            let label: String = o.label.chars().take(MAX_LABEL).collect();
            orchestrator_core::blocks::option(&o.value, &label)
        })
        .collect();
    json!({ "options": options })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_keeps_to_slacks_limits() {
        let many: Vec<SelectOption> = (0..150)
            .map(|n| SelectOption::new(n.to_string(), "é".repeat(80)))
            .collect();
        let body = options_body(&many);
        let options = body["options"].as_array().unwrap();
        assert_eq!(options.len(), 100);
        assert_eq!(options[0]["text"]["text"].as_str().unwrap().chars().count(), 75);
        assert_eq!(options[99]["value"], "99");
    }
}
