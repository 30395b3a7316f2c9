//! Running steps: from the handler the event selects, through entry handlers of the steps
//! it moves to, until the flow waits, completes or fails; then applying the result to the
//! record (state, step, deadline, version + 1) and saving it with one compare-and-swap.

use crate::orchestrator::{Orchestrator, OrchestratorError, Outcome};
use orchestrator_core::{
    Cx, Direction, FlowDefinition, FlowRecord, FlowState, Incoming, LoggedMessage, Participants, Payload, StepError,
    Transition,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which handler of the current step runs first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    /// The entry handler: for a new flow (whose start step, without one, gets the trigger
    /// as input instead), and after `goto`/`reask`.
    Enter,
    /// The input handler that accepts the event.
    Input,
}

/// A run of steps: how it ended and the step the flow is in.
struct Run {
    end: End,
    step: Value,
}

/// How a run of steps ended.
enum End {
    Wait,
    Reject(BTreeMap<String, String>),
    Complete(Option<String>),
    Fail(Option<String>),
    Error(String),
    /// The event was not an input the step takes; nothing is saved.
    Unhandled,
}

impl Orchestrator {
    pub(crate) fn new_record(&self, definition: &FlowDefinition, incoming: &Incoming) -> FlowRecord {
        let options = definition.options();
        let step_name = definition.step_info(definition.start()).map(|i| i.name).unwrap_or("?");
        let mut record = FlowRecord::new(
            &options.name,
            options.version,
            definition.start().clone(),
            step_name,
            incoming.context.clone(),
            self.inner.clock.now(),
        );
        if options.participants == Participants::Anyone {
            record.participants.clear();
        }
        record
    }

    /// Ends a flow in ERROR without running anything (its flow is gone, its step does not decode).
    pub(crate) async fn fail_record(
        &self,
        mut record: FlowRecord,
        reason: String,
    ) -> Result<Outcome, OrchestratorError> {
        tracing::error!(flow_id = %record.id, flow = %record.flow, %reason, "flow moved to ERROR");
        let expected = record.version;
        if let Err(illegal) = record.set_state(FlowState::Error) {
            tracing::warn!(flow_id = %record.id, %illegal, "flow already ended");
            return Ok(Outcome::Ended { flow_id: record.id });
        }
        record.error = Some(reason);
        record.deadline = None;
        self.save(record, expected).await
    }

    /// Runs the flow for one event and saves the result.
    pub(crate) async fn run(
        &self,
        definition: Arc<FlowDefinition>,
        mut record: FlowRecord,
        incoming: Incoming,
        first: First,
    ) -> Result<Outcome, OrchestratorError> {
        let now = self.inner.clock.now();
        let expected = record.version;
        if let Err(illegal) = record.set_state(FlowState::Processing) {
            return self.fail_record(record, illegal.to_string()).await;
        }
        record.log(inbound(&incoming, now));
        let step = record.step.clone();
        let mut cx = Cx::new(record, self.inner.slack.clone(), Some(incoming.clone()), now);
        let run = self
            .run_steps(&definition, &mut cx, &incoming, step, first, expected == 0)
            .await;
        if let End::Unhandled = run.end {
            return Ok(Outcome::Unhandled { flow_id: cx.flow_id() });
        }
        self.finish(&definition, cx, run, expected).await
    }

    /// Runs handlers from `first` on, following `goto`s into entry handlers, until the flow
    /// waits or ends (at most `max_chain` handlers).
    async fn run_steps(
        &self,
        definition: &FlowDefinition,
        cx: &mut Cx,
        incoming: &Incoming,
        mut step: Value,
        first: First,
        new_flow: bool,
    ) -> Run {
        let mut next = first;
        let mut ran = 0;
        let end = loop {
            if ran == self.inner.settings.max_chain {
                break End::Error(format!(
                    "more than {ran} steps ran for one event; is there a `goto` loop?"
                ));
            }
            let future = match next {
                First::Enter => definition.on_enter(step.clone(), cx),
                First::Input => definition.on_input(step.clone(), cx, incoming),
            };
            let transition = match future {
                Err(decode) => break End::Error(decode.to_string()),
                Ok(Some(future)) => future.await,
                Ok(None) => match (next, ran, new_flow) {
                    // A new flow whose start step has no entry handler: the trigger is its first input.
                    (First::Enter, 0, true) => {
                        next = First::Input;
                        continue;
                    }
                    // A step without entry handler waits; so does a new flow whose trigger
                    // is not an input its start step takes.
                    (First::Enter, _, _) | (First::Input, _, true) => break End::Wait,
                    (First::Input, _, false) => break End::Unhandled,
                },
            };
            ran += 1;
            match transition {
                Ok(Transition::Goto(to)) => match definition.step_info(&to) {
                    Ok(info) => {
                        step = to;
                        if info.terminal {
                            break End::Complete(None);
                        }
                        next = First::Enter;
                    }
                    Err(decode) => break End::Error(decode.to_string()),
                },
                Ok(Transition::Stay) => break End::Wait,
                Ok(Transition::Reject(errors)) => break End::Reject(errors),
                Ok(Transition::Reask) => next = First::Enter,
                Ok(Transition::Complete(message)) => break End::Complete(message),
                Ok(Transition::Fail(message)) => break End::Fail(message),
                Err(error) => break End::Error(describe(&error)),
            }
        };
        Run { end, step }
    }

