//! The step runner: from the handler the event selects, through the entry handlers of the
//! steps it moves to, until the flow waits, completes or fails. Nothing here writes or
//! locks: [`StepRunner::step`] returns the run as a value ([`Stepped`]) that `commit`
//! applies to the record.

use crate::engine::clock::Clock;
use crate::engine::outcome::{caught, caught_now};
use crate::telemetry::Meters;
use orchestrator_core::{
    AppState, Cx, Direction, FlowDefinition, FlowRecord, Incoming, LoggedMessage, Participants, Payload, SlackApi,
    StepError, StepInfo, StoredStep, Transition,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which handler of the current step runs first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    /// A new flow: the start step's entry handler, or, if it has none, the trigger as the
    /// start step's first input.
    Start,
    /// The entry handler (after `goto`/`reask`).
    Enter,
    /// The input handler that accepts the event.
    Input,
}

/// A run of steps: how it ended, the step the flow is in, and whether it moved to a step.
pub(crate) struct Run {
    pub(crate) end: End,
    pub(crate) step: StoredStep,
    /// The description of `step` when the run decoded it (it moved there), so that the
    /// commit does not decode it again.
    pub(crate) info: Option<StepInfo>,
    /// The flow moved into a step (new flow, `goto`, `reask`): the messages this run asked
    /// with replace the ones the step it left asked with ([`FlowRecord::asked`]). A
    /// deadline handler that stays (a reminder) leaves the question as it was.
    pub(crate) moved: bool,
}

impl Run {
    /// Whether the run (re-)entered a step: it moved, or a deadline handler ran (on
    /// `incoming`, the run's event). Then the deadline restarts.
    pub(crate) fn entered(&self, incoming: Option<&Incoming>) -> bool {
        self.moved || incoming.is_some_and(|i| matches!(i.payload, Payload::Timeout { .. }))
    }
}

/// How a run is tried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    /// An earlier run of the same event may have posted before dying: each post is
    /// looked for first ([`Cx::set_replay`]).
    pub(crate) replay: bool,
    /// Until when a call Slack cannot make now puts the run off instead of failing the
    /// step ([`Cx::set_retry_later`]): `slack_patience` after the event arrived or the
    /// deadline fell due; compared with the run's own clock reading.
    pub(crate) retry_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// How a run of steps ended.
pub(crate) enum End {
    Wait,
    Reject(BTreeMap<String, String>),
    Complete(Option<String>),
    Fail(Option<String>),
    Error(String),
    /// The event was not an input the step takes; nothing is saved.
    Unhandled,
}

/// A run of steps as the runner hands it back: the step context (holding the changed
/// record and what the steps asked for), how the run ended, and the version the record was
/// loaded at (what the commit compares against).
pub(crate) struct Stepped {
    /// Boxed, as the record handed to [`StepRunner::step`]: every future down to the write
    /// holds a `Stepped`, and an event's task copies its future when it starts.
    pub(crate) cx: Box<Cx>,
    pub(crate) run: Run,
    pub(crate) expected: u64,
}

/// What steps need to run: the Slack port, the application state, the time, and the limit
/// on handlers run for one event. Its own state, shared by nothing else.
pub(crate) struct StepRunner {
    slack: Arc<dyn SlackApi>,
    state: Arc<AppState>,
    clock: Clock,
    max_chain: usize,
    meters: Arc<Meters>,
}

impl StepRunner {
    pub(crate) fn new(
        slack: Arc<dyn SlackApi>,
        state: Arc<AppState>,
        clock: Clock,
        max_chain: usize,
        meters: Arc<Meters>,
    ) -> Self {
        StepRunner {
            slack,
            state,
            clock,
            max_chain,
            meters,
        }
    }

    /// A step context over `record`, for `incoming` (none for a flow ended from outside).
    pub(crate) fn context(&self, record: FlowRecord, incoming: Option<Incoming>) -> Cx {
        Cx::new(record, self.slack.clone(), incoming, self.clock.now()).with_state(self.state.clone())
    }

    /// A new flow of `definition` at its start step, for the conversation of `incoming`.
    pub(crate) fn new_record(&self, definition: &FlowDefinition, incoming: &Incoming) -> FlowRecord {
        let options = definition.options();
        let step_name = definition.step_info(definition.start()).map(|i| i.name).unwrap_or("?");
        let mut record = FlowRecord::new(
            &options.name,
            options.version,
            definition.start().clone(),
            step_name,
            incoming.context.clone(),
            self.clock.now(),
        );
        if options.participants == Participants::Anyone {
            record.participants = vec![FlowRecord::ANYONE.to_owned()];
        }
        record
    }

