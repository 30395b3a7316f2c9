//! The one write path. Every change to a record (a step's result, a timeout, a cancel, a
//! flow that can no longer run) is applied here and written by [`Writer::commit`]:
//! version + 1, one compare-and-swap that also settles the event that caused it, and the
//! timer engine woken if the new deadline is earlier than it sleeps.

use crate::engine::clock::Clock;
use crate::engine::execute::{End, Stepped};
use crate::engine::outcome::{OrchestratorError, Outcome};
use crate::engine::wake::Wake;
use crate::telemetry::{Meters, StoreOp};
use orchestrator_core::{
    Cx, DeadlineFrom, FlowDefinition, FlowRecord, FlowStart, FlowState, Incoming, Payload, Signal, SlackError, Store,
    StoreError,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// A run's result applied to its record (the final message sent), to be written by
/// [`Writer::write`].
pub(crate) struct Prepared {
    record: FlowRecord,
    expected: u64,
    /// A rejected modal submission's errors, by block.
    rejected: Option<BTreeMap<String, String>>,
    /// A submitted modal's next page (or push, or clear), for the acknowledgement.
    answer: Option<serde_json::Value>,
    /// The flows its steps asked to start: received by the caller before the write, so that
    /// a crash after it still starts them, and applied after it.
    pub(crate) starts: Vec<FlowStart>,
    /// The signals its steps asked to send to other flows: the same.
    pub(crate) signals: Vec<(uuid::Uuid, Signal)>,
}

impl Prepared {
    /// The flow and the version it is written as: what a start or a signal it asked for
    /// derives its id from, so that the run applied again (after a crash) asks for the same.
    pub(crate) fn written_as(&self) -> (uuid::Uuid, u64) {
        (self.record.id, self.expected + 1)
    }
}

/// Writes records: the store, the time stamped on each write, the timer engine's wake-up,
/// and the apology said when a flow fails.
pub(crate) struct Writer {
    store: Arc<dyn Store>,
    clock: Clock,
    wake: Arc<Wake>,
    error_message: String,
    meters: Arc<Meters>,
}

impl Writer {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Clock,
        wake: Arc<Wake>,
        error_message: String,
        meters: Arc<Meters>,
    ) -> Self {
        Writer {
            store,
            clock,
            wake,
            error_message,
            meters,
        }
    }

    /// Writes `record` as version `expected + 1` (an insert when `expected` is 0), settling
    /// `event` in the same write; gives back the record as written (shared with a store
    /// that keeps records in memory, so the write copies nothing).
    ///
    /// Not an `async fn`: one keeps its arguments for as long as it runs, and the record
    /// (several hundred bytes) would be carried by every future that awaits this one. It is
    /// stamped and shared here, and only the pointer goes into the future.
    pub(crate) fn commit<'a>(
        &'a self,
        mut record: FlowRecord,
        expected: u64,
        event: Option<&'a str>,
    ) -> impl Future<Output = Result<Arc<FlowRecord>, StoreError>> + Send + 'a {
        record.version = expected + 1;
        record.updated_at = self.clock.now();
        if let Some(key) = event {
            record.remember_applied(key);
        }
        self.commit_shared(Arc::new(record), expected, event)
    }

    /// [`Writer::commit`]'s write, of the record stamped and shared: the store's
    /// compare-and-swap, the metrics, and the timer loop woken for an earlier deadline.
    async fn commit_shared(
        &self,
        record: Arc<FlowRecord>,
        expected: u64,
        event: Option<&str>,
    ) -> Result<Arc<FlowRecord>, StoreError> {
        let started = std::time::Instant::now();
        self.store.commit_shared(record.clone(), expected, event).await?;
        self.meters.store_op(StoreOp::Commit, started);
        self.meters.committed(&record, expected == 0);
        if let (true, Some(deadline)) = (record.is_active(), record.deadline) {
            self.wake.deadline_set(deadline);
        }
        Ok(record)
    }

    /// Applies how a run ended to the record (state, step, deadline, error) and sends the
    /// final message: what [`Writer::write`] then commits.
    pub(crate) async fn prepare(
        &self,
        definition: &FlowDefinition,
        stepped: Stepped,
    ) -> Result<Prepared, OrchestratorError> {
        let Stepped { mut cx, run, expected } = stepped;
        unsure(&cx)?;
        let entered = run.entered(cx.incoming());
        let (state, error) = match &run.end {
            End::Wait | End::Reject(_) => (FlowState::WaitingForResponse, None),
            End::Complete(message) => {
                send_final(&mut cx, message.as_deref(), Ending::Completed).await;
                (FlowState::Completed, None)
            }
            End::Fail(message) => {
                send_final(&mut cx, message.as_deref(), Ending::Failed("the flow failed")).await;
                (
                    FlowState::Error,
                    Some(message.clone().unwrap_or_else(|| "the flow failed".into())),
                )
            }
            End::Error(reason) => {
                tracing::error!(flow_id = %cx.flow_id(), flow = definition.name(), %reason, "flow moved to ERROR");
                send_final(&mut cx, Some(&self.error_message), Ending::Failed(reason)).await;
                (FlowState::Error, Some(reason.clone()))
            }
            End::Unhandled => unreachable!("nothing is saved for an unhandled event"),
        };
        // A submitted modal's next page, only for a flow that goes on (or a clear as it
        // completes): after a failed step, the submitted modal just closes.
        let answer = (cx.take_modal_answer()).filter(|_| matches!(run.end, End::Wait | End::Complete(_)));
        let rejected = match run.end {
            End::Reject(errors) => Some(by_block(errors, cx.incoming())),
            _ => None,
        };
        unsure(&cx)?; // a replayed final message
        let now = cx.now();
        let starts = cx.take_starts();
        let signals = cx.take_signals();
        let asked = cx.take_asked();
        let mut record = cx.into_record();
        record.asked(&asked, run.moved);
        let info = run.info.or_else(|| definition.step_info(&run.step).ok());
        record.step = run.step;
        if let Some(info) = info.as_ref().filter(|info| record.step_name != info.name) {
            record.step_name = info.name.to_owned();
        }
        record
            .set_state(FlowState::Processing)
            .and_then(|()| record.set_state(state))
            .expect("a waiting or new flow may run, and a running flow may wait, complete or fail");
        record.error = error.map(String::into_boxed_str);
        record.deadline = match (state, info) {
            (FlowState::WaitingForResponse, Some(info)) => {
                let restart = entered || info.deadline == DeadlineFrom::LastEvent;
                match restart {
                    true => info
                        .timeout
                        .or(definition.options().timeout)
                        .and_then(|t| chrono::Duration::from_std(t).ok())
                        .map(|t| now + t),
                    false => record.deadline,
                }
            }
            _ => None,
        };
        Ok(Prepared {
            record,
            expected,
            rejected,
            answer,
            starts,
            signals,
        })
    }

    /// Commits a prepared run, settling `event`. (Not an `async fn`, as [`Writer::commit`].)
    pub(crate) fn write<'a>(
        &'a self,
        prepared: Prepared,
        event: Option<&'a str>,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send + 'a {
        let Prepared {
            record,
            expected,
            rejected,
            answer,
            ..
        } = prepared;
        let written = self.commit(record, expected, event);
        async move {
            let record = written.await?;
            Ok(match rejected {
                Some(errors) => Outcome::Rejected {
                    flow_id: record.id,
                    errors,
                },
                None => Outcome::answered(&record, answer),
            })
        }
    }

    /// Ends the flow of `cx` in ERROR with `reason` without running a step, saying
    /// `message` first.
    pub(crate) async fn end(
        &self,
        mut cx: Cx,
        reason: String,
        event: Option<&str>,
        message: Option<&str>,
    ) -> Result<Outcome, OrchestratorError> {
        let expected = cx.record().version;
        send_final(&mut cx, message, Ending::Failed(&reason)).await;
        let mut record = cx.into_record();
        if let Err(illegal) = record.set_state(FlowState::Error) {
            tracing::warn!(flow_id = %record.id, %illegal, "flow already ended");
            return Ok(Outcome::Ended { flow_id: record.id });
        }
        record.error = Some(reason.into_boxed_str());
        record.deadline = None;
        let record = self.commit(record, expected, event).await?;
        Ok(Outcome::advanced(&record))
    }
}

