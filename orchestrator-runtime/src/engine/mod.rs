//! The engine: what happens to an event once it is in, whatever transport brought it.
//!
//! Its modules depend one way, from the top down:
//!
//! - drivers: `timers` fires deadlines (and, through `schedules`, schedules); `recovery`
//!   takes over events a dead worker left. They call the orchestrator; it calls none of them.
//! - `orchestrator`: accepts, routes and orders events, and runs each under its
//!   conversation's lock (`locks`); more of it in files of their own: `work` is an
//!   accepted event on its way, `routing` finds the conversation of a thread reply, a
//!   reaction or a DM answer, `ordering` makes an event wait for its conversation's older
//!   ones, `notices` says what a user is told when an event is no answer, `starts` makes
//!   a flow started from code such an event, `signals` does the same for an input from outside
//!   Slack, `deadline` fires a flow's deadline (for the
//!   timer engine, and first for an event that arrived after it); `builder` puts it
//!   together.
//! - parts with their own state: `execute` (the step runner: a run of steps as a value),
//!   `commit` (the writer: the one place that writes a flow), `wake` (the timer loop's
//!   wake-up, which the writer rings), `lease` (a worker keeps the event it applies, or
//!   the deadline it fires).
//! - leaves: `settings`, `scheduled` (what a registered schedule is), `clock` (the time
//!   they all read), `outcome` (what they answer and how they fail), `options` (external
//!   selects' options, answered at once, no flow run), `places` (where Slack said the
//!   bot's messages are, for reactions).

pub(crate) mod builder;
pub(crate) mod clock;
pub(crate) mod commit;
pub(crate) mod deadline;
pub(crate) mod execute;
pub(crate) mod lease;
pub(crate) mod locks;
pub(crate) mod notices;
pub(crate) mod options;
pub mod orchestrator;
pub(crate) mod ordering;
pub(crate) mod outcome;
pub(crate) mod places;
pub(crate) mod recovery;
pub(crate) mod routing;
pub(crate) mod scheduled;
pub(crate) mod schedules;
pub(crate) mod settings;
pub(crate) mod signals;
pub(crate) mod starts;
pub(crate) mod timers;
pub(crate) mod wake;
pub(crate) mod work;
