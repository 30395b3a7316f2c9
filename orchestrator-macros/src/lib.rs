//! The `#[flow]` and `#[step]` macros of slack-orchestrator. Use them through the
//! `slack_orchestrator` facade, which documents them with examples.
//!
//! Stages: `attr` parses the attributes, `ast` models the module, `check` applies
//! the cross-item rules, `expand` generates code (or a stand-in on error).

use proc_macro::TokenStream;
use syn::punctuated::Punctuated;
use syn::{Meta, Token};

mod ast;
mod attr;
mod check;
mod ctxt;
mod duration;
mod expand;
mod graph;

/// Turns a module holding a step enum and its `#[step]` handlers into a flow.
/// See `slack_orchestrator::flow` for the full documentation.
#[proc_macro_attribute]
pub fn flow(args: TokenStream, input: TokenStream) -> TokenStream {
    let metas = match syn::parse::Parser::parse(Punctuated::<Meta, Token![,]>::parse_terminated, args) {
        Ok(metas) => metas,
        Err(e) => return with_input(e, input),
    };
    let module = match syn::parse::<syn::ItemMod>(input.clone()) {
        Ok(module) => module,
        Err(_) => {
            let input = strip_step_markers(input);
            let e = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[flow]` goes on a module that holds the step enum and its `#[step]` handlers: \
                 `#[flow(trigger = mention)] mod onboarding { pub enum Onboarding { ... } ... }`",
            );
            return with_input(e, input);
        }
    };
    let mut errors = ctxt::Errors::default();
    let args = attr::FlowArgs::parse(metas, &mut errors);
    let flow = ast::FlowModule::parse(module.clone(), &mut errors);
    if let Some(flow) = &flow {
        check::check(flow, &mut errors);
    }
    match (errors.finish(), flow) {
        (Ok(()), Some(flow)) => expand::expand(flow, &args),
        (Err(e), flow) => expand::fallback(flow, module, e),
        (Ok(()), None) => unreachable!("a module that does not parse records an error"),
    }
    .into()
}

/// Marks a step handler inside a `#[flow]` module. `#[flow]` consumes it; on its own it
/// is an error. See `slack_orchestrator::step`.
#[proc_macro_attribute]
pub fn step(_args: TokenStream, input: TokenStream) -> TokenStream {
    let e = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[step]` only works inside a `#[flow]` module: put this function in the module that \
         declares the step enum, and put `#[flow(...)]` on that module",
    );
    with_input(e, input)
}

/// An enum given to `#[flow]` directly loses its step markers, so the one error (about
/// where `#[flow]` goes) is not followed by "cannot find attribute `start`".
fn strip_step_markers(input: TokenStream) -> TokenStream {
    let Ok(mut item) = syn::parse::<syn::ItemEnum>(input.clone()) else {
        return input;
    };
    let mut ignored = ctxt::Errors::default();
    for variant in &mut item.variants {
        attr::VariantAttrs::take(&mut variant.attrs, &mut ignored);
    }
    drop(ignored.finish());
    quote::quote!(#item).into()
}

/// The error followed by the untouched input, so the rest of the crate still compiles.
fn with_input(error: syn::Error, input: TokenStream) -> TokenStream {
    let mut out: TokenStream = error.to_compile_error().into();
    out.extend(input);
    out
}
