//! The `#[flow]` and `#[step]` macros of slack-orchestrator. Use them through the
//! `slack_orchestrator` facade, which documents them with examples.
//!
//! Stages: `attr` parses the attributes, `ast` models the module, `check` applies
//! the cross-item rules, `expand` generates code (or a stand-in on error).

use proc_macro::TokenStream;
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Item, Meta, Token};

mod ast;
mod attr;
mod check;
mod ctxt;
mod duration;
mod expand;
mod graph;
mod impl_flow;
mod impl_handler;
mod paths;

/// Turns a step enum (or a module holding the step enum and its `#[step]` handlers) into
/// a flow. See `slack_orchestrator::flow` for the full documentation.
#[proc_macro_attribute]
pub fn flow(args: TokenStream, input: TokenStream) -> TokenStream {
    expand_flow(args.into(), input.into()).into()
}

fn expand_flow(args: proc_macro2::TokenStream, input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let metas = match syn::parse::Parser::parse2(Punctuated::<Meta, Token![,]>::parse_terminated, args) {
        Ok(metas) => metas,
        Err(e) => return with_input(e, input),
    };
    match syn::parse2::<Item>(input.clone()) {
        Ok(Item::Mod(module)) => flow_module(metas, module),
        Ok(Item::Enum(item)) => flow_enum(metas, item),
        _ => {
            let e = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[flow]` goes on the step enum (`#[flow(trigger = mention)] pub enum Onboarding { ... }`) \
                 or on a module that holds it and its `#[step]` handlers",
            );
            with_input(e, input)
        }
    }
}

fn flow_module(metas: Punctuated<Meta, Token![,]>, module: syn::ItemMod) -> proc_macro2::TokenStream {
    let mut errors = ctxt::Errors::default();
    let args = attr::FlowArgs::parse(metas, &mut errors);
    let flow = ast::FlowModule::parse(module.clone(), &mut errors);
    if let Some(flow) = &flow {
        check::check(flow, &mut errors);
    }
    match (errors.finish(), flow) {
        (Ok(()), Some(flow)) => expand::expand_module(flow, &args),
        (Err(e), flow) => expand::module_fallback(flow, module, &args, e),
        (Ok(()), None) => unreachable!("a module that does not parse records an error"),
    }
}

fn flow_enum(metas: Punctuated<Meta, Token![,]>, mut item: syn::ItemEnum) -> proc_macro2::TokenStream {
    let mut errors = ctxt::Errors::default();
    let args = attr::FlowArgs::parse(metas, &mut errors);
    let steps = ast::StepEnum::take(&mut item, &mut errors);
    check::check_enum(&steps, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand_enum(item, &steps, &args),
        Err(e) => expand::enum_fallback(item, &args, e),
    }
}

/// Marks a step handler: `#[step(Onboarding::AskName)]` on an async fn anywhere in the
/// crate, or `#[step(AskName)]` inside a `#[flow]` module (which consumes it). See
/// `slack_orchestrator::step`.
#[proc_macro_attribute]
pub fn step(args: TokenStream, input: TokenStream) -> TokenStream {
    expand_step(args.into(), input.into()).into()
}

fn expand_step(args: proc_macro2::TokenStream, input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let Ok(mut function) = syn::parse2::<syn::ItemFn>(input.clone()) else {
        let e = syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[step]` goes on the async fn that handles a step: `#[step(Onboarding::AskName)] async fn ask_name(...)`",
        );
        return with_input(e, input);
    };
    let target = match syn::parse2::<attr::StepTarget>(args.clone()) {
        Ok(target) => target,
        Err(e) => return with_input(e, input),
    };
    if target.path.segments.len() < 2 || target.path.segments[0].ident == "Self" {
        let e = syn::Error::new_spanned(
            &target.path,
            format!(
                "name the flow's step enum too, e.g. `#[step(Onboarding::{0})]`: outside a `#[flow]` module a handler does not know which flow `{0}` is a step of",
                target.variant()
            ),
        );
        return with_input(e, input);
    }
    let attr: syn::Attribute = syn::parse_quote!(#[step(#args)]);
    let mut errors = ctxt::Errors::default();
    let handler = ast::Handler::new(attr, target, &mut function, &mut errors);
    let flow = handler.target.flow_path();
    let flow_ident = &flow
        .segments
        .last()
        .expect("checked above: the path names the enum")
        .ident;
    check::check_handler(&handler, flow_ident, &mut errors);
    let paths = paths::Paths::new(handler.target.krate.as_ref());
    match errors.finish() {
        Ok(()) => expand::expand_step(&handler, function, &flow, &paths),
        Err(e) => {
            graph::wrap_bare_steps(&mut function.block, flow_ident, &paths);
            let e = e.to_compile_error();
            let stand_in = impl_handler::stand_in(&handler, &quote!(#flow), &paths);
            quote!(#e #function #stand_in)
        }
    }
}

/// The error followed by the untouched input, so the rest of the crate still compiles.
fn with_input(error: syn::Error, input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let error = error.to_compile_error();
    quote!(#error #input)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn with_crate_set_no_generated_path_names_the_facade_crate() {
        let flow = super::expand_flow(
            quote!(trigger = mention, crate = "::kit::bots"),
            quote!(
                pub enum Ping {
                    #[start]
                    Ping,
                    Wait {
                        n: u32,
                    },
                }
            ),
        );
        let step = super::expand_step(
            quote!(Ping::Wait { n }, crate = "::kit::bots"),
            quote!(
                async fn wait(cx: &mut Cx, n: u32, _said: Text) -> Next<Ping> {
                    stay()
                }
            ),
        );
        for generated in [flow.to_string(), step.to_string()] {
            assert!(!generated.contains("slack_orchestrator"), "{generated}");
            assert!(generated.contains(":: kit :: bots :: __private"), "{generated}");
        }
        let flow = super::expand_flow(
            quote!(trigger = mention),
            quote!(
                pub enum Ping {
                    #[start]
                    Ping,
                }
            ),
        );
        assert!(flow.to_string().contains(":: slack_orchestrator :: __private"));
    }
}
