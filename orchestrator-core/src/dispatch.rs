//! How the code `#[flow]` and `#[step]` generate finds a step's handlers, wherever they
//! are written: each `#[step]` implements [`Handles`] for the step enum, keyed by the
//! step and its input; the flow's dispatch asks a [`Slot`] for each key it could have.
//!
//! A `Slot` whose handler exists has the inherent items (`EXISTS`, `take`, `call`,
//! `edges`); one whose handler does not falls back to the [`Absent`] trait's items of the
//! same names. Inherent items win over a trait's, and an inherent impl whose bound does
//! not hold is skipped, so the choice is made by rustc, per concrete type, at compile
//! time: a missing handler costs nothing at run time and can be a compile error.
//!
//! ```
//! use orchestrator_core::dispatch::{Absent as _, Edge, Entry, Handles, Slot};
//! use orchestrator_core::{complete, Cx, StepFuture};
//!
//! #[derive(Debug)]
//! enum Steps { Start, Unhandled }
//! impl Handles<1, Entry> for Steps {
//!     const EDGES: &'static [Edge] = &[Edge::Complete];
//!     fn handle(self, _cx: &mut Cx, _: Entry) -> StepFuture<'_, Self> {
//!         Box::pin(async { complete("done") })
//!     }
//! }
//! const _: () = assert!(<Slot<Steps, 1, Entry>>::EXISTS && !<Slot<Steps, 2, Entry>>::EXISTS);
//! # let _ = (Steps::Start, Steps::Unhandled);
//! ```

use crate::cx::Cx;
use crate::flow::StepFuture;
use crate::graph::{Graph, Target};
use crate::incoming::{AssistantThread, FunctionRun, Incoming};
use crate::input::{
    Click, Command, Files, FromInput, Joined, Reaction, Selection, Shortcut, Submission, Text, Timeout,
};
use crate::signal::Signal;
use std::marker::PhantomData;

/// Where a handler's transition leads, as `#[step]` reads it from the handler's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `goto(Steps::Name…)`.
    Step(&'static str),
    /// `stay()` / `reask()`.
    Stay,
    /// `reject(...)`.
    Reject,
    /// `complete(...)`.
    Complete,
    /// `fail(...)`.
    Fail,
}

impl From<Edge> for Target {
    fn from(edge: Edge) -> Target {
        match edge {
            Edge::Step(step) => Target::Step(step.to_owned()),
            Edge::Stay => Target::Stay,
            Edge::Reject => Target::Reject,
            Edge::Complete => Target::Complete,
            Edge::Fail => Target::Fail,
        }
    }
}

/// The "input" of an entry handler: the one that runs when the flow reaches its step.
#[derive(Debug, Clone, Copy)]
pub struct Entry;

/// What a handler's slot is keyed by: [`Entry`] or one of the inputs the dispatch tries.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an input a step can receive",
    label = "not a step input",
    note = "a step handler takes `cx: &mut Cx`, then the fields of its step, then at most one input: `Text`, `Click`, `Selection`, `Submission`, `Files`, `Command`, `Shortcut`, `Reaction`, `Joined`, `AssistantThread`, `FunctionRun`, `Signal`, `Timeout` or `Incoming`",
    note = "a parameter meant to bind a field of the step must be named in the `#[step(...)]` pattern, e.g. `#[step(AskHelp {{ name }})]`"
)]
pub trait StepInput: sealed::Sealed + Send + 'static {}

mod sealed {
    pub trait Sealed {}
}

macro_rules! step_inputs {
    ($($input:ty),*) => {
        $(impl sealed::Sealed for $input {}
          impl StepInput for $input {})*
    };
}
// The order `#[flow]` tries them in is its own (the specific inputs first, `Incoming` last).
step_inputs!(
    Entry,
    Submission,
    Click,
    Selection,
    Shortcut,
    Command,
    Files,
    Reaction,
    Joined,
    AssistantThread,
    FunctionRun,
    Signal,
    Text,
    Timeout,
    Incoming
);

/// A handler of step `STEP` (a hash of the variant's name) for input `I`, implemented on
/// the step enum by `#[step]`.
pub trait Handles<const STEP: u64, I: StepInput>: Sized {
    /// The transitions the handler's body makes.
    const EDGES: &'static [Edge];
    /// Runs the handler on the step's data.
    fn handle(self, cx: &mut Cx, input: I) -> StepFuture<'_, Self>;
}

/// The place of one (step, input) handler of flow `F`; see the module docs.
pub struct Slot<F, const STEP: u64, I>(PhantomData<fn() -> (F, I)>);

impl<F, const STEP: u64, I> Slot<F, STEP, I> {
    /// The slot.
    pub const NEW: Self = Slot(PhantomData);
}

impl<F: Handles<STEP, I>, const STEP: u64, I: StepInput> Slot<F, STEP, I> {
    /// A handler fills the slot.
    pub const EXISTS: bool = true;

    /// Runs the handler.
    pub fn call<'a>(&self, step: F, cx: &'a mut Cx, input: I) -> StepFuture<'a, F> {
        step.handle(cx, input)
    }

    /// Adds the handler's transitions to `graph`.
    pub fn edges(&self, mut graph: Graph, from: &str, input: Option<&str>) -> Graph {
        for edge in F::EDGES {
            graph = graph.edge(from, Target::from(*edge), input);
        }
        graph
    }
}

impl<F: Handles<STEP, I>, const STEP: u64, I: StepInput + FromInput> Slot<F, STEP, I> {
    /// The event as this handler's input, if it is one.
    pub fn take(&self, incoming: &Incoming) -> Option<I> {
        I::from_input(incoming)
    }
}

/// The items of an empty [`Slot`]: no handler, nothing taken, no transitions.
pub trait Absent<F, I> {
    /// No handler fills the slot.
    const EXISTS: bool = false;

    /// Never called: [`Absent::take`] takes nothing.
    fn call<'a>(&self, _step: F, _cx: &'a mut Cx, _input: I) -> StepFuture<'a, F> {
        unreachable!("an empty slot takes no input")
    }

    /// No transitions.
    fn edges(&self, graph: Graph, _from: &str, _input: Option<&str>) -> Graph {
        graph
    }

    /// Nothing: there is no handler to give it to.
    fn take(&self, _incoming: &Incoming) -> Option<I> {
        None
    }
}

impl<F, const STEP: u64, I> Absent<F, I> for Slot<F, STEP, I> {}
