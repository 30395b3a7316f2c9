//! What a step returns: a [`Transition`] to the next step, or a [`StepError`].

use std::collections::BTreeMap;
use std::fmt;

/// What happens after a step ran; steps build it with [`goto`], [`stay`], [`reask`],
/// [`complete`], [`fail`] or [`reject`].
///
/// ```
/// # use orchestrator_core::{goto, Transition};
/// #[derive(Debug, PartialEq)]
/// enum Step { AskName, AskTeam }
/// let next = goto(Step::AskTeam).unwrap();
/// assert!(matches!(next, Transition::Goto(Step::AskTeam)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition<S> {
    /// Move to this step. If it has an entry handler, that runs at once; otherwise the
    /// flow waits for the user's input for it.
    Goto(S),
    /// Stay in the current step and wait for another input (e.g. the answer was invalid).
    Stay,
    /// Stay in the current step and run its entry handler again (ask the question again).
    Reask,
    /// The flow completed; the message, if any, is sent to the conversation.
    Complete(Option<String>),
    /// The flow failed and goes to ERROR; the message, if any, is sent to the conversation.
    Fail(Option<String>),
    /// A submitted modal is refused with these errors (`block_id` -> message): Slack shows
    /// them under the fields and keeps the modal open; the flow stays in this step.
    Reject(BTreeMap<String, String>),
}

/// The return type of a step handler: `Result<Transition<S>, StepError>`, so `?` works on
/// Slack calls and on any other error.
///
/// ```
/// # use orchestrator_core::{complete, fail, Next};
/// fn check(age: &str) -> Next<()> {
///     let age: u8 = age.trim().parse()?; // a parse error ends the flow in ERROR
///     if age < 18 { fail("Ask a parent to sign up for you.") } else { complete("Welcome!") }
/// }
/// assert!(check("20").is_ok());
/// assert!(check("twenty").is_err());
/// ```
pub type Next<S> = Result<Transition<S>, StepError>;

/// Move to `step`.
///
/// ```
/// # use orchestrator_core::{goto, Transition};
/// assert_eq!(goto::<u8>(3).unwrap(), Transition::Goto(3));
/// ```
pub fn goto<S>(step: S) -> Next<S> {
    Ok(Transition::Goto(step))
}

/// Stay in this step and wait for another input.
///
/// ```
/// # use orchestrator_core::{stay, Transition};
/// assert_eq!(stay::<u8>().unwrap(), Transition::Stay);
/// ```
pub fn stay<S>() -> Next<S> {
    Ok(Transition::Stay)
}

/// Stay in this step and run its entry handler again.
///
/// ```
/// # use orchestrator_core::{reask, Transition};
/// assert_eq!(reask::<u8>().unwrap(), Transition::Reask);
/// ```
pub fn reask<S>() -> Next<S> {
    Ok(Transition::Reask)
}

/// Complete the flow, sending `message` to the conversation.
///
/// ```
/// # use orchestrator_core::{complete, Transition};
/// assert_eq!(complete::<u8>("done").unwrap(), Transition::Complete(Some("done".into())));
/// ```
pub fn complete<S>(message: impl Into<String>) -> Next<S> {
    Ok(Transition::Complete(Some(message.into())))
}

/// Complete the flow without a final message.
///
/// ```
/// # use orchestrator_core::{complete_silently, Transition};
/// assert_eq!(complete_silently::<u8>().unwrap(), Transition::Complete(None));
/// ```
pub fn complete_silently<S>() -> Next<S> {
    Ok(Transition::Complete(None))
}

/// End the flow in ERROR, sending `message` to the conversation.
///
/// ```
/// # use orchestrator_core::{fail, Transition};
/// assert_eq!(fail::<u8>("no such team").unwrap(), Transition::Fail(Some("no such team".into())));
/// ```
pub fn fail<S>(message: impl Into<String>) -> Next<S> {
    Ok(Transition::Fail(Some(message.into())))
}

/// Refuse a modal submission with an error per input, e.g.
/// `reject([("score", "A number from 1 to 5, please")])`. An input is named by its
/// `action_id` (as [`Submission::value`](crate::Submission) takes it) or by its block's
/// `block_id`; Slack shows the message under that input.
///
/// ```
/// # use orchestrator_core::{reject, Transition};
/// let Ok(Transition::Reject(errors)) = reject::<u8>([("score", "too high")]) else { panic!() };
/// assert_eq!(errors["score"], "too high");
/// ```
pub fn reject<S>(errors: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>) -> Next<S> {
    Ok(Transition::Reject(
        errors.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
    ))
}

