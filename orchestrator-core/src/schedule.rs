//! [`Schedule`]: when a scheduled flow starts (a cron expression in a time zone), what
//! happens to an occurrence missed while no process ran ([`Missed`]), and whom each start
//! is for ([`Target`]).

use crate::context::MessageContext;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// When a scheduled flow starts: a cron expression (`minute hour day-of-month month
/// day-of-week`, with names like `MON-FRI`) read in a time zone (UTC unless told), so
/// "9:00 in Paris" stays 9:00 across daylight-saving changes.
///
/// ```
/// use orchestrator_core::{Missed, Schedule};
/// let standup = Schedule::cron("0 9 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap();
/// // Friday 27 November 2026, 10:00 in Paris (UTC+1): the next one is Monday 9:00.
/// let friday = "2026-11-27T09:00:00Z".parse().unwrap();
/// assert_eq!(standup.next_after(friday).unwrap().to_rfc3339(), "2026-11-30T08:00:00+00:00");
/// assert_eq!(standup.missed_policy(), Missed::FireOnce);
/// assert!(Schedule::cron("0 9 * * FUNDAY").is_err());
/// assert!(Schedule::cron("0 9 * * *").unwrap().tz("Mars/Olympus").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The expression as written (croner's own display normalizes `MON-FRI` to `1-5`).
    pattern: String,
    cron: croner::Cron,
    tz: Tz,
    missed: Missed,
    name: Option<String>,
}

/// What to do with an occurrence that passed while no process of the bot was running
/// (found at start, or more than [`Schedule::LATE_AFTER`] late).
///
/// ```
/// use orchestrator_core::{Missed, Schedule};
/// let standup = Schedule::cron("0 9 * * 1-5").unwrap();
/// assert_eq!(standup.missed_policy(), Missed::FireOnce, "a deploy at nine still gets its standup");
/// let digest = Schedule::cron("0 * * * *").unwrap().missed(Missed::Skip);
/// assert_eq!(digest.missed_policy(), Missed::Skip);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Missed {
    /// Start the flows once, at start, however many occurrences were missed (the default:
    /// a standup a deploy delayed by ten minutes still happens).
    #[default]
    FireOnce,
    /// Skip them; wait for the next occurrence.
    Skip,
}

/// A schedule that could not be read.
///
/// ```
/// use orchestrator_core::{Schedule, ScheduleError};
/// assert!(matches!(Schedule::cron("every day at nine"), Err(ScheduleError::Cron { .. })));
/// let zone = Schedule::cron("0 9 * * *").unwrap().tz("Paris").unwrap_err();
/// assert_eq!(zone, ScheduleError::TimeZone("Paris".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The cron expression is not valid.
    #[error("invalid cron expression `{pattern}`: {reason}")]
    Cron {
        /// The expression as written.
        pattern: String,
        /// What croner said.
        reason: String,
    },
    /// The time zone is not an IANA name.
    #[error("unknown time zone `{0}` (use an IANA name such as `Europe/Paris` or `UTC`)")]
    TimeZone(String),
}

impl Schedule {
    /// How late an occurrence may fire and still count as on time (the timer engine looks
    /// at least every second; a busy store may add a few more).
    ///
    /// ```
    /// assert_eq!(orchestrator_core::Schedule::LATE_AFTER.num_seconds(), 60);
    /// ```
    pub const LATE_AFTER: chrono::Duration = chrono::Duration::minutes(1);

