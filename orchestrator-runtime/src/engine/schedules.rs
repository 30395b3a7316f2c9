//! Scheduled flows: [`OrchestratorBuilder::schedule`] starts a flow at the times of a
//! [`Schedule`], for the targets a function of the bot resolves at each occurrence.
//!
//! A schedule is kept in the store as a record of its own (flow `@schedule`, one per
//! schedule, shown by `flows list`) whose deadline is the next occurrence, so the timer
//! engine fires it like a timeout: `claim_due` leases it to one worker or replica, and a
//! restart finds the deadline where it was. Firing resolves the targets, starts the flow for
//! each under an id derived from the occurrence and the conversation (a firing repeated
//! after a crash finds the flows it already started and does not start them twice), then
//! commits the next occurrence. An occurrence found more than [`Schedule::LATE_AFTER`] late
//! (the bot was down) fires once or is skipped, as the schedule's [`Missed`] policy says.
//! An occurrence Slack cannot serve now (its targets' Slack call, a DM it cannot open, a
//! first step put off: see `OrchestratorBuilder::slack_patience`) is committed as put off
//! and fires again a claim's lease later, finding the flows it started and running the
//! first steps it put off.

use crate::engine::clock::later;
use crate::engine::orchestrator::Orchestrator;
use crate::engine::outcome::{caught, OrchestratorError};
use crate::engine::scheduled::{Occurrence, Scheduled, SCHEDULE_FLOW};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use orchestrator_core::{
    ConversationKey, FlowRecord, FlowStart, FlowState, MessageContext, Missed, Schedule, StoreError, StoredStep, Target,
};
use serde_json::Value;
use uuid::Uuid;

/// How many scheduled starts run at once.
const CONCURRENCY: usize = 16;

/// The metadata key under which a schedule's record keeps an occurrence put off while
/// Slack could not serve some of its starts.
const PUT_OFF: &str = "put_off";

/// The namespace of scheduled flows' ids (a UUID v5 of schedule, occurrence, conversation).
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c4e_d01e_0a1c_4c2b_9d3e_51ac_0000_0007);

impl Orchestrator {
    /// Writes each registered schedule's record if it has none yet (its first occurrence
    /// after this orchestrator was built), and moves the next occurrence of one whose cron
    /// expression or time zone changed. Runs once, before the timer engine's first pass.
    pub(crate) async fn install_schedules(&self) -> Result<(), OrchestratorError> {
        let inner = &self.inner;
        for scheduled in inner.schedules.values() {
            let key = scheduled.key();
            let spec = StoredStep::from(Value::String(scheduled.schedule.spec()));
            match inner.store.active_for(&key).await? {
                Some(record) if record.step == spec => {}
                Some(mut record) => {
                    tracing::info!(schedule = %key, spec = %spec, "schedule changed");
                    let expected = record.version;
                    record.step = spec;
                    record.deadline = scheduled.schedule.next_after(self.now());
                    self.install(record, expected).await?;
                }
                None => {
                    let record = self.schedule_record(scheduled, key, spec);
                    self.install(record, 0).await?;
                }
            }
        }
        Ok(())
    }

