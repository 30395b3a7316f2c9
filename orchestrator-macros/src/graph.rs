//! Finds the transitions a handler makes by reading its body: calls of `goto(Step…)`,
//! `stay()`, `reask()`, `complete(…)`, `fail(…)`, `complete_flow(…)` (and the
//! `Transition::…` variants). What a handler computes at run time cannot be seen; the
//! graph shows what the source says.

use crate::paths::Paths;
use std::collections::HashMap;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprCall, ExprPath, Ident};

/// Where an edge leads.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum To {
    Step(Ident),
    Stay,
    Reject,
    Complete,
    Fail,
}

/// How a step is recognised in a body: by its name among the flow's steps (a `#[flow]`
/// module sees them all), or as `Enum::Name` (a `#[step]` on its own sees only the enum).
#[derive(Clone, Copy)]
pub(crate) enum Steps<'a> {
    Listed(&'a [Ident]),
    Of(&'a Ident),
}

/// The targets reached from `body`, in order of appearance, without repeats. A call of a
/// function of the flow's module (`helpers`, e.g. a shared `judge(cx, answer)`) counts with
/// the transitions of its own body.
pub(crate) fn targets(body: &syn::Block, steps: Steps<'_>, helpers: &HashMap<String, &syn::Block>) -> Vec<To> {
    let mut finder = Finder {
        steps,
        helpers,
        visited: Vec::new(),
        found: Vec::new(),
    };
    finder.visit_block(body);
    finder.found
}

struct Finder<'a> {
    steps: Steps<'a>,
    helpers: &'a HashMap<String, &'a syn::Block>,
    /// Helpers already read (a helper calling itself is read once).
    visited: Vec<String>,
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
        match self.steps {
            Steps::Listed(steps) => steps.iter().find(|s| *s == last).cloned(),
            Steps::Of(enum_ident) => {
                let qualifier = &path.segments.iter().rev().nth(1)?.ident;
                (qualifier == enum_ident).then(|| last.clone())
            }
        }
    }
}

/// The transition a called path stands for: the prelude's functions (`goto`, `stay`…, a
/// bare name) or `Transition`'s variants; any other function of that name is not one.
fn transition_name(path: &syn::Path) -> Option<String> {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [name] => Some(name.clone()),
        [.., kind, variant] if kind == "Transition" => Some(variant.to_lowercase()),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_expr_call(&mut self, call: &'ast ExprCall) {
        if let Expr::Path(ExprPath { path, .. }) = &*call.func {
            match transition_name(path).as_deref() {
                Some("goto") => {
                    if let Some(step) = call.args.first().and_then(|a| self.step_of(a)) {
                        self.add(To::Step(step));
                    }
                }
                Some("stay" | "reask") => self.add(To::Stay),
                Some("reject") => self.add(To::Reject),
                Some("complete" | "complete_silently") => self.add(To::Complete),
                Some("fail") => self.add(To::Fail),
                Some("complete_flow") => {
                    self.add(To::Complete);
                    self.add(To::Fail);
                }
                Some(name) => {
                    if let Some(body) = self.helpers.get(name).copied() {
                        if !self.visited.iter().any(|v| v == name) {
                            self.visited.push(name.to_owned());
                            self.visit_block(body);
                        }
                    }
                }
                None => {}
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_path(&mut self, expr: &'ast ExprPath) {
        if let Some(name) = transition_name(&expr.path).filter(|_| expr.path.segments.len() > 1) {
            if name == "stay" || name == "reask" {
                self.add(To::Stay);
            }
        }
    }
}

/// The calls of the free functions named `names` in `body` (e.g. `stay`, `reject`), as the
/// expressions written, to point errors at them.
pub(crate) fn calls<'a>(body: &'a syn::Block, names: &[&str]) -> Vec<&'a ExprCall> {
    struct Calls<'a, 'n> {
        names: &'n [&'n str],
        found: Vec<&'a ExprCall>,
    }
    impl<'a> Visit<'a> for Calls<'a, '_> {
        fn visit_expr_call(&mut self, call: &'a ExprCall) {
            if let Expr::Path(ExprPath { path, .. }) = &*call.func {
                if path.segments.len() == 1 && self.names.iter().any(|n| path.is_ident(n)) {
                    self.found.push(call);
                }
            }
            syn::visit::visit_expr_call(self, call);
        }
    }
    let mut finder = Calls {
        names,
        found: Vec::new(),
    };
    finder.visit_block(body);
    finder.found
}

/// Rewrites each step that `body` returns as it is (its tail expression, `return` values),
/// e.g. `Onboarding::AskName`, into `goto(Onboarding::AskName)`, and returns the steps as
/// written: `check` reports them, and the code emitted beside that error still type-checks,
/// so rustc does not add a "mismatched types" of its own.
pub(crate) fn wrap_bare_steps(body: &mut syn::Block, enum_ident: &Ident, paths: &Paths) -> Vec<Expr> {
    struct Wrap<'i> {
        enum_ident: &'i Ident,
        private: proc_macro2::TokenStream,
        wrapped: Vec<Expr>,
    }
    impl Wrap<'_> {
        fn wrap(&mut self, expr: &mut Expr) {
            let path = match &*expr {
                Expr::Path(p) => &p.path,
                Expr::Struct(s) => &s.path,
                _ => return,
            };
            let first = &path.segments[0].ident;
            if path.segments.len() == 2 && (first == self.enum_ident || first == "Self") {
                self.wrapped.push(expr.clone());
                let span = syn::spanned::Spanned::span(&*expr);
                let private = &self.private;
                *expr = syn::parse_quote_spanned!(span=> #private::goto(#expr));
            }
        }
    }
    impl VisitMut for Wrap<'_> {
        fn visit_expr_return_mut(&mut self, ret: &mut syn::ExprReturn) {
            if let Some(expr) = &mut ret.expr {
                self.wrap(expr);
            }
            syn::visit_mut::visit_expr_return_mut(self, ret);
        }
        // Closures and nested functions return their own values.
        fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
        fn visit_item_fn_mut(&mut self, _: &mut syn::ItemFn) {}
    }
    let mut wrap = Wrap {
        enum_ident,
        private: paths.private(),
        wrapped: Vec::new(),
    };
    wrap.visit_block_mut(body);
    if let Some(syn::Stmt::Expr(tail, None)) = body.stmts.last_mut() {
        wrap.wrap(tail);
    }
    wrap.wrapped
}