/// The original's `complete_flow(success, final_message)`: [`complete`] when `success`,
/// otherwise [`fail`]; either way with an optional final message.
///
/// ```
/// # use orchestrator_core::{complete_flow, Transition};
/// assert_eq!(complete_flow::<u8>(false, None).unwrap(), Transition::Fail(None));
/// ```
pub fn complete_flow<S>(success: bool, final_message: Option<String>) -> Next<S> {
    Ok(if success {
        Transition::Complete(final_message)
    } else {
        Transition::Fail(final_message)
    })
}

impl<S> Transition<S> {
    /// Maps the step type, keeping the kind of transition.
    ///
    /// ```
    /// # use orchestrator_core::Transition;
    /// let next: Transition<&str> = Transition::Goto("Help");
    /// assert!(matches!(next.map(str::len), Transition::Goto(4)));
    /// assert!(matches!(Transition::<&str>::Stay.map(str::len), Transition::Stay));
    /// ```
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> Transition<T> {
        self.try_map(|s| Ok::<T, std::convert::Infallible>(f(s)))
            .unwrap_or_else(|never| match never {})
    }

    /// Maps the step type with a conversion that may fail (serializing the step, say).
    ///
    /// ```
    /// # use orchestrator_core::Transition;
    /// let parsed: Result<Transition<u8>, _> = Transition::Goto("7").try_map(str::parse);
    /// assert_eq!(parsed, Ok(Transition::Goto(7)));
    /// assert!(Transition::Goto("x").try_map(str::parse::<u8>).is_err());
    /// assert_eq!(Transition::<&str>::Stay.try_map(str::parse::<u8>), Ok(Transition::Stay));
    /// ```
    pub fn try_map<T, E>(self, f: impl FnOnce(S) -> Result<T, E>) -> Result<Transition<T>, E> {
        Ok(match self {
            Transition::Goto(s) => Transition::Goto(f(s)?),
            Transition::Stay => Transition::Stay,
            Transition::Reask => Transition::Reask,
            Transition::Complete(m) => Transition::Complete(m),
            Transition::Fail(m) => Transition::Fail(m),
            Transition::Reject(errors) => Transition::Reject(errors),
        })
    }
}

/// A step failed. Any error converts into it with `?`; the flow then goes to ERROR and the
/// orchestrator logs the message.
///
/// ```
/// # use orchestrator_core::StepError;
/// fn parse(n: &str) -> Result<u32, StepError> { Ok(n.parse::<u32>()?) }
/// assert!(parse("x").unwrap_err().to_string().contains("invalid digit"));
/// assert_eq!(StepError::msg("no budget").to_string(), "no budget");
/// ```
pub struct StepError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StepError {
    /// An error with just a message.
    ///
    /// ```
    /// use orchestrator_core::{Cx, Next, StepError};
    /// fn check(amount: i64) -> Result<i64, StepError> {
    ///     if amount <= 0 {
    ///         return Err(StepError::msg(format!("amount {amount} is not positive")));
    ///     }
    ///     Ok(amount)
    /// }
    /// assert_eq!(check(-5).unwrap_err().to_string(), "amount -5 is not positive");
    /// ```
    pub fn msg(message: impl fmt::Display) -> Self {
        StepError {
            message: message.to_string(),
            source: None,
        }
    }

    /// The underlying error, if the step error wraps one.
    ///
    /// ```
    /// use orchestrator_core::StepError;
    /// // Any error converts with `?`, and keeps its source for the log.
    /// fn parse(text: &str) -> Result<u32, StepError> { Ok(text.parse::<u32>()?) }
    /// let error = parse("twelve").unwrap_err();
    /// assert!(error.source().is_some());
    /// assert!(StepError::msg("plain").source().is_none());
    /// ```
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

// Not `std::error::Error` itself: that would conflict with this blanket `From` (as with anyhow).
impl<E: std::error::Error + Send + Sync + 'static> From<E> for StepError {
    fn from(error: E) -> Self {
        StepError {
            message: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}