    /// Writes a schedule's record; a conflict means another replica wrote it first, and
    /// theirs is as good.
    async fn install(&self, record: FlowRecord, expected: u64) -> Result<(), OrchestratorError> {
        match self.inner.writer.commit(record, expected, None).await {
            Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    fn schedule_record(&self, scheduled: &Scheduled, key: ConversationKey, spec: StoredStep) -> FlowRecord {
        let inner = &self.inner;
        let context = MessageContext::new(inner.team.clone(), "", key.as_str());
        let mut record = FlowRecord::new(SCHEDULE_FLOW, 1, spec, &scheduled.flow, context, self.now());
        record.key = key;
        record.state = FlowState::WaitingForResponse;
        record.deadline = scheduled.schedule.next_after(inner.started_at);
        record
    }

    /// The deadline of a schedule's record passed: start its flows (unless the occurrence
    /// was missed and the policy skips it), then commit the next occurrence. While Slack
    /// cannot serve some of its starts (within `slack_patience` of the occurrence), the
    /// occurrence is committed as put off (metadata `put_off`) and fires again after
    /// `claim_lease`: it finds the flows it started, runs those whose first step was put
    /// off, and starts the rest; only then does the next occurrence come.
    pub(crate) async fn fire_schedule(
        &self,
        mut record: FlowRecord,
        now: DateTime<Utc>,
    ) -> Result<(), OrchestratorError> {
        let expected = record.version;
        let put_off = record.metadata.get(PUT_OFF).and_then(Value::as_str);
        let put_off = put_off.and_then(|at| DateTime::parse_from_rfc3339(at).ok());
        let occurrence = put_off.map_or(record.deadline.unwrap_or(now), |at| at.to_utc());
        match self.inner.schedules.get(&record.key) {
            Some(scheduled) => {
                let late = now - occurrence > Schedule::LATE_AFTER;
                if late && put_off.is_none() && scheduled.schedule.missed_policy() == Missed::Skip {
                    tracing::info!(schedule = %record.key, %occurrence, "missed occurrence skipped");
                } else {
                    match self.start_occurrence(scheduled, occurrence).await {
                        Ok(started) => {
                            tracing::info!(schedule = %record.key, %occurrence, late, started, "schedule fired");
                            record.metadata.remove(PUT_OFF);
                            record.metadata.insert("last_started".into(), started.into());
                        }
                        Err(error) => {
                            tracing::warn!(schedule = %record.key, %occurrence, %error, "Slack cannot serve some of the occurrence's starts now; it fires again shortly");
                            record.metadata.insert(PUT_OFF.into(), occurrence.to_rfc3339().into());
                            record.deadline = Some(later(now, self.inner.settings.claim_lease));
                            self.inner.writer.commit(record, expected, None).await?;
                            return Ok(());
                        }
                    }
                }
                record
                    .metadata
                    .insert("last_occurrence".into(), occurrence.to_rfc3339().into());
                record.deadline = scheduled.schedule.next_after(now);
                if record.deadline.is_none() {
                    record.state = FlowState::Completed;
                }
            }
            None => {
                tracing::warn!(schedule = %record.key, "this schedule is no longer registered; it ends");
                record.state = FlowState::Completed;
                record.deadline = None;
            }
        }
        self.inner.writer.commit(record, expected, None).await?;
        Ok(())
    }

    /// Resolves the targets of one occurrence and starts the flow for each; returns how
    /// many flows this call started, or, if Slack could not serve some of them now, why
    /// (the others are started: a firing again finds them).
    async fn start_occurrence(
        &self,
        scheduled: &Scheduled,
        occurrence: DateTime<Utc>,
    ) -> Result<usize, OrchestratorError> {
        let inner = &self.inner;
        let at = Occurrence {
            at: occurrence,
            state: inner.state.clone(),
            slack: inner.slack.clone(),
        };
        // A resolver that panics (a bug in the bot's code) skips the occurrence, as one that
        // fails does; uncaught, the occurrence would be fired, and panic, every lease.
        let resolved = caught((scheduled.resolve)(at))
            .await
            .unwrap_or_else(|panic| Err(format!("the function resolving the targets panicked: {panic}").into()));
        let targets = match resolved {
            Ok(targets) => targets,
            Err(error) => {
                // The bot's own Slack call (e.g. a user group's members) that Slack cannot
                // answer now puts the occurrence off, like a DM Slack cannot open.
                let slack = error.downcast_ref::<orchestrator_core::SlackError>();
                if let Some(slack) = slack.filter(|e| e.is_temporary() && self.within_patience(occurrence)) {
                    return Err(OrchestratorError::ReplayUnsure(slack.clone()));
                }
                tracing::error!(flow = %scheduled.flow, %occurrence, %error, "the schedule's targets could not be resolved; occurrence skipped");
                return Ok(0);
            }
        };
        let results: Vec<Result<bool, OrchestratorError>> = futures_util::stream::iter(targets)
            .map(|(target, step)| self.start_scheduled(scheduled, occurrence, target, step))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut started = 0;
        let mut put_off = None;
        for result in results {
            match result {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(error) => put_off = Some(error),
            }
        }
        match put_off {
            Some(error) => Err(error),
            None => Ok(started),
        }
    }

    /// Starts one scheduled flow, or runs its first step if an earlier firing put it off;
    /// `false` if it was started before (a repeated firing), its conversation is busy, or
    /// it failed (logged). An error: Slack cannot serve it now, within `slack_patience` of
    /// the occurrence (the occurrence must fire again).
    async fn start_scheduled(
        &self,
        scheduled: &Scheduled,
        occurrence: DateTime<Utc>,
        target: Target,
        step: StoredStep,
    ) -> Result<bool, OrchestratorError> {
        let inner = &self.inner;
        let context = match target {
            Target::At(context) => context,
            Target::Channel(channel) => MessageContext::new(inner.team.clone(), "", channel),
            Target::Dm(user) => match inner.slack.open_dm(&user).await {
                Ok(channel) => MessageContext::new(inner.team.clone(), user, channel),
                Err(error) if error.is_temporary() && self.within_patience(occurrence) => {
                    return Err(OrchestratorError::ReplayUnsure(error));
                }
                Err(error) => {
                    tracing::error!(flow = %scheduled.flow, %user, %error, "cannot open a DM for a scheduled flow");
                    return Ok(false);
                }
            },
        };
        let name = format!(
            "{}|{}|{}",
            scheduled.key(),
            occurrence.to_rfc3339(),
            context.conversation_key()
        );
        let id = Uuid::new_v5(&ID_NAMESPACE, name.as_bytes());
        // A flow saved but whose first step was put off (an outage) is started again: its
        // start, received as an event, runs again unless it is being run.
        let started = match inner.store.load_shared(id).await {
            Ok(Some(found)) if found.state != FlowState::Initiated => return Ok(false),
            Ok(_) => {
                let start = FlowStart {
                    flow: scheduled.flow.clone(),
                    context,
                    step,
                };
                self.start_with_id(start, id, occurrence).await.map(|_| true)
            }
            Err(error) => Err(error.into()),
        };
        match started {
            Ok(started) => Ok(started),
            Err(error) if error.waits_for_slack() => {
                tracing::warn!(flow = %scheduled.flow, %id, %error, "a scheduled flow waits for Slack; it runs when the occurrence fires again");
                Err(error)
            }
            Err(OrchestratorError::ConversationBusy { conversation, active }) => {
                tracing::info!(flow = %scheduled.flow, %conversation, %active, "scheduled start skipped: a flow is active there");
                Ok(false)
            }
            Err(error) => {
                tracing::error!(flow = %scheduled.flow, %error, "a scheduled flow failed to start");
                Ok(false)
            }
        }
    }
}