/// A rejection's errors keyed by block id: a key that is no block of the submitted modal
/// but the `action_id` of one of its inputs (the name `Submission::value` takes) is moved to
/// that input's block, so one name per field works everywhere.
fn by_block(errors: BTreeMap<String, String>, incoming: Option<&Incoming>) -> BTreeMap<String, String> {
    let Some(Payload::ViewSubmission(view)) = incoming.map(|i| &i.payload) else {
        return errors;
    };
    errors
        .into_iter()
        .map(|(key, message)| {
            let is_block = view.fields.iter().any(|f| f.block_id == key);
            let block = view
                .fields
                .iter()
                .find(|f| !is_block && f.action_id == key)
                .map_or(key, |f| f.block_id.clone());
            (block, message)
        })
        .collect()
}

/// How a flow ends, for its last word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending<'a> {
    /// Completed.
    Completed,
    /// Failed, erred, timed out or cancelled, for this reason (what a workflow step's flow
    /// fails the step with when it has no last message).
    Failed(&'a str),
}

/// Sends a flow's last message; a failure is logged (the flow's end is saved regardless).
pub(crate) async fn send_final(cx: &mut Cx, message: Option<&str>, ending: Ending<'_>) {
    if let Err(error) = tell_final(cx, message, ending).await {
        tracing::warn!(flow_id = %cx.flow_id(), %error, "could not send the flow's final message");
    }
}

/// Says a flow's last message where it talks. A Workflow Builder step's flow has nowhere to
/// talk: its end completes the step, unless the flow did (with no outputs if it completed,
/// with the message as the error otherwise), so that the workflow never waits for ever.
async fn tell_final(cx: &mut Cx, message: Option<&str>, ending: Ending<'_>) -> Result<(), SlackError> {
    if cx.context().function_execution_id().is_none() {
        return match message {
            Some(message) => cx.say(message).await.map(drop),
            None => Ok(()),
        };
    }
    match ending {
        _ if cx.function_completed() => Ok(()),
        Ending::Completed => cx.complete_function(serde_json::json!({})).await,
        Ending::Failed(reason) => cx.fail_function(message.unwrap_or(reason)).await,
    }
}

/// A replayed run that could not tell whether its earlier run posted is not saved: the
/// event (or deadline) is applied again when its lease ends.
pub(crate) fn unsure(cx: &Cx) -> Result<(), OrchestratorError> {
    match cx.replay_unsure() {
        Some(error) => Err(OrchestratorError::ReplayUnsure(error.clone())),
        None => Ok(()),
    }
}
