//! The one write path. Every change to a record (a step's result, a timeout, a cancel, a
//! flow that can no longer run) is applied here and written by [`Orchestrator::commit`]:
//! version + 1, one compare-and-swap that also settles the event that caused it, and the
//! timer engine told of the new deadline.

use crate::engine::execute::{End, Run};
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{OrchestratorError, Outcome};
use orchestrator_core::{Cx, DeadlineFrom, FlowDefinition, FlowRecord, FlowState, Incoming, Payload, StoreError};
use std::collections::BTreeMap;

impl Orchestrator {
    /// Writes `record` as version `expected + 1` (an insert when `expected` is 0), settling
    /// `event` in the same write.
    pub(crate) async fn commit(
        &self,
        record: &mut FlowRecord,
        expected: u64,
        event: Option<&str>,
    ) -> Result<(), StoreError> {
        let inner = &self.inner;
        record.version = expected + 1;
        record.updated_at = inner.clock.now();
        if let Some(key) = event {
            record.remember_applied(key);
        }
        let started = std::time::Instant::now();
        inner.store.commit(record, expected, event).await?;
        crate::telemetry::store_op("commit", started);
        crate::telemetry::committed(record, expected == 0);
        if let (true, Some(deadline)) = (record.is_active(), record.deadline) {
            inner.timers.deadline_set(deadline);
        }
        Ok(())
    }

    /// Applies how a run ended to the record (state, step, deadline, error), sends the
    /// final message, and commits.
    pub(crate) async fn finish(
        &self,
        definition: &FlowDefinition,
        mut cx: Cx,
        run: Run,
        expected: u64,
        event: Option<&str>,
    ) -> Result<Outcome, OrchestratorError> {
        let (state, error) = match &run.end {
            End::Wait | End::Reject(_) => (FlowState::WaitingForResponse, None),
            End::Complete(message) => {
                send_final(&mut cx, message.as_deref()).await;
                (FlowState::Completed, None)
            }
            End::Fail(message) => {
                send_final(&mut cx, message.as_deref()).await;
                (
                    FlowState::Error,
                    Some(message.clone().unwrap_or_else(|| "the flow failed".into())),
                )
            }
            End::Error(reason) => {
                tracing::error!(flow_id = %cx.flow_id(), flow = definition.name(), %reason, "flow moved to ERROR");
                send_final(&mut cx, Some(&self.inner.settings.error_message)).await;
                (FlowState::Error, Some(reason.clone()))
            }
            End::Unhandled => unreachable!("nothing is saved for an unhandled event"),
        };
        let run = match run.end {
            End::Reject(errors) => Run {
                end: End::Reject(by_block(errors, cx.incoming())),
                ..run
            },
            _ => run,
        };
        let now = cx.now();
        let starts = cx.take_starts();
        let mut record = cx.into_record();
        let info = definition.step_info(&run.step).ok();
        record.step = run.step;
        if let Some(info) = &info {
            record.step_name = info.name.to_owned();
        }
        record
            .set_state(FlowState::Processing)
            .and_then(|()| record.set_state(state))
            .expect("a waiting or new flow may run, and a running flow may wait, complete or fail");
        record.error = error;
        record.deadline = match (state, info) {
            (FlowState::WaitingForResponse, Some(info)) => {
                let restart = run.entered || info.deadline == DeadlineFrom::LastEvent;
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
        self.commit(&mut record, expected, event).await?;
        self.start_requested(record.id, starts);
        Ok(match run.end {
            End::Reject(errors) => Outcome::Rejected {
                flow_id: record.id,
                errors,
            },
            _ => Outcome::advanced(&record),
        })
    }

    /// Ends a flow in ERROR without running a step (its flow is gone, or it was cancelled);
    /// with `apologize`, the user is told.
    pub(crate) async fn fail_record(
        &self,
        record: FlowRecord,
        reason: String,
        event: Option<&str>,
        apologize: bool,
    ) -> Result<Outcome, OrchestratorError> {
        tracing::error!(flow_id = %record.id, flow = %record.flow, %reason, "flow moved to ERROR");
        let apology = apologize.then(|| self.inner.settings.error_message.clone());
        self.end_record(record, reason, event, apology.as_deref()).await
    }

    /// Ends a flow in ERROR with `reason` without running a step, saying `message` first.
    pub(crate) async fn end_record(
        &self,
        record: FlowRecord,
        reason: String,
        event: Option<&str>,
        message: Option<&str>,
    ) -> Result<Outcome, OrchestratorError> {
        let expected = record.version;
        let mut cx = Cx::new(record, self.inner.slack.clone(), None, self.now()).with_state(self.inner.state.clone());
        send_final(&mut cx, message).await;
        let mut record = cx.into_record();
        if let Err(illegal) = record.set_state(FlowState::Error) {
            tracing::warn!(flow_id = %record.id, %illegal, "flow already ended");
            return Ok(Outcome::Ended { flow_id: record.id });
        }
        record.error = Some(reason);
        record.deadline = None;
        self.commit(&mut record, expected, event).await?;
        Ok(Outcome::advanced(&record))
    }
}

impl Orchestrator {
    /// Starts the flows a step asked for, now that its result is saved, each in its own
    /// task (another conversation's lock must not be taken while holding this one's).
    fn start_requested(&self, by: uuid::Uuid, starts: Vec<orchestrator_core::FlowStart>) {
        for start in starts {
            let orchestrator = self.clone();
            tokio::spawn(async move {
                let flow = start.flow.clone();
                match orchestrator.start_at(start).await {
                    Ok(id) => tracing::info!(%by, %flow, flow_id = %id, "started a flow"),
                    Err(error) => tracing::error!(%by, %flow, %error, "could not start a flow"),
                }
            });
        }
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

/// Sends a flow's last message; a failure is logged (the flow's end is saved regardless).
pub(crate) async fn send_final(cx: &mut Cx, message: Option<&str>) {
    if let Some(message) = message {
        if let Err(error) = cx.say(message).await {
            tracing::warn!(flow_id = %cx.flow_id(), %error, "could not send the flow's final message");
        }
    }
}