    /// A schedule from a five-field cron expression, in UTC.
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// let nine = Schedule::cron("0 9 * * MON-FRI").unwrap(); // minute hour day month weekday, in UTC
    /// let friday: chrono::DateTime<chrono::Utc> = "2026-12-04T10:00:00Z".parse().unwrap();
    /// assert_eq!(nine.next_after(friday).unwrap().to_rfc3339(), "2026-12-07T09:00:00+00:00", "Monday");
    /// assert!(Schedule::cron("every morning").is_err());
    /// ```
    pub fn cron(pattern: &str) -> Result<Schedule, ScheduleError> {
        let cron = croner::Cron::from_str(pattern).map_err(|e| ScheduleError::Cron {
            pattern: pattern.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Schedule {
            pattern: pattern.trim().to_owned(),
            cron,
            tz: Tz::UTC,
            missed: Missed::default(),
            name: None,
        })
    }

    /// Reads the expression in the time zone `name` (an IANA name, e.g. `Europe/Paris`).
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// let paris = Schedule::cron("0 9 * * *").unwrap().tz("Europe/Paris").unwrap();
    /// let night: chrono::DateTime<chrono::Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
    /// assert_eq!(paris.next_after(night).unwrap().to_rfc3339(), "2026-12-07T08:00:00+00:00", "9:00 in Paris in winter");
    /// ```
    pub fn tz(mut self, name: &str) -> Result<Schedule, ScheduleError> {
        self.tz = name.parse().map_err(|_| ScheduleError::TimeZone(name.to_owned()))?;
        Ok(self)
    }

    /// What to do with occurrences missed while the bot was down.
    ///
    /// ```
    /// use orchestrator_core::{Missed, Schedule};
    /// let digest = Schedule::cron("0 8 * * *").unwrap().missed(Missed::Skip); // yesterday's digest is stale
    /// assert_eq!(digest.missed_policy(), Missed::Skip);
    /// ```
    pub fn missed(mut self, policy: Missed) -> Schedule {
        self.missed = policy;
        self
    }

    /// Names the schedule, to give one flow several (e.g. `morning` and `evening`); the
    /// name keeps its bookkeeping apart.
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// let morning = Schedule::cron("0 9 * * *").unwrap().named("morning");
    /// let evening = Schedule::cron("0 17 * * *").unwrap().named("evening");
    /// assert_ne!(morning.name(), evening.name());
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> Schedule {
        self.name = Some(name.into());
        self
    }

    /// The policy for missed occurrences.
    ///
    /// ```
    /// use orchestrator_core::{Missed, Schedule};
    /// assert_eq!(Schedule::cron("0 9 * * *").unwrap().missed_policy(), Missed::FireOnce, "the default");
    /// ```
    pub fn missed_policy(&self) -> Missed {
        self.missed
    }

    /// The schedule's name, if it was given one.
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// assert_eq!(Schedule::cron("0 9 * * *").unwrap().name(), None);
    /// assert_eq!(Schedule::cron("0 9 * * *").unwrap().named("daily").name(), Some("daily"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The expression and time zone as written, e.g. `0 9 * * MON-FRI @ Europe/Paris`: what
    /// the store keeps, so a changed schedule is noticed at start.
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// let standup = Schedule::cron("0 9 * * MON-FRI").unwrap().tz("Europe/Paris").unwrap();
    /// assert_eq!(standup.spec(), "0 9 * * MON-FRI @ Europe/Paris");
    /// ```
    pub fn spec(&self) -> String {
        format!("{} @ {}", self.pattern, self.tz)
    }

    /// The first occurrence strictly after `after`; `None` if there is none (e.g. `30 2 31
    /// 2 *`, a day that never comes).
    ///
    /// ```
    /// use orchestrator_core::Schedule;
    /// let never = Schedule::cron("30 2 31 2 *").unwrap(); // February 31st
    /// assert_eq!(never.next_after(chrono::Utc::now()), None);
    /// ```
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| next.with_timezone(&Utc))
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("spec", &self.spec())
            .field("missed", &self.missed)
            .field("name", &self.name)
            .finish()
    }
}

/// Whom a scheduled start is for, as the bot's function resolves it at each occurrence.
///
/// ```
/// use orchestrator_core::{MessageContext, Target};
/// assert_eq!(Target::dm("U1"), Target::Dm("U1".into()));
/// let here = Target::at(MessageContext::new("T1", "U1", "C1"));
/// assert!(matches!(here, Target::At(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A direct message with this user (the DM is opened with `conversations.open`).
    Dm(String),
    /// A channel (the flow posts there; its buttons and its threads route to it).
    Channel(String),
    /// An exact conversation.
    At(MessageContext),
}

impl Target {
    /// A DM with `user`.
    ///
    /// ```
    /// use orchestrator_core::Target;
    /// assert_eq!(Target::dm("U1"), Target::Dm("U1".into()));
    /// ```
    pub fn dm(user: impl Into<String>) -> Target {
        Target::Dm(user.into())
    }

    /// The channel `channel`.
    ///
    /// ```
    /// use orchestrator_core::Target;
    /// assert_eq!(Target::channel("C_TEAM"), Target::Channel("C_TEAM".into()));
    /// ```
    pub fn channel(channel: impl Into<String>) -> Target {
        Target::Channel(channel.into())
    }

    /// The conversation `context`.
    ///
    /// ```
    /// use orchestrator_core::{MessageContext, Target};
    /// // A thread of a channel, e.g. under the schedule's own announcement.
    /// let thread = MessageContext::new("T1", "U1", "C1").in_thread("1700000000.000100");
    /// assert_eq!(Target::at(thread.clone()), Target::At(thread));
    /// ```
    pub fn at(context: MessageContext) -> Target {
        Target::At(context)
    }
}
