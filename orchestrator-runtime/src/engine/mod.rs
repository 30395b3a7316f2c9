//! The engine: what happens to an event once it is in, whatever transport brought it.
//! `orchestrator` accepts, routes and orders events; `locks` keeps one event per
//! conversation at a time; `execute` runs the steps; `commit` is the one place that
//! writes a flow; `timers` fires deadlines and schedules (`schedules`); `recovery` takes
//! over events a dead worker left; `clock` is the time they all read; `outcome` what they
//! answer.

pub(crate) mod clock;
pub(crate) mod commit;
pub(crate) mod execute;
pub(crate) mod locks;
pub mod orchestrator;
pub(crate) mod outcome;
pub(crate) mod recovery;
pub(crate) mod schedules;
pub(crate) mod timers;
