//! The `Handles` impl of one `#[step]` handler: the key of its step and its input, the
//! transitions its body makes (for the graph), and the call with the step's fields bound.
//! The same for a handler in a `#[flow]` module and one written anywhere else.

use crate::ast::{Handler, Role};
use crate::graph::{self, Steps, To};
use crate::impl_flow::{any_exists, slots, step_key};
use crate::paths::Paths;
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::Ident;

/// `impl Handles<STEP, Input> for Flow`, spanned at the `#[step]` attribute so that a
/// second handler for the same step and input is reported there.
pub(crate) fn handler_impl(
    handler: &Handler,
    flow: &TokenStream,
    steps: Steps<'_>,
    helpers: &HashMap<String, &syn::Block>,
    paths: &Paths,
) -> TokenStream {
    let p = paths.private();
    let variant = handler.target.variant();
    let key = step_key(&variant.to_string());
    let input_ty = match handler.input() {
        Some(ty) => quote!(#ty),
        None => quote!(#p::dispatch::Entry),
    };
    let edges = graph::targets(&handler.item.block, steps, helpers)
        .into_iter()
        .map(|to| match to {
            To::Step(step) => {
                let step = step.to_string();
                quote!(#p::dispatch::Edge::Step(#step))
            }
            To::Stay => quote!(#p::dispatch::Edge::Stay),
            To::Reject => quote!(#p::dispatch::Edge::Reject),
            To::Complete => quote!(#p::dispatch::Edge::Complete),
            To::Fail => quote!(#p::dispatch::Edge::Fail),
        });
    let fields = &handler.target.fields;
    let bindings = fields.iter().map(binding);
    let call = call(handler);
    let impl_token = quote_spanned!(handler.attr.span()=> impl);
    quote! {
        #[automatically_derived]
        #impl_token #p::dispatch::Handles<#key, #input_ty> for #flow {
            const EDGES: &'static [#p::dispatch::Edge] = &[#(#edges),*];
            fn handle(self, __cx: &mut #p::Cx, __value: #input_ty) -> #p::StepFuture<'_, Self> {
                #[allow(unreachable_patterns, unused_variables)]
                match self {
                    #flow::#variant { #(#fields: #bindings,)* .. } => #call,
                    _ => ::core::unreachable!("a flow dispatches each step to its own handlers"),
                }
            }
        }
    }
}

/// A handler that stands in for one whose errors were reported, so the step still counts
/// as handled and the flow's "has no handler" does not follow the real mistake.
pub(crate) fn stand_in(handler: &Handler, flow: &TokenStream, paths: &Paths) -> TokenStream {
    let p = paths.private();
    let key = step_key(&handler.target.variant().to_string());
    quote! {
        #[automatically_derived]
        impl #p::dispatch::Handles<#key, #p::dispatch::Entry> for #flow {
            const EDGES: &'static [#p::dispatch::Edge] = &[];
            fn handle(self, _: &mut #p::Cx, _: #p::dispatch::Entry) -> #p::StepFuture<'_, Self> {
                ::core::unimplemented!()
            }
        }
    }
}

/// An entry handler that stays (`stay()`, `reask()`) needs an input handler on its step,
/// or the flow could never leave it: a rustc-checked assertion at each such call.
pub(crate) fn stays_with_input(handler: &Handler, flow: &TokenStream, paths: &Paths) -> TokenStream {
    if handler.input().is_some() {
        return TokenStream::new();
    }
    let p = paths.private();
    let variant = handler.target.variant();
    let written = flow.to_string().replace(' ', "");
    let waits = any_exists(&slots(flow, variant, paths)[1..]);
    graph::calls(&handler.item.block, &["stay", "reask"])
        .into_iter()
        .map(|call| {
            let message = format!(
                "step `{written}::{variant}` has no handler taking an input, so after `{}` the flow could never leave it; add one (e.g. `#[step({written}::{variant})] async fn answer(cx: &mut Cx, said: Text) -> Next<{written}>`) or `goto(...)` another step here",
                quote!(#call)
            );
            quote_spanned! {call.span()=>
                const _: () = {
                    use #p::dispatch::Absent as _;
                    ::core::assert!(#waits, #message);
                };
            }
        })
        .collect()
}

/// The call of the handler, spanned at its return type so type errors point there.
fn call(handler: &Handler) -> TokenStream {
    let ident = &handler.item.sig.ident;
    let args = handler.params.iter().map(|p| match &p.role {
        Role::Cx => quote!(__cx),
        Role::Field(name) => {
            let binding = binding(name);
            quote!(#binding)
        }
        Role::Input(_) | Role::Invalid => quote!(__value),
    });
    let span = handler.item.sig.output.span();
    quote_spanned!(span=> ::std::boxed::Box::pin(#ident(#(#args),*)))
}

/// The local a step field is bound to: never the name of a handler, so a field and a
/// function may share a name.
fn binding(field: &Ident) -> Ident {
    format_ident!("__field_{}", field)
}
