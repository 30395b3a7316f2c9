//! Slack on both sides of the engine. In: `signature` verifies requests, `http` serves
//! Events API, interactivity and slash commands, `socket_mode` takes the same over a
//! WebSocket, and both hand events to `ingress` (store, ack, apply). Out: `web_api`
//! calls Slack's Web API (slack-morphism), `recording` is the in-process stand-in that
//! records the calls, and `payloads` builds Slack-shaped bodies (for tests, tools and the
//! console).

pub(crate) mod download;
pub mod http;
pub(crate) mod ingress;
pub mod payloads;
pub(crate) mod recording;
pub mod signature;
pub(crate) mod socket_mode;
pub(crate) mod web_api;
