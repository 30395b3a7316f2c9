//! The slack-orchestrator runtime: the [`Orchestrator`] (dedup, routing, per-conversation
//! serial execution, transitions saved with compare-and-swap), the timer engine, the console
//! chat and the bot CLI. The test kit is the `orchestrator-testkit` crate.
//!
//! One module per stage of an event's path: [`orchestrator`] (ignore, dedup, route),
//! `locks` (one conversation at a time), `execute` (run steps, apply the transition,
//! save), `timers` (deadlines). Most users reach these through the `slack_orchestrator` facade.

pub mod cli;
mod clock;
mod commit;
pub mod console;
mod execute;
pub mod http;
mod ingress;
mod locks;
pub mod orchestrator;
mod outcome;
pub mod payloads;
mod recording;
mod recovery;
mod schedules;
pub mod signature;
mod socket_mode;
pub mod store;
pub mod telemetry;
mod timers;
mod web_api;

pub use clock::Clock;
pub use http::HttpIngress;
pub use orchestrator::{Orchestrator, OrchestratorBuilder};
pub use outcome::{BuildError, Ignored, OrchestratorError, Outcome};
pub use recording::RecordingSlack;
pub use schedules::{Occurrence, TargetError};
/// slack-morphism, whose typed requests and answers [`Cx::web_api`](orchestrator_core::Cx::web_api) takes.
pub use slack_morphism;
pub use socket_mode::SocketMode;
pub use web_api::{BotIdentity, SlackWebApi};