    /// Runs the handlers `incoming` selects on `record` (migrated to the flow's version
    /// first), as `attempt` says. The record comes boxed: an `async fn` keeps its arguments
    /// for as long as it runs, so a record (several hundred bytes) handed down the run by
    /// value would be kept once by each level (see the size test in `orchestrator.rs`).
    pub(crate) async fn step(
        &self,
        definition: &FlowDefinition,
        mut record: Box<FlowRecord>,
        incoming: &Arc<Incoming>,
        first: First,
        attempt: Attempt,
    ) -> Stepped {
        let now = self.clock.now();
        let expected = record.version;
        let migrated = migrate(definition, &mut record);
        if incoming.is_user_input() || matches!(incoming.payload, Payload::Signal(_)) {
            record.log(inbound(incoming, now));
        }
        let step = record.step.clone();
        let mut cx = Box::new(
            Cx::sharing(*record, self.slack.clone(), Some(incoming.clone()), now).with_state(self.state.clone()),
        );
        cx.set_replay(attempt.replay);
        cx.set_retry_later(attempt.retry_until.is_some_and(|until| now < until));
        let started = std::time::Instant::now();
        let span = tracing::info_span!(
            "step",
            flow_id = %cx.flow_id(),
            flow = definition.name(),
            step = %cx.record().step_name,
        );
        let run = match migrated {
            Ok(()) => {
                use tracing::Instrument;
                self.run_steps(definition, &mut cx, incoming, step, first)
                    .instrument(span)
                    .await
            }
            Err(reason) => Run {
                end: End::Error(reason),
                step,
                info: None,
                moved: false,
            },
        };
        self.meters.step(definition.name(), started);
        Stepped { cx, run, expected }
    }

    /// Runs handlers from `first` on, following `goto`s into entry handlers, until the flow
    /// waits or ends (at most `max_chain` handlers).
    async fn run_steps(
        &self,
        definition: &FlowDefinition,
        cx: &mut Cx,
        incoming: &Incoming,
        mut step: StoredStep,
        first: First,
    ) -> Run {
        let new_flow = first == First::Start;
        let mut moved = new_flow;
        if first == First::Input && on_left_question(cx.record(), incoming) {
            // A button or menu of a question the flow has left: not an answer to this one.
            return Run {
                end: End::Unhandled,
                step,
                info: None,
                moved,
            };
        }
        let mut next = match first {
            First::Start => First::Enter,
            other => other,
        };
        let mut ran = 0;
        let mut info = None;
        let end = loop {
            if ran == self.max_chain {
                break End::Error(format!(
                    "more than {ran} steps ran for one event; is there a `goto` loop?"
                ));
            }
            let future = match next {
                First::Enter | First::Start => definition.on_enter(&step, cx),
                First::Input => definition.on_input(&step, cx, incoming),
            };
            let transition = match future {
                Err(decode) => break End::Error(decode.to_string()),
                // A handler that panics (a bug in the bot's code: an `unwrap`, an index out
                // of range) fails its step like an error: the flow ends in ERROR, the user
                // gets the apology, and the event is settled. Uncaught, the event would stay
                // pending and be taken over, and panic again, every lease.
                Ok(Some(future)) => match caught(future).await {
                    Ok(transition) => transition,
                    Err(panic) => break End::Error(format!("the step's handler panicked: {panic}")),
                },
                Ok(None) => match (next, ran, new_flow) {
                    // A new flow whose start step has no entry handler: the trigger is its first input.
                    (First::Enter, 0, true) => {
                        next = First::Input;
                        continue;
                    }
                    // A step without entry handler waits; so does a new flow whose trigger
                    // is not an input its start step takes.
                    (First::Enter | First::Start, _, _) | (First::Input, _, true) => break End::Wait,
                    (First::Input, _, false) => break End::Unhandled,
                },
            };
            ran += 1;
            match transition {
                Ok(Transition::Goto(to)) => match definition.step_info(&to) {
                    Ok(to_info) => {
                        step = to;
                        moved = true;
                        let terminal = to_info.terminal;
                        info = Some(to_info);
                        if terminal {
                            break End::Complete(None);
                        }
                        next = First::Enter;
                    }
                    Err(decode) => break End::Error(decode.to_string()),
                },
                Ok(Transition::Stay) => break End::Wait,
                Ok(Transition::Reject(errors)) => break End::Reject(errors),
                Ok(Transition::Reask) => {
                    moved = true;
                    next = First::Enter;
                }
                Ok(Transition::Complete(message)) => break End::Complete(message),
                Ok(Transition::Fail(message)) => break End::Fail(message),
                Err(error) => break End::Error(describe(&error)),
            }
        };
        Run { end, step, info, moved }
    }
}