    /// Applies how the run ended to the record (state, step, deadline, error), sends the
    /// final message, and saves.
    async fn finish(
        &self,
        definition: &FlowDefinition,
        mut cx: Cx,
        run: Run,
        expected: u64,
    ) -> Result<Outcome, OrchestratorError> {
        let (state, error) = match &run.end {
            End::Wait | End::Reject(_) => (FlowState::WaitingForResponse, None),
            End::Complete(message) => {
                self.send_final(&mut cx, message.as_deref()).await;
                (FlowState::Completed, None)
            }
            End::Fail(message) => {
                self.send_final(&mut cx, message.as_deref()).await;
                (
                    FlowState::Error,
                    Some(message.clone().unwrap_or_else(|| "the flow failed".into())),
                )
            }
            End::Error(reason) => {
                tracing::error!(flow_id = %cx.flow_id(), flow = definition.name(), %reason, "step failed");
                let message = self.inner.settings.error_message.clone();
                self.send_final(&mut cx, Some(&message)).await;
                (FlowState::Error, Some(reason.clone()))
            }
            End::Unhandled => unreachable!("nothing is saved for an unhandled event"),
        };
        let now = cx.now();
        let mut record = cx.into_record();
        let info = definition.step_info(&run.step).ok();
        record.step = run.step;
        if let Some(info) = &info {
            record.step_name = info.name.to_owned();
        }
        record
            .set_state(state)
            .expect("PROCESSING may become WAITING_FOR_RESPONSE, COMPLETED or ERROR");
        record.error = error;
        record.deadline = match state {
            FlowState::WaitingForResponse => info
                .and_then(|i| i.timeout)
                .or(definition.options().timeout)
                .and_then(|t| chrono::Duration::from_std(t).ok())
                .map(|t| now + t),
            _ => None,
        };
        let outcome = self.save(record, expected).await?;
        Ok(match (run.end, outcome) {
            (End::Reject(errors), Outcome::Advanced { flow_id, .. }) => Outcome::Rejected { flow_id, errors },
            (_, outcome) => outcome,
        })
    }

    async fn send_final(&self, cx: &mut Cx, message: Option<&str>) {
        if let Some(message) = message {
            if let Err(error) = cx.say(message).await {
                tracing::warn!(flow_id = %cx.flow_id(), %error, "could not send the flow's final message");
            }
        }
    }

    /// Writes the record as version `expected + 1`: an insert for a new flow, otherwise a
    /// compare-and-swap against `expected`.
    pub(crate) async fn save(&self, mut record: FlowRecord, expected: u64) -> Result<Outcome, OrchestratorError> {
        let inner = &self.inner;
        record.version = expected + 1;
        record.updated_at = inner.clock.now();
        if expected == 0 {
            inner.store.insert(&record).await?;
        } else {
            inner.store.update(&record, expected).await?;
        }
        if record.deadline.is_some() {
            inner.deadline_changed.notify_one();
        }
        Ok(Outcome::Advanced {
            flow_id: record.id,
            state: record.state,
            step: record.step_name,
        })
    }
}

fn describe(error: &StepError) -> String {
    match error.source() {
        Some(source) if source.to_string() != error.to_string() => format!("{error}: {source}"),
        _ => error.to_string(),
    }
}

/// The event as a line of the conversation's log.
fn inbound(incoming: &Incoming, at: chrono::DateTime<chrono::Utc>) -> LoggedMessage {
    let text = match &incoming.payload {
        Payload::Message { text, files } if files.is_empty() => text.clone(),
        Payload::Message { text, files } => format!("{text} [{} file(s)]", files.len()),
        Payload::Action(action) => match (&action.selected, &action.value) {
            (Some(selected), _) => format!("[chose {} in {}]", selected.value, action.action_id),
            (None, Some(value)) => format!("[clicked {} = {value}]", action.action_id),
            (None, None) => format!("[clicked {}]", action.action_id),
        },
        Payload::ViewSubmission(view) => format!("[submitted {}]", view.callback_id),
        Payload::Command(command) => format!("{} {}", command.command, command.text),
        Payload::NotInput(_) => String::new(),
    };
    LoggedMessage {
        direction: Direction::Inbound,
        user: Some(incoming.context.user_id.clone()),
        ts: incoming.ts.clone(),
        text,
        at,
    }
}
