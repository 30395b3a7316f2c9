//! The slack-orchestrator runtime: the [`Orchestrator`] (dedup, routing, per-conversation
//! serial execution, transitions saved with compare-and-swap), the timer engine, the console
//! chat, the bot CLI, and the [`testkit`] for bot authors.
//!
//! One module per stage of an event's path: [`orchestrator`] (ignore, dedup, route),
//! `locks` (one conversation at a time), `execute` (run steps, apply the transition,
//! save), `timers` (deadlines). Most users reach these through the `slack_orchestrator` facade.

pub mod cli;
mod clock;
mod conformance;
pub mod console;
mod execute;
mod locks;
pub mod orchestrator;
pub mod payloads;
mod recording;
pub mod testkit;
mod timers;

pub use clock::Clock;
pub use orchestrator::{BuildError, Ignored, Orchestrator, OrchestratorBuilder, OrchestratorError, Outcome};
pub use recording::RecordingSlack;
