//! Finds the transitions a handler makes by reading its body: calls of `goto(Step…)`,
//! `stay()`, `reask()`, `complete(…)`, `fail(…)`, `complete_flow(…)` (and the
//! `Transition::…` variants). What a handler computes at run time cannot be seen; the
//! graph shows what the source says.

use syn::visit::Visit;
use syn::visit_mut::VisitMut;
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
pub(crate) fn wrap_bare_steps(body: &mut syn::Block, enum_ident: &Ident) -> Vec<Expr> {
    struct Wrap<'i> {
        enum_ident: &'i Ident,
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
                *expr = syn::parse_quote_spanned!(span=> ::slack_orchestrator::__private::goto(#expr));
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
        wrapped: Vec::new(),
    };
    wrap.visit_block_mut(body);
    if let Some(syn::Stmt::Expr(tail, None)) = body.stmts.last_mut() {
        wrap.wrap(tail);
    }
    wrap.wrapped
}
