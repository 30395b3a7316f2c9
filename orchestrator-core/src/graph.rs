//! [`Graph`]: a flow's steps and the transitions its handlers make, as data, with Mermaid
//! and Graphviz DOT renderings. The macros build it from the handlers' bodies.

use std::fmt::Write;

/// Nodes and edges of a flow.
///
/// ```
/// use orchestrator_core::graph::{Graph, Target};
/// let graph = Graph::new("onboarding", "Welcome")
///     .node("Welcome", false)
///     .node("AskName", false)
///     .edge("Welcome", Target::Step("AskName".into()), None)
///     .edge("AskName", Target::Complete, Some("Text"));
/// let mermaid = graph.to_mermaid();
/// assert!(mermaid.contains("[*] --> Welcome"));
/// assert!(mermaid.contains("AskName --> [*]: Text / complete"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// The flow's name.
    pub flow: String,
    /// The start step.
    pub start: String,
    /// Every step.
    pub nodes: Vec<Node>,
    /// Every transition found.
    pub edges: Vec<Edge>,
}

/// A step.
///
/// ```
/// use orchestrator_core::graph::{Graph, Target};
/// let graph = Graph::new("approval", "Ask")
///     .node("Ask", false)
///     .node("Approved", true)
///     .edge("Ask", Target::Step("Approved".into()), Some("Click"))
///     .edge("Ask", Target::Fail, Some("Text"));
/// let approved = graph.nodes.iter().find(|n| n.name == "Approved").unwrap();
/// assert!(approved.terminal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Variant name.
    pub name: String,
    /// Marked `#[terminal]`: reaching it completes the flow.
    pub terminal: bool,
}

/// A transition made by a handler.
///
/// ```
/// use orchestrator_core::graph::{Graph, Target};
/// let graph = Graph::new("approval", "Ask")
///     .node("Ask", false)
///     .node("Approved", true)
///     .edge("Ask", Target::Step("Approved".into()), Some("Click"))
///     .edge("Ask", Target::Fail, Some("Text"));
/// let click = &graph.edges[0];
/// assert_eq!((click.from.as_str(), &click.to, click.input.as_deref()), ("Ask", &Target::Step("Approved".into()), Some("Click")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The step whose handler makes it.
    pub from: String,
    /// Where it leads.
    pub to: Target,
    /// The handler's input type (`Text`, `Click`…), `None` for an entry handler.
    pub input: Option<String>,
}

/// Where an [`Edge`] leads.
///
/// ```
/// use orchestrator_core::graph::{Graph, Target};
/// let graph = Graph::new("approval", "Ask")
///     .node("Ask", false)
///     .node("Approved", true)
///     .edge("Ask", Target::Step("Approved".into()), Some("Click"))
///     .edge("Ask", Target::Fail, Some("Text"));
/// assert!(graph.edges.iter().any(|e| e.to == Target::Fail));
/// assert!(graph.to_mermaid().contains("Ask --> [*]: Text / fail"), "{}", graph.to_mermaid());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another (or the same) step.
    Step(String),
    /// `stay()` / `reask()`: the same step.
    Stay,
    /// The flow completes.
    Complete,
    /// The flow fails.
    Fail,
    /// `reject([...])`: the modal stays open with errors, the step waits again.
    Reject,
    /// The step's deadline passes with no `Timeout` handler: the flow times out.
    TimedOut,
}

impl Graph {
    /// An empty graph.
    ///
    /// ```
    /// use orchestrator_core::Graph;
    /// let graph = Graph::new("survey", "Ask");
    /// assert_eq!((graph.flow.as_str(), graph.start.as_str(), graph.nodes.len()), ("survey", "Ask", 0));
    /// ```
    pub fn new(flow: impl Into<String>, start: impl Into<String>) -> Self {
        Graph {
            flow: flow.into(),
            start: start.into(),
            nodes: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// Adds a step.
    ///
    /// ```
    /// use orchestrator_core::Graph;
    /// let graph = Graph::new("survey", "Ask").node("Ask", false).node("Thanks", true);
    /// assert!(graph.nodes[1].terminal);
    /// ```
    pub fn node(mut self, name: impl Into<String>, terminal: bool) -> Self {
        self.nodes.push(Node {
            name: name.into(),
            terminal,
        });
        self
    }

    /// Adds a transition (duplicates are dropped).
    ///
    /// ```
    /// use orchestrator_core::graph::{Graph, Target};
    /// let graph = Graph::new("survey", "Ask").node("Ask", false).edge("Ask", Target::Stay, Some("Text"));
    /// assert_eq!(graph.edges[0].input.as_deref(), Some("Text"));
    /// ```
    pub fn edge(mut self, from: impl Into<String>, to: Target, input: Option<&str>) -> Self {
        let edge = Edge {
            from: from.into(),
            to,
            input: input.map(str::to_owned),
        };
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
        self
    }

    /// The graph as a Mermaid `stateDiagram-v2`.
    ///
    /// ```
    /// use orchestrator_core::graph::{Graph, Target};
    /// let graph = Graph::new("survey", "Ask").node("Ask", false).edge("Ask", Target::TimedOut, None);
    /// assert!(graph.to_mermaid().starts_with("stateDiagram-v2"), "{}", graph.to_mermaid());
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("stateDiagram-v2\n");
        let _ = writeln!(out, "    [*] --> {}", self.start);
        for edge in &self.edges {
            let (to, what) = match &edge.to {
                Target::Step(s) => (s.as_str(), None),
                Target::Stay => (edge.from.as_str(), Some("stay")),
                Target::Reject => (edge.from.as_str(), Some("reject")),
                Target::Complete => ("[*]", Some("complete")),
                Target::Fail => ("[*]", Some("fail")),
                Target::TimedOut => ("[*]", Some("timed out")),
            };
            let label = match (&edge.input, what) {
                (Some(i), Some(w)) => format!(": {i} / {w}"),
                (Some(i), None) => format!(": {i}"),
                (None, Some(w)) => format!(": {w}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(out, "    {} --> {to}{label}", edge.from);
        }
        for node in self.nodes.iter().filter(|n| n.terminal) {
            let _ = writeln!(out, "    {} --> [*]", node.name);
        }
        out
    }

    /// The graph in Graphviz DOT.
    ///
    /// ```
    /// # use orchestrator_core::graph::{Graph, Target};
    /// let dot = Graph::new("f", "A").node("A", false).edge("A", Target::Fail, None).to_dot();
    /// assert!(dot.contains("\"A\" -> \"(fail)\""));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = format!("digraph \"{}\" {{\n    \"(start)\" -> \"{}\";\n", self.flow, self.start);
        for edge in &self.edges {
            let to = match &edge.to {
                Target::Step(s) => s.clone(),
                Target::Stay | Target::Reject => edge.from.clone(),
                Target::Complete => "(complete)".into(),
                Target::Fail => "(fail)".into(),
                Target::TimedOut => "(timed out)".into(),
            };
            let label = edge
                .input
                .as_deref()
                .map(|i| format!(" [label=\"{i}\"]"))
                .unwrap_or_default();
            let _ = writeln!(out, "    \"{}\" -> \"{to}\"{label};", edge.from);
        }
        out.push_str("}\n");
        out
    }
}
