//! The lifecycle of a flow: the six [`FlowState`]s and the only legal moves between them.
//!
//! Every change of state in the orchestrator goes through [`FlowState::transition`], so an
//! illegal move (say, reviving a completed flow) is an error instead of a silent overwrite.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a flow is in its life.
///
/// ```
/// use orchestrator_core::FlowState;
/// let s = FlowState::Initiated.transition(FlowState::Processing).unwrap();
/// assert_eq!(s, FlowState::Processing);
/// assert!(FlowState::Completed.transition(FlowState::Processing).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowState {
    /// Created from a trigger; no step has run yet.
    Initiated,
    /// A step has run and the flow waits for the user's next input.
    WaitingForResponse,
    /// A step is running right now.
    Processing,
    /// The flow finished successfully.
    Completed,
    /// The flow's deadline passed while it waited for the user.
    TimedOut,
    /// A step failed, the stored state could not be decoded, or the flow was cancelled.
    Error,
}

/// An attempted move between two [`FlowState`]s that the lifecycle forbids.
///
/// ```
/// use orchestrator_core::FlowState;
/// let refused = FlowState::Completed.transition(FlowState::Processing).unwrap_err();
/// assert_eq!(refused.to_string(), "illegal flow state transition COMPLETED -> PROCESSING");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal flow state transition {from} -> {to}")]
pub struct IllegalTransition {
    /// The state the flow was in.
    pub from: FlowState,
    /// The state that was asked for.
    pub to: FlowState,
}

impl FlowState {
    /// All six states, in lifecycle order.
    ///
    /// ```
    /// # use orchestrator_core::FlowState;
    /// let finished = FlowState::ALL.iter().filter(|s| s.is_terminal()).count();
    /// assert_eq!(finished, 3, "completed, timed out, error");
    /// ```
    pub const ALL: [FlowState; 6] = [
        FlowState::Initiated,
        FlowState::WaitingForResponse,
        FlowState::Processing,
        FlowState::Completed,
        FlowState::TimedOut,
        FlowState::Error,
    ];

    /// `true` for the states a flow never leaves: completed, timed out, error.
    ///
    /// ```
    /// # use orchestrator_core::FlowState;
    /// assert!(FlowState::TimedOut.is_terminal());
    /// assert!(!FlowState::WaitingForResponse.is_terminal());
    /// ```
    pub fn is_terminal(self) -> bool {
        matches!(self, FlowState::Completed | FlowState::TimedOut | FlowState::Error)
    }

    /// Whether the lifecycle allows moving from `self` to `next`.
    ///
    /// The legal moves, and nothing else:
    /// `INITIATED -> PROCESSING | WAITING_FOR_RESPONSE | TIMED_OUT | ERROR`,
    /// `WAITING_FOR_RESPONSE -> PROCESSING | TIMED_OUT | ERROR`,
    /// `PROCESSING -> WAITING_FOR_RESPONSE | COMPLETED | ERROR`.
    ///
    /// ```
    /// # use orchestrator_core::FlowState;
    /// assert!(FlowState::Processing.can_become(FlowState::Completed));
    /// assert!(!FlowState::WaitingForResponse.can_become(FlowState::Completed));
    /// ```
    pub fn can_become(self, next: FlowState) -> bool {
        use FlowState::*;
        matches!(
            (self, next),
            (Initiated, Processing | WaitingForResponse | TimedOut | Error)
                | (WaitingForResponse, Processing | TimedOut | Error)
                | (Processing, WaitingForResponse | Completed | Error)
        )
    }

    /// Checks the move and returns the new state, or the [`IllegalTransition`].
    ///
    /// ```
    /// # use orchestrator_core::FlowState;
    /// let err = FlowState::Error.transition(FlowState::Completed).unwrap_err();
    /// assert_eq!(err.to_string(), "illegal flow state transition ERROR -> COMPLETED");
    /// ```
    pub fn transition(self, next: FlowState) -> Result<FlowState, IllegalTransition> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(IllegalTransition { from: self, to: next })
        }
    }

    /// The state's name as stored and printed, e.g. `WAITING_FOR_RESPONSE`.
    ///
    /// ```
    /// # use orchestrator_core::FlowState;
    /// assert_eq!(FlowState::TimedOut.as_str(), "TIMED_OUT");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FlowState::Initiated => "INITIATED",
            FlowState::WaitingForResponse => "WAITING_FOR_RESPONSE",
            FlowState::Processing => "PROCESSING",
            FlowState::Completed => "COMPLETED",
            FlowState::TimedOut => "TIMED_OUT",
            FlowState::Error => "ERROR",
        }
    }
}

impl fmt::Display for FlowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text given to [`FlowState::from_str`] names no state.
///
/// ```
/// use orchestrator_core::FlowState;
/// assert_eq!("timed_out".parse::<FlowState>(), Ok(FlowState::TimedOut));
/// let unknown = "PAUSED".parse::<FlowState>().unwrap_err();
/// assert!(unknown.to_string().starts_with("unknown flow state `PAUSED`; the states are"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown flow state `{0}`; the states are INITIATED, WAITING_FOR_RESPONSE, PROCESSING, COMPLETED, TIMED_OUT, ERROR"
)]
pub struct UnknownState(pub String);

impl FromStr for FlowState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FlowState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_have_no_way_out() {
        for from in FlowState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in FlowState::ALL {
                assert!(from.transition(to).is_err(), "{from} -> {to} must be illegal");
            }
        }
    }

    #[test]
    fn the_happy_path_is_legal() {
        let path = [
            FlowState::Initiated,
            FlowState::Processing,
            FlowState::WaitingForResponse,
            FlowState::Processing,
            FlowState::Completed,
        ];
        for pair in path.windows(2) {
            assert_eq!(pair[0].transition(pair[1]), Ok(pair[1]));
        }
    }

    #[test]
    fn waiting_cannot_complete_without_processing() {
        assert_eq!(
            FlowState::WaitingForResponse.transition(FlowState::Completed),
            Err(IllegalTransition {
                from: FlowState::WaitingForResponse,
                to: FlowState::Completed
            })
        );
    }

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for state in FlowState::ALL {
            assert_eq!(state.as_str().parse::<FlowState>(), Ok(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(serde_json::from_str::<FlowState>(&json).unwrap(), state);
        }
        assert!("DONE"
            .parse::<FlowState>()
            .unwrap_err()
            .to_string()
            .contains("TIMED_OUT"));
    }
}
