//! Cross-item rules of a flow, one function each. They record errors pointing at the
//! user's code; `expand` runs only when all pass.

use crate::ast::{FlowModule, Handler, Role, Shape, Step, StepEnum};
use crate::ctxt::Errors;
use crate::graph;
use crate::paths::Paths;
use std::collections::{HashMap, HashSet};
use syn::{Ident, Type};

/// Runs every rule on a `#[flow]` module: the enum's, each handler's, and those that need
/// the whole flow at once.
pub(crate) fn check(flow: &FlowModule, errors: &mut Errors) {
    check_enum(&flow.steps, errors);
    // Steps a misspelled target was taken for: their "has no handler" would be noise.
    let mut meant = HashSet::new();
    for handler in &flow.handlers {
        check_handler(handler, &flow.steps.ident, errors);
        if let Some(step) = target_step(flow, handler, &mut meant, errors) {
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
    every_step_handled(flow, &meant, errors);
    no_stay_without_input(flow, errors);
}

/// The rules a step enum keeps on its own (`#[flow]` on the enum runs only these; rustc
/// and the generated assertions check the handlers against it).
pub(crate) fn check_enum(steps: &StepEnum, errors: &mut Errors) {
    enum_shape(steps, errors);
    no_serde_derive(steps, errors);
    one_start(steps, errors);
}

/// The rules a handler keeps on its own (`#[step]` on a free function runs only these).
pub(crate) fn check_handler(handler: &Handler, steps: &Ident, errors: &mut Errors) {
    handler_signature(handler, errors);
    handler_returns(steps, handler, errors);
    reject_only_for_submissions(handler, errors);
    fields_bound(handler, errors);
    known_input(handler, errors);
}

/// A handler waits for one of the inputs the flow's dispatch tries (checked by name here,
/// where the error can point at the type; `StepInput`'s bound backs it for an alias).
fn known_input(handler: &Handler, errors: &mut Errors) {
    let inputs = handler
        .params
        .iter()
        .filter(|p| matches!(p.role, Role::Input(_)))
        .count();
    let Some(ty) = handler.input().filter(|_| inputs == 1) else {
        return; // none, or several: `handler_signature` says a handler takes at most one
    };
    let name = match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    if !name.is_some_and(|name| crate::impl_flow::INPUTS.contains(&name.as_str())) {
        errors.at(
            ty,
            format!(
                "`{}` is not an input a step can receive; a step handler takes `cx: &mut Cx`, then the fields of its step (named in the `#[step(...)]` pattern, e.g. `#[step(Onboarding::AskHelp {{ name }})]`), then at most one input: {}",
                quote::quote!(#ty),
                crate::impl_flow::inputs_listed()
            ),
        );
    }
}

/// `#[flow]` derives serde's traits for the step enum; a second derive would conflict.
fn no_serde_derive(steps: &StepEnum, errors: &mut Errors) {
    for attr in steps.item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) =
            attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        for path in paths {
            let name = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            if name == "Serialize" || name == "Deserialize" {
                errors.at(
                    &path,
                    format!("`#[flow]` already derives `Serialize` and `Deserialize` for the step enum `{}` (the store keeps steps as JSON); remove `{name}` from this derive", steps.ident),
                );
            }
        }
    }
}

/// A handler returns a transition: a step returned as it is needs `goto(...)`.
fn handler_returns(steps: &Ident, handler: &Handler, errors: &mut Errors) {
    let mut body = handler.item.block.clone();
    for step in graph::wrap_bare_steps(&mut body, steps, &Paths::new(None)) {
        let written = quote::quote!(#step).to_string().replace(" :: ", "::");
        errors.at(
            step,
            format!("a step handler returns a transition, not a step: write `goto({written})` to move to this step"),
        );
    }
}

/// `reject` answers a modal submission with errors under its fields; other inputs have
/// no fields to show them under.
fn reject_only_for_submissions(handler: &Handler, errors: &mut Errors) {
    let input = handler.input_key();
    if input == "Submission" {
        return;
    }
    let takes = match input.as_str() {
        "entry" => "no input (it runs when the flow reaches the step)".to_owned(),
        other => format!("`{other}`"),
    };
    for call in graph::calls(&handler.item.block, &["reject"]) {
        errors.at(
            call,
            format!(
                "`reject` shows errors under the fields of a modal, so only a handler taking `Submission` can use it; `{}` takes {takes}: say what is wrong with `cx.say(...)` and `reask()`",
                handler.item.sig.ident
            ),
        );
    }
}

/// A step with no handler taking an input is only passed through: its entry handler must
/// move on, or the flow would wait there for ever.
fn no_stay_without_input(flow: &FlowModule, errors: &mut Errors) {
    for step in &flow.steps.variants {
        let handlers: Vec<&Handler> = flow
            .handlers
            .iter()
            .filter(|h| h.target.variant() == &step.ident)
            .collect();
        if handlers.iter().any(|h| h.input().is_some()) {
            continue;
        }
        for handler in handlers {
            for call in graph::calls(&handler.item.block, &["stay", "reask"]) {
                errors.at(
                    call,
                    format!(
                        "step `{0}` has no handler taking an input, so after `{1}` the flow could never leave it; add one (e.g. `#[step({0})] async fn answer(cx: &mut Cx, said: Text) -> Next<{2}>`) or `goto(...)` another step here",
                        step.ident,
                        quote::quote!(#call),
                        flow.steps.ident
                    ),
                );
            }
        }
    }
}

/// Steps are serialized and matched by name, so they carry named fields or none.
fn enum_shape(steps: &StepEnum, errors: &mut Errors) {
    let generics = &steps.item.generics;
    if !generics.params.is_empty() {
        errors.at(
            generics,
            "a step enum cannot be generic; store the data in the steps' fields",
        );
    }
    for step in &steps.variants {
        if let Shape::Tuple(fields) = &step.shape {
            errors.at(
                fields,
                format!("step `{}` has unnamed fields; give them names, e.g. `{} {{ name: String }}`, so handlers can bind them", step.ident, step.ident),
            );
        }
    }
}

/// A flow starts in exactly one step, and a fresh flow has no data to put in it.
fn one_start(steps: &StepEnum, errors: &mut Errors) {
    let starts: Vec<&Step> = steps.variants.iter().filter(|s| s.attrs.start.is_some()).collect();
    match starts.as_slice() {
        [] => errors.at(
            &steps.ident,
            format!(
                "flow `{}` has no start step; mark the step the flow begins with `#[start]`",
                steps.ident
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
    let first = handler.params.first();
    if let Some(shared) = first.and_then(|p| shared_cx(&p.arg)) {
        errors.at(
            shared,
            "take the step context mutably: `cx: &mut Cx` (a step posts and records what it did through it)",
        );
    } else if !matches!(first.map(|p| &p.role), Some(Role::Cx)) {
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
            format!(
                "a step handler takes at most one input ({}); to bind a field of the step, name it in the pattern: `#[step(Step {{ field }})]`",
                crate::impl_flow::inputs_listed()
            ),
        );
    }
    for param in handler.params.iter().filter(|p| matches!(p.role, Role::Invalid)) {
        errors.at(
            &param.arg,
            "a step handler parameter is a plain name with a type, e.g. `name: String`",
        );
    }
}

/// The type of `cx: &Cx` (a shared reference to the context), if `arg` is that.
fn shared_cx(arg: &syn::FnArg) -> Option<&Type> {
    let syn::FnArg::Typed(typed) = arg else { return None };
    match &*typed.ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Cx") => Some(&typed.ty),
            _ => None,
        },
        _ => None,
    }
}

/// The `#[step(...)]` path names a variant of this flow's enum.
fn target_step<'a>(
    flow: &'a FlowModule,
    handler: &Handler,
    meant: &mut HashSet<Ident>,
    errors: &mut Errors,
) -> Option<&'a Step> {
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
        let wrong = target.variant();
        let closest = flow
            .steps
            .variants
            .iter()
            .map(|s| (edit_distance(&s.ident.to_string(), &wrong.to_string()), &s.ident))
            .min_by_key(|(distance, _)| *distance)
            .filter(|(distance, _)| *distance <= 2);
        match closest {
            Some((_, step)) => {
                meant.insert(step.clone());
                errors.at(
                    wrong,
                    format!("no step `{wrong}` in `{}`; did you mean `{step}`?", flow.steps.ident),
                );
            }
            None => {
                let names: Vec<String> = flow.steps.variants.iter().map(|s| format!("`{}`", s.ident)).collect();
                errors.at(
                    wrong,
                    format!(
                        "no step `{wrong}` in `{}`; the steps are {}",
                        flow.steps.ident,
                        names.join(", ")
                    ),
                );
            }
        }
    }
    found
}

