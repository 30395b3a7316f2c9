//! Finds the transitions a handler makes by reading its body: calls of `goto(Step…)`,
//! `stay()`, `reask()`, `complete(…)`, `fail(…)`, `complete_flow(…)` (and the
//! `Transition::…` variants). What a handler computes at run time cannot be seen; the
//! graph shows what the source says.

use syn::visit::Visit;
use syn::{Expr, ExprCall, ExprPath, Ident};

/// Where an edge leads.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum To {
    Step(Ident),
    Stay,
    Complete,
    Fail,
}

/// The targets reached from `body`, in order of appearance, without repeats.
pub(crate) fn targets(body: &syn::Block, steps: &[Ident]) -> Vec<To> {
    let mut finder = Finder {
        steps,
        found: Vec::new(),
    };
    finder.visit_block(body);
    finder.found
}

struct Finder<'a> {
    steps: &'a [Ident],
    found: Vec<To>,
}

impl Finder<'_> {
    fn add(&mut self, to: To) {
        if !self.found.contains(&to) {
            self.found.push(to);
        }
    }

    fn step_of(&self, expr: &Expr) -> Option<Ident> {
        let path = match expr {
            Expr::Path(p) => &p.path,
            Expr::Struct(s) => &s.path,
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => &p.path,
                _ => return None,
            },
            _ => return None,
        };
        let last = &path.segments.last()?.ident;
        self.steps.iter().find(|s| *s == last).cloned()
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if let Expr::Path(ExprPath { path, .. }) = &*call.func {
            let name = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            match name.as_str() {
                "goto" | "Goto" => {
                    if let Some(step) = call.args.first().and_then(|a| self.step_of(a)) {
                        self.add(To::Step(step));
                    }
                }
                "stay" | "reask" | "reject" | "Reject" => self.add(To::Stay),
                "complete" | "complete_silently" | "Complete" => self.add(To::Complete),
                "fail" | "Fail" => self.add(To::Fail),
                "complete_flow" => {
                    self.add(To::Complete);
                    self.add(To::Fail);
                }
                _ => {}
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_path(&mut self, expr: &'ast ExprPath) {
        let name = expr
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if matches!(name.as_str(), "Stay" | "Reask") && expr.path.segments.len() > 1 {
            self.add(To::Stay);
        }
    }
}