/// Whether `incoming` is a click or a choice on a message of `record`'s that asks a
/// question the flow has left (see [`FlowRecord::left_question`]); one in a modal is not.
fn on_left_question(record: &FlowRecord, incoming: &Incoming) -> bool {
    match (&incoming.payload, &incoming.ts) {
        (Payload::Action(action), Some(ts)) if action.view.is_none() => record.left_question(ts),
        _ => false,
    }
}

/// Brings a record written under an older flow version to the current one through the
/// flow's `migrate` hook (a no-op for current records and flows without a hook).
fn migrate(definition: &FlowDefinition, record: &mut FlowRecord) -> Result<(), String> {
    let version = definition.options().version;
    if record.flow_version >= version {
        return Ok(());
    }
    // A hook that panics fails the migration, as one that answers an error does.
    let migrated = caught_now(|| definition.migrate(record.flow_version, record.step.to_value()))
        .unwrap_or_else(|panic| Err(format!("the migration panicked: {panic}")));
    match migrated {
        Ok(migrated) => {
            record.step = migrated.into();
            record.flow_version = version;
            Ok(())
        }
        Err(reason) => Err(format!(
            "stored step of flow `{}` (version {}) could not be migrated to version {version}: {reason}",
            record.flow, record.flow_version
        )),
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
        Payload::Action(action) => match (&action.selected, &action.selected_many, &action.value) {
            (Some(selected), _, _) => format!("[chose {} in {}]", selected.value, action.action_id),
            (None, Some(many), _) => {
                let values: Vec<&str> = many.iter().map(|o| o.value.as_str()).collect();
                format!("[chose [{}] in {}]", values.join(", "), action.action_id)
            }
            (None, None, Some(value)) => format!("[clicked {} = {value}]", action.action_id),
            (None, None, None) => format!("[clicked {}]", action.action_id),
        },
        Payload::ViewSubmission(view) => format!("[submitted {}]", view.callback_id),
        Payload::Command(command) => format!("{} {}", command.command, command.text),
        Payload::ViewClosed { callback_id, .. } => format!("[closed {callback_id}]"),
        Payload::AppHomeOpened => "[opened the Home tab]".to_owned(),
        Payload::MemberJoined { inviter: Some(inviter) } => format!("[joined, added by {inviter}]"),
        Payload::MemberJoined { inviter: None } => "[joined]".to_owned(),
        Payload::TeamJoined => "[joined the workspace]".to_owned(),
        Payload::Shortcut(shortcut) => format!("[used the shortcut {}]", shortcut.callback_id),
        Payload::Reaction { name, added: true, .. } => format!("[reacted :{name}:]"),
        Payload::Reaction { name, added: false, .. } => format!("[took back :{name}:]"),
        Payload::Assistant(thread) if thread.opened => "[opened an assistant thread]".to_owned(),
        Payload::Assistant(thread) => match &thread.viewing {
            Some(channel) => format!("[now viewing {channel}]"),
            None => "[now viewing elsewhere]".to_owned(),
        },
        Payload::Function(run) => format!("[workflow ran the step {}]", run.callback_id),
        Payload::Signal(signal) => format!("[signal {}]", signal.name),
        Payload::NotInput(_) | Payload::Timeout { .. } | Payload::Started { .. } => String::new(),
    };
    // A signal comes from outside Slack: from no user.
    let signal = matches!(incoming.payload, Payload::Signal(_));
    LoggedMessage {
        direction: Direction::Inbound,
        user: (!signal).then(|| incoming.context.user_id.clone()),
        ts: incoming.ts.clone(),
        text,
        at,
        asks: false,
    }
}
