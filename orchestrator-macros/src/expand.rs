//! Code generation for the three places the macros go, all through the same pieces:
//! serde on the step enum (`derive_serde`), `impl Flow` (`impl_flow`) and one `Handles`
//! impl per handler (`impl_handler`).
//!
//! - `#[flow]` on a module: the module, with all of them added;
//! - `#[flow]` on the step enum: the enum, with serde and `impl Flow`;
//! - `#[step]` on a function elsewhere: the function, with its `Handles` impl.
//!
//! On error each emits the user's code with our attributes stripped and a stand-in, so
//! one mistake does not cascade into "`Flow` is not implemented" elsewhere.

use crate::ast::{FlowModule, Handler, StepEnum};
use crate::attr::FlowArgs;
use crate::graph::{self, Steps};
use crate::impl_flow::{flow_impl, flow_name};
use crate::impl_handler::{handler_impl, stays_with_input};
use crate::paths::Paths;
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::HashMap;
use syn::{Ident, Item, ItemEnum, ItemFn};

/// A checked `#[flow]` module with its impls added.
pub(crate) fn expand_module(flow: FlowModule, args: &FlowArgs) -> TokenStream {
    let paths = Paths::new(args.krate.as_ref());
    let steps = &flow.steps.ident;
    let name = flow_name(args, &flow.module.ident);
    let impl_flow = flow_impl(&flow.steps, args, &name, &paths, false);
    let variants: Vec<Ident> = flow.steps.variants.iter().map(|s| s.ident.clone()).collect();
    let helpers = helpers(&flow);
    let flow_path = quote!(#steps);
    let handler_impls: Vec<TokenStream> = flow
        .handlers
        .iter()
        .map(|h| handler_impl(h, &flow_path, Steps::Listed(&variants), &helpers, &paths))
        .collect();
    let mut module = flow.module;
    let (_, items) = module.content.as_mut().expect("checked by FlowModule::parse");
    for item in items.iter_mut() {
        match item {
            Item::Fn(function) if flow.handlers.iter().any(|h| h.item.sig.ident == function.sig.ident) => {
                allow_unused_async(function);
            }
            Item::Fn(function)
                if args
                    .on_timeout
                    .as_ref()
                    .is_some_and(|p| p.is_ident(&function.sig.ident)) =>
            {
                allow_unused_async(function);
            }
            Item::Enum(e) if e.ident == *steps => derive_serde(e, &paths),
            _ => {}
        }
    }
    items.push(Item::Verbatim(quote! {
        #(#handler_impls)*
        const _: () = { #impl_flow };
    }));
    quote!(#module)
}

/// A checked step enum given to `#[flow]`, with serde and `impl Flow`.
pub(crate) fn expand_enum(mut item: ItemEnum, steps: &StepEnum, args: &FlowArgs) -> TokenStream {
    let paths = Paths::new(args.krate.as_ref());
    let name = flow_name(args, &item.ident);
    let impl_flow = flow_impl(steps, args, &name, &paths, true);
    derive_serde(&mut item, &paths);
    quote! {
        #item
        const _: () = { #impl_flow };
    }
}

/// A checked `#[step]` function outside a `#[flow]` module, with its `Handles` impl.
pub(crate) fn expand_step(handler: &Handler, mut function: ItemFn, flow: &syn::Path, paths: &Paths) -> TokenStream {
    let enum_ident = &flow.segments.last().expect("checked: the path names the enum").ident;
    let flow = &quote!(#flow);
    let handler_impl = handler_impl(handler, flow, Steps::Of(enum_ident), &HashMap::new(), paths);
    let stays = stays_with_input(handler, flow, paths);
    allow_unused_async(&mut function);
    quote!(#function #handler_impl #stays)
}

/// Handlers must be `async` even when they await nothing, so pedantic clippy's
/// `unused_async` would fire on code the user cannot change.
fn allow_unused_async(function: &mut ItemFn) {
    function.attrs.push(syn::parse_quote!(#[allow(clippy::unused_async)]));
}

/// serde's derives on the step enum, each field through `step_field` (spanned at the
/// field's type: one clear error there for a type that does not serialize).
fn derive_serde(item: &mut ItemEnum, paths: &Paths) {
    let p = paths.private();
    let serde = paths.private_str("serde", proc_macro2::Span::call_site());
    item.attrs
        .push(syn::parse_quote!(#[derive(#p::serde::Serialize, #p::serde::Deserialize)]));
    item.attrs.push(syn::parse_quote!(#[serde(crate = #serde)]));
    for field in item.variants.iter_mut().flat_map(|v| v.fields.iter_mut()) {
        let span = syn::spanned::Spanned::span(&field.ty);
        let with = paths.private_str("step_field", span);
        field
            .attrs
            .push(syn::parse_quote_spanned!(span=> #[serde(with = #with)]));
    }
}

/// The module's functions that are not handlers, by name: what a handler may call to decide.
fn helpers(flow: &FlowModule) -> HashMap<String, &syn::Block> {
    let handlers: Vec<&Ident> = flow.handlers.iter().map(|h| &h.item.sig.ident).collect();
    let Some((_, items)) = &flow.module.content else {
        return HashMap::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Item::Fn(f) if !handlers.contains(&&f.sig.ident) => Some((f.sig.ident.to_string(), &*f.block)),
            _ => None,
        })
        .collect()
}

/// The module with our attributes stripped, a stand-in `Flow` impl and the errors.
pub(crate) fn module_fallback(
    flow: Option<FlowModule>,
    original: syn::ItemMod,
    args: &FlowArgs,
    errors: syn::Error,
) -> TokenStream {
    let errors = errors.to_compile_error();
    let paths = Paths::new(args.krate.as_ref());
    match flow {
        Some(flow) if flow.steps.item.generics.params.is_empty() => {
            let mut module = flow.module;
            module.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
            let (_, items) = module.content.as_mut().expect("checked by FlowModule::parse");
            for item in items.iter_mut() {
                match item {
                    Item::Fn(function) => {
                        graph::wrap_bare_steps(&mut function.block, &flow.steps.ident, &paths);
                    }
                    Item::Enum(e) if e.ident == flow.steps.ident => {
                        without_serde_derive(e);
                        derive_serde(e, &paths);
                    }
                    _ => {}
                }
            }
            let stand_in = stand_in(&flow.steps.ident, &paths);
            items.push(Item::Verbatim(stand_in));
            quote!(#errors #module)
        }
        _ => quote!(#errors #original),
    }
}

/// The enum with its markers stripped, a stand-in `Flow` impl and the errors.
pub(crate) fn enum_fallback(mut item: ItemEnum, args: &FlowArgs, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let paths = Paths::new(args.krate.as_ref());
    if !item.generics.params.is_empty() {
        return quote!(#errors #item);
    }
    without_serde_derive(&mut item);
    derive_serde(&mut item, &paths);
    let stand_in = stand_in(&item.ident, &paths);
    quote!(#errors #item #stand_in)
}

/// A serde derive written by hand (reported by `check`) is dropped from the emitted enum,
/// so rustc does not add "conflicting implementations" of its own.
fn without_serde_derive(item: &mut ItemEnum) {
    for attr in item.attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) =
            attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept = paths.into_iter().filter(|p| {
            !p.segments
                .last()
                .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
        });
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

fn stand_in(steps: &Ident, paths: &Paths) -> TokenStream {
    let p = paths.private();
    quote! {
        #[automatically_derived]
        impl #p::Flow for #steps {
            fn options() -> #p::FlowOptions { ::core::unimplemented!() }
            fn start() -> Self { ::core::unimplemented!() }
            fn step_name(&self) -> &'static str { ::core::unimplemented!() }
            fn on_enter(self, _: &mut #p::Cx) -> ::core::option::Option<#p::StepFuture<'_, Self>> {
                ::core::unimplemented!()
            }
            fn on_input<'a>(self, _: &'a mut #p::Cx, _: &#p::Incoming)
                -> ::core::option::Option<#p::StepFuture<'a, Self>> { ::core::unimplemented!() }
            fn graph() -> #p::Graph { ::core::unimplemented!() }
        }
    }
}
