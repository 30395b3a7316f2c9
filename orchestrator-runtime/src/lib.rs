//! The slack-orchestrator runtime: the [`Orchestrator`] (dedup, routing, per-conversation
//! serial execution, transitions saved with compare-and-swap), the timer engine, the console
//! chat and the bot CLI. The test kit is the `orchestrator-testkit` crate.
//!
//! The folders follow an event's path: `slack/` brings it in (signed HTTP, Socket Mode)
//! and talks back (the Web API), `engine/` decides ([`orchestrator`]: ignore, dedup, route;
//! `locks`, `execute`, `commit`, `timers`, `recovery`, `schedules`), [`store`] keeps it
//! (one file per backend, each behind a cargo feature); [`console`], [`cli`] and
//! [`telemetry`] sit around them. Most users reach these through the `slack_orchestrator`
//! facade.

pub mod cli;
pub mod console;
mod engine;
pub mod ops;
mod slack;
pub mod store;
pub mod telemetry;
pub mod webhooks;

pub use engine::builder::OrchestratorBuilder;
pub use engine::clock::Clock;
pub use engine::orchestrator::{self, Orchestrator};
pub use engine::outcome::{BuildError, Cancelled, Ignored, NotReady, OrchestratorError, Outcome};
pub use engine::scheduled::{Occurrence, TargetError};
pub use engine::signals::Queued;
pub use slack::http::{self, HttpIngress};
pub use slack::recording::{RecordingSlack, SlackOutage};
pub use slack::socket_mode::{SocketLiveness, SocketMode};
pub use slack::web_api::{BotIdentity, ClientError, SlackWebApi};
pub use slack::{payloads, signature};
pub use slack_morphism;
