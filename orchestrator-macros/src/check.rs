//! Cross-item rules of a flow, one function each. They record errors pointing at the
//! user's code; `expand` runs only when all pass.

use crate::ast::{FlowModule, Handler, Role, Shape, Step};
use crate::ctxt::Errors;
use std::collections::HashMap;

/// Runs every rule.
pub(crate) fn check(flow: &FlowModule, errors: &mut Errors) {
    enum_shape(flow, errors);
    one_start(flow, errors);
    for handler in &flow.handlers {
        handler_signature(handler, errors);
        if let Some(step) = target_step(flow, handler, errors) {
            handler_fields(handler, step, errors);
            if step.attrs.terminal {
                errors.at(
                    &handler.attr,
                    format!(
                        "step `{}` is `#[terminal]`: the flow completes when it gets there, so it cannot have a handler; remove `#[terminal]` or this handler",
                        step.ident
                    ),
                );
            }
        }
    }
    no_duplicate_handlers(flow, errors);
    every_step_handled(flow, errors);
}

/// Steps are serialized and matched by name, so they carry named fields or none.
fn enum_shape(flow: &FlowModule, errors: &mut Errors) {
    let generics = &flow.steps.item.generics;
    if !generics.params.is_empty() {
        errors.at(
            generics,
            "a step enum cannot be generic; store the data in the steps' fields",
        );
    }
    for step in &flow.steps.variants {
        if let Shape::Tuple(fields) = &step.shape {
            errors.at(
                fields,
                format!("step `{}` has unnamed fields; give them names, e.g. `{} {{ name: String }}`, so handlers can bind them", step.ident, step.ident),
            );
        }
    }
}

/// A flow starts in exactly one step, and a fresh flow has no data to put in it.
fn one_start(flow: &FlowModule, errors: &mut Errors) {
    let starts: Vec<&Step> = flow.steps.variants.iter().filter(|s| s.attrs.start.is_some()).collect();
    match starts.as_slice() {
        [] => errors.at(
            &flow.steps.ident,
            format!(
                "flow `{}` has no start step; mark the step the flow begins with `#[start]`",
                flow.steps.ident
            ),
        ),
        [first, rest @ ..] => {
            for extra in rest {
                errors.at_span(
                    extra.attrs.start.expect("filtered on start"),
                    format!(
                        "only one step can be `#[start]`, and `{}` already is; remove this one",
                        first.ident
                    ),
                );
            }
            if !matches!(first.shape, Shape::Unit) {
                errors.at(&first.ident, "the `#[start]` step cannot carry data (a new flow has none yet); make it a unit variant and move the data to a later step");
            }
        }
    }
}

/// Handlers are awaited by the dispatcher and receive the step context first.
fn handler_signature(handler: &Handler, errors: &mut Errors) {
    let sig = &handler.item.sig;
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            format!(
                "step handler `{}` must be an `async fn`; write `async fn {}(...)`",
                sig.ident, sig.ident
            ),
        );
    }
    if !matches!(handler.params.first().map(|p| &p.role), Some(Role::Cx)) {
        errors.at(
            &sig.ident,
            format!(
                "the first parameter of step handler `{}` must be the step context: `cx: &mut Cx`",
                sig.ident
            ),
        );
    }
    let mut inputs = handler.params.iter().filter(|p| matches!(p.role, Role::Input(_)));
    if let (Some(_), Some(second)) = (inputs.next(), inputs.next()) {
        errors.at(
            &second.arg,
            "a step handler takes at most one input (`Text`, `Click`, `Selection`, `Submission`, `Files`, `Command` or `Incoming`); to bind a field of the step, name it in the pattern: `#[step(Step { field })]`",
        );
    }
    for param in handler.params.iter().filter(|p| matches!(p.role, Role::Invalid)) {
        errors.at(
            &param.arg,
            "a step handler parameter is a plain name with a type, e.g. `name: String`",
        );
    }
}

/// The `#[step(...)]` path names a variant of this flow's enum.
fn target_step<'a>(flow: &'a FlowModule, handler: &Handler, errors: &mut Errors) -> Option<&'a Step> {
    let target = &handler.target;
    let qualifier = target.path.segments.iter().rev().nth(1).map(|s| &s.ident);
    if let Some(qualifier) = qualifier.filter(|q| **q != flow.steps.ident && *q != "Self") {
        errors.at(
            qualifier,
            format!(
                "this flow's steps are variants of `{}`, not of `{qualifier}`",
                flow.steps.ident
            ),
        );
        return None;
    }
    let found = flow.steps.variants.iter().find(|s| s.ident == *target.variant());
    if found.is_none() {
        let names: Vec<String> = flow.steps.variants.iter().map(|s| format!("`{}`", s.ident)).collect();
        errors.at(
            target.variant(),
            format!(
                "no step `{}` in `{}`; the steps are {}",
                target.variant(),
                flow.steps.ident,
                names.join(", ")
            ),
        );
    }
    found
}

/// Every field in the pattern exists on the step and has a parameter to go to.
fn handler_fields(handler: &Handler, step: &Step, errors: &mut Errors) {
    for field in &handler.target.fields {
        let Some((_, ty)) = step.fields().iter().find(|(name, _)| name == field) else {
            let names: Vec<String> = step.fields().iter().map(|(n, _)| format!("`{n}`")).collect();
            let has = if names.is_empty() {
                "no fields".to_owned()
            } else {
                format!("the fields {}", names.join(", "))
            };
            errors.at(
                field,
                format!("step `{}` has no field `{field}`; it has {has}", step.ident),
            );
            continue;
        };
        let bound = handler
            .params
            .iter()
            .any(|p| matches!(&p.role, Role::Field(name) if name == field));
        if !bound {
            errors.at(
                field,
                format!(
                    "the pattern binds `{field}` but `{}` has no parameter `{field}`; add `{field}: {}`",
                    handler.item.sig.ident,
                    quote::quote!(#ty)
                ),
            );
        }
    }
}

/// At most one entry handler and one handler per input type for a step, or dispatch
/// would be ambiguous.
fn no_duplicate_handlers(flow: &FlowModule, errors: &mut Errors) {
    let mut seen: HashMap<(String, String), &Handler> = HashMap::new();
    for handler in &flow.handlers {
        let key = (handler.target.variant().to_string(), handler.input_key());
        if let Some(first) = seen.get(&key) {
            let what = match handler.input() {
                Some(_) => format!("a handler for `{}` input", key.1),
                None => "an entry handler (one without input)".to_owned(),
            };
            errors.at(
                &handler.attr,
                format!(
                    "step `{}` already has {what}: `{}`; a step has at most one entry handler and one handler per input type",
                    key.0, first.item.sig.ident
                ),
            );
        } else {
            seen.insert(key, handler);
        }
    }
}

/// A step nobody handles would strand every flow that reaches it.
fn every_step_handled(flow: &FlowModule, errors: &mut Errors) {
    for step in flow.steps.variants.iter().filter(|s| !s.attrs.terminal) {
        if !flow.handlers.iter().any(|h| h.target.variant() == &step.ident) {
            errors.at(
                &step.ident,
                format!(
                    "step `{0}` has no handler; add one, e.g. `#[step({0})] async fn handle(cx: &mut Cx, answer: Text) -> Next<{1}>`, or mark the step `#[terminal]` if the flow ends there",
                    step.ident, flow.steps.ident
                ),
            );
        }
    }
}