/// Every field in the pattern has a parameter to go to.
fn fields_bound(handler: &Handler, errors: &mut Errors) {
    for field in &handler.target.fields {
        if !handler
            .params
            .iter()
            .any(|p| matches!(&p.role, Role::Field(name) if name == field))
        {
            errors.at(
                field,
                format!(
                    "the pattern binds `{field}` but `{}` has no parameter `{field}`; add one, e.g. `{field}: String`, typed as the field is",
                    handler.item.sig.ident
                ),
            );
        }
    }
}

/// Every field in the pattern exists on the step, with the type its parameter says.
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
        let declared = handler.params.iter().find_map(|p| match (&p.role, &p.arg) {
            (Role::Field(name), syn::FnArg::Typed(typed)) if name == field => Some(&typed.ty),
            _ => None,
        });
        if let Some(declared) = declared.filter(|declared| !same_type(declared, ty)) {
            errors.at(
                declared,
                format!(
                    "field `{field}` of step `{}` is a `{}`; take it as `{field}: {}` (the handler owns the step's data)",
                    step.ident,
                    quote::quote!(#ty),
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

/// The number of single-character edits between `a` and `b` (Levenshtein), for "did you
/// mean". Written here: the macro crate keeps to syn and quote, and this is ten lines.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// A step nobody handles would strand every flow that reaches it.
fn every_step_handled(flow: &FlowModule, meant: &HashSet<Ident>, errors: &mut Errors) {
    for step in flow
        .steps
        .variants
        .iter()
        .filter(|s| !s.attrs.terminal && !meant.contains(&s.ident))
    {
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

/// Whether two written types are the same, paths compared by their last segments
/// (`std::string::String` is `String`); an alias of another name is not recognised.
fn same_type(a: &Type, b: &Type) -> bool {
    fn written(ty: &Type) -> String {
        let text = quote::quote!(#ty).to_string().replace(' ', "");
        // Each `qualifier::` is dropped: the identifier before it goes, what follows stays.
        let mut parts = text.split("::");
        let mut out = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            let keep = out.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_').len();
            out.truncate(keep);
            out.push_str(part);
        }
        out
    }
    written(a) == written(b)
}
