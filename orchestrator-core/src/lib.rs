//! The flow model of slack-orchestrator, with no I/O: flow states and their legal
//! transitions, message contexts, normalized Slack events, flow records, the [`Flow`] trait
//! that `#[flow]` implements, the step context [`Cx`], and the [`Store`] trait with an
//! in-memory implementation.
//!
//! Most users reach these through the `slack_orchestrator` facade and its prelude.

mod app_state;
pub mod blocks;
mod context;
mod cx;
pub mod dispatch;
mod flow;
pub mod graph;
mod incoming;
mod input;
mod memory;
mod normalize;
mod record;
mod schedule;
mod signal;
mod slack;
mod state;
pub mod step_field;
mod store;
mod stored_step;
mod suggestion;
pub mod tag;
mod transition;
mod trigger;

pub use app_state::{AppState, MissingState};
pub use context::{is_user_id, ConversationKey, MessageContext, MessageType};
pub use cx::{Cx, FileUpload, FlowStart, ModalAnswer};
pub use flow::{
    DeadlineFrom, DecodeError, Flow, FlowDefinition, FlowOptions, HookFuture, Migrate, Participants, StepFuture,
    StepInfo, DEFAULT_TIMEOUT_MESSAGE,
};
pub use graph::Graph;
pub use incoming::{
    Action, ActionView, AssistantThread, Field, File, FunctionRun, Incoming, NotInput, Payload, SelectedOption,
    ShortcutMessage, ShortcutUse, SlashCommand, ViewSubmission, WorkflowToken,
};
pub use input::{Click, Command, Files, FromInput, Joined, Reaction, Selection, Shortcut, Submission, Text, Timeout};
pub use memory::MemoryStore;
pub use normalize::{NormalizeError, SlackJson};
pub use record::{Direction, FlowRecord, LoggedMessage, APPLIED_LIMIT, MESSAGE_LOG_LIMIT};
pub use schedule::{Missed, Schedule, ScheduleError, Target};
pub use signal::Signal;
pub use slack::{slack_ts, typed_call, PostMetadata, PostTag, SlackApi, SlackError, SlackReply, SlackRequest};
pub use state::{FlowState, IllegalTransition, UnknownState};
pub use step_field::StepData;
pub use store::{FlowFilter, Purged, Receipt, Received, Store, StoreError};
pub use stored_step::StoredStep;
pub use suggestion::{SelectOption, Suggestion};
pub use transition::{
    complete, complete_flow, complete_silently, fail, goto, reask, reject, stay, Next, StepError, Transition,
};
pub use trigger::Trigger;
