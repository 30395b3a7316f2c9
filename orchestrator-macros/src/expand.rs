//! Code generation for a checked flow: serde on the step enum, and the `Flow` impl
//! (options, start, step names and timeouts, entry/input/timeout dispatch, graph).
//! Everything is named through `::slack_orchestrator::__private`.

use crate::ast::{FlowModule, Handler, Role, Step};
use crate::attr::{Deadline, FlowArgs, TimeoutMessage, Trigger};
use crate::graph::{self, To};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Item};

/// The module with the generated items appended.
pub(crate) fn expand(flow: FlowModule, args: &FlowArgs) -> TokenStream {
    let impl_flow = impl_flow(&flow, args);
    let mut module = flow.module;
    let mut required_async: Vec<&Ident> = flow.handlers.iter().map(|h| &h.item.sig.ident).collect();
    required_async.extend(args.on_timeout.as_ref().and_then(|p| p.get_ident()));
    allow_unused_async(&mut module, &required_async);
    emit(module, &flow.steps.ident, impl_flow, TokenStream::new())
}

/// Handlers must be `async` even when they await nothing, so pedantic clippy's
/// `unused_async` would fire on code the user cannot change.
fn allow_unused_async(module: &mut syn::ItemMod, functions: &[&Ident]) {
    let (_, items) = module.content.as_mut().expect("checked by FlowModule::parse");
    for item in items.iter_mut() {
        if let Item::Fn(function) = item {
            if functions.contains(&&function.sig.ident) {
                function.attrs.push(syn::parse_quote!(#[allow(clippy::unused_async)]));
            }
        }
    }
}

/// The module with helper attributes stripped, a stand-in `Flow` impl and the errors: one
/// mistake then does not cascade into "`Flow` is not implemented" elsewhere.
pub(crate) fn fallback(flow: Option<FlowModule>, original: syn::ItemMod, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    match flow {
        Some(flow) if flow.steps.item.generics.params.is_empty() => {
            let mut module = flow.module;
            module.attrs.push(syn::parse_quote!(#[allow(dead_code)]));
            quiet_reported_mistakes(&mut module, &flow.steps.ident);
            emit(module, &flow.steps.ident, stand_in(&flow.steps.ident), errors)
        }
        _ => quote!(#errors #original),
    }
}

/// Undoes, in the emitted module, the mistakes `check` reported that rustc would report
/// again in its own words: a step returned without `goto`, serde derived by hand.
fn quiet_reported_mistakes(module: &mut syn::ItemMod, steps: &Ident) {
    let (_, items) = module.content.as_mut().expect("checked by FlowModule::parse");
    for item in items.iter_mut() {
        match item {
            Item::Fn(function) => {
                graph::wrap_bare_steps(&mut function.block, steps);
            }
            Item::Enum(e) if e.ident == *steps => {
                for attr in e.attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
                    let Ok(paths) = attr
                        .parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
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
            _ => {}
        }
    }
}

fn emit(mut module: syn::ItemMod, steps: &Ident, impl_flow: TokenStream, errors: TokenStream) -> TokenStream {
    let (_, items) = module.content.as_mut().expect("checked by FlowModule::parse");
    for item in items.iter_mut() {
        if let Item::Enum(e) = item {
            if e.ident == *steps {
                e.attrs.push(syn::parse_quote!(
                    #[derive(::slack_orchestrator::__private::serde::Serialize, ::slack_orchestrator::__private::serde::Deserialize)]
                ));
                e.attrs
                    .push(syn::parse_quote!(#[serde(crate = "::slack_orchestrator::__private::serde")]));
                // Each field through `step_field`: one clear error for a type that does not serialize.
                // Spanned at the field's type, so the error points there.
                for field in e.variants.iter_mut().flat_map(|v| v.fields.iter_mut()) {
                    let span = syn::spanned::Spanned::span(&field.ty);
                    let with = syn::LitStr::new("::slack_orchestrator::__private::step_field", span);
                    field
                        .attrs
                        .push(syn::parse_quote_spanned!(span=> #[serde(with = #with)]));
                }
            }
        }
    }
    items.push(Item::Verbatim(quote! {
        const _: () = {
            #impl_flow
        };
    }));
    quote!(#errors #module)
}

fn stand_in(steps: &Ident) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl ::slack_orchestrator::__private::Flow for #steps {
            fn options() -> ::slack_orchestrator::__private::FlowOptions { ::core::unimplemented!() }
            fn start() -> Self { ::core::unimplemented!() }
            fn step_name(&self) -> &'static str { ::core::unimplemented!() }
            fn on_enter(self, _: &mut ::slack_orchestrator::__private::Cx)
                -> ::core::option::Option<::slack_orchestrator::__private::StepFuture<'_, Self>> { ::core::unimplemented!() }
            fn on_input<'a>(self, _: &'a mut ::slack_orchestrator::__private::Cx, _: &::slack_orchestrator::__private::Incoming)
                -> ::core::option::Option<::slack_orchestrator::__private::StepFuture<'a, Self>> { ::core::unimplemented!() }
            fn graph() -> ::slack_orchestrator::__private::Graph { ::core::unimplemented!() }
        }
    }
}

fn impl_flow(flow: &FlowModule, args: &FlowArgs) -> TokenStream {
    let steps = &flow.steps.ident;
    let options = options(flow, args);
    let start = &flow
        .steps
        .variants
        .iter()
        .find(|s| s.attrs.start.is_some())
        .expect("checked")
        .ident;
    let names = flow.steps.variants.iter().map(|s| {
        let (ident, name) = (&s.ident, s.ident.to_string());
        quote!(Self::#ident { .. } => #name,)
    });
    let timeouts = flow.steps.variants.iter().filter_map(|s| {
        let (ident, secs) = (&s.ident, s.attrs.timeout?);
        Some(quote!(Self::#ident { .. } => ::core::option::Option::Some(::core::time::Duration::from_secs(#secs)),))
    });
    let deadlines = flow.steps.variants.iter().filter_map(|s| {
        let from = deadline_from(s.attrs.deadline?);
        let ident = &s.ident;
        Some(quote!(Self::#ident { .. } => ::core::option::Option::Some(#from),))
    });
    let terminals: Vec<&Ident> = flow
        .steps
        .variants
        .iter()
        .filter(|s| s.attrs.terminal)
        .map(|s| &s.ident)
        .collect();
    let is_terminal = if terminals.is_empty() {
        quote!(false)
    } else {
        quote!(::core::matches!(self, #(Self::#terminals { .. })|*))
    };
    let on_enter = flow.steps.variants.iter().filter_map(|step| enter_arm(flow, step));
    let on_input = flow.steps.variants.iter().filter_map(|step| input_arm(flow, step));
    let on_timeout = args.on_timeout.as_ref().map(|hook| {
        quote! {
            fn on_timeout(self, __cx: &mut ::slack_orchestrator::__private::Cx)
                -> ::core::option::Option<::slack_orchestrator::__private::HookFuture<'_>> {
                ::core::option::Option::Some(::std::boxed::Box::pin(#hook(__cx, self)))
            }
        }
    });
    let graph = graph(flow, args, &flow_name(flow, args), start);
    quote! {
        #[automatically_derived]
        impl ::slack_orchestrator::__private::Flow for #steps {
            fn options() -> ::slack_orchestrator::__private::FlowOptions { #options }
            fn start() -> Self { Self::#start }
            fn step_name(&self) -> &'static str {
                match self { #(#names)* }
            }
            fn step_timeout(&self) -> ::core::option::Option<::core::time::Duration> {
                #[allow(unreachable_patterns)]
                match self { #(#timeouts)* _ => ::core::option::Option::None }
            }
            fn step_deadline(&self) -> ::core::option::Option<::slack_orchestrator::__private::DeadlineFrom> {
                #[allow(unreachable_patterns)]
                match self { #(#deadlines)* _ => ::core::option::Option::None }
            }
            fn is_terminal(&self) -> bool { #is_terminal }
            fn on_enter(self, __cx: &mut ::slack_orchestrator::__private::Cx)
                -> ::core::option::Option<::slack_orchestrator::__private::StepFuture<'_, Self>> {
                #[allow(unreachable_patterns)]
                match self { #(#on_enter)* _ => ::core::option::Option::None }
            }
            fn on_input<'a>(self, __cx: &'a mut ::slack_orchestrator::__private::Cx, __input: &::slack_orchestrator::__private::Incoming)
                -> ::core::option::Option<::slack_orchestrator::__private::StepFuture<'a, Self>> {
                #[allow(unreachable_patterns)]
                match self { #(#on_input)* _ => ::core::option::Option::None }
            }
            #on_timeout
            fn graph() -> ::slack_orchestrator::__private::Graph { #graph }
        }
    }
}

fn flow_name(flow: &FlowModule, args: &FlowArgs) -> String {
    args.name
        .as_ref()
        .map_or_else(|| flow.module.ident.to_string(), syn::LitStr::value)
}

fn options(flow: &FlowModule, args: &FlowArgs) -> TokenStream {
    let name = flow_name(flow, args);
    let version = args.version;
    let triggers = args.triggers.iter().map(|t| {
        let trigger = match t {
            Trigger::Mention => quote!(::slack_orchestrator::__private::Trigger::Mention),
            Trigger::DirectMessage => quote!(::slack_orchestrator::__private::Trigger::DirectMessage),
            Trigger::AppHome => quote!(::slack_orchestrator::__private::Trigger::AppHome),
            Trigger::Command(c) => quote!(::slack_orchestrator::__private::Trigger::command(#c)),
            Trigger::Keyword(k) => quote!(::slack_orchestrator::__private::Trigger::keyword(#k)),
            Trigger::Action(a) => quote!(::slack_orchestrator::__private::Trigger::action(#a)),
            Trigger::Shortcut(s) => quote!(::slack_orchestrator::__private::Trigger::shortcut(#s)),
            Trigger::Regex(r) => {
                quote!(::slack_orchestrator::__private::Trigger::regex(#r).expect("checked by #[flow]"))
            }
        };
        quote!(.trigger(#trigger))
    });
    let timeout = args
        .timeout
        .map(|secs| quote!(.timeout(::core::time::Duration::from_secs(#secs))));
    let message = match &args.timeout_message {
        TimeoutMessage::Default => None,
        TimeoutMessage::Off => Some(quote!(.timeout_message(::core::option::Option::None))),
        TimeoutMessage::Custom(m) => {
            Some(quote!(.timeout_message(::core::option::Option::Some(::std::string::ToString::to_string(#m)))))
        }
    };
    let cancel = args.cancel.iter().map(|word| quote!(.cancel_word(#word)));
    let participants = args
        .anyone
        .then(|| quote!(.participants(::slack_orchestrator::__private::Participants::Anyone)));
    let deadline = args.deadline.map(|from| {
        let from = deadline_from(from);
        quote!(.deadline(#from))
    });
    let migrate = args.migrate.as_ref().map(|hook| quote!(.migrate(#hook)));
    quote! {
        ::slack_orchestrator::__private::FlowOptions::new(#name)
            .version(#version) #(#triggers)* #(#cancel)* #timeout #message #participants #deadline #migrate
    }
}

fn deadline_from(from: Deadline) -> TokenStream {
    match from {
        Deadline::Entry => quote!(::slack_orchestrator::__private::DeadlineFrom::Entry),
        Deadline::LastEvent => quote!(::slack_orchestrator::__private::DeadlineFrom::LastEvent),
    }
}

/// The call of a handler, spanned at its signature so type errors point there.
fn call(handler: &Handler, input: Option<&Ident>) -> TokenStream {
    let ident = &handler.item.sig.ident;
    let args = handler.params.iter().map(|p| match &p.role {
        Role::Cx => quote!(__cx),
        Role::Field(name) => {
            let binding = binding(name);
            quote!(#binding)
        }
        Role::Input(_) | Role::Invalid => quote!(#input),
    });
    let span = handler.item.sig.output.span();
    quote_spanned!(span=> ::core::option::Option::Some(::std::boxed::Box::pin(#ident(#(#args),*))))
}

/// The module's functions that are not handlers, by name: what a handler may call to decide.
fn helpers(flow: &FlowModule) -> std::collections::HashMap<String, &syn::Block> {
    let handlers: Vec<&Ident> = flow.handlers.iter().map(|h| &h.item.sig.ident).collect();
    let Some((_, items)) = &flow.module.content else {
        return std::collections::HashMap::new();
    };
    items
        .iter()
        .filter_map(|item| match item {
            Item::Fn(f) if !handlers.contains(&&f.sig.ident) => Some((f.sig.ident.to_string(), &*f.block)),
            _ => None,
        })
        .collect()
}

fn handlers_of<'a>(flow: &'a FlowModule, step: &'a Step) -> impl Iterator<Item = &'a Handler> {
    flow.handlers.iter().filter(move |h| h.target.variant() == &step.ident)
}

/// `Self::Step { fields, .. }` binding the fields the given handlers use.
fn pattern<'a>(step: &Step, handlers: impl Iterator<Item = &'a Handler>) -> TokenStream {
    let mut fields: Vec<&Ident> = Vec::new();
    for handler in handlers {
        for field in &handler.target.fields {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
    }
    let ident = &step.ident;
    let bindings = fields.iter().map(|field| binding(field));
    quote!(Self::#ident { #(#fields: #bindings,)* .. })
}

/// The local a step field is bound to in the dispatch: never the name of a handler, so a
/// field and a function may share a name.
fn binding(field: &Ident) -> Ident {
    format_ident!("__field_{}", field)
}

fn enter_arm(flow: &FlowModule, step: &Step) -> Option<TokenStream> {
    let handler = handlers_of(flow, step).find(|h| h.input().is_none())?;
    let pattern = pattern(step, std::iter::once(handler));
    let call = call(handler, None);
    Some(quote!(#pattern => #call,))
}

fn input_arm(flow: &FlowModule, step: &Step) -> Option<TokenStream> {
    let handlers: Vec<&Handler> = handlers_of(flow, step).filter(|h| h.input().is_some()).collect();
    if handlers.is_empty() {
        return None;
    }
    let pattern = pattern(step, handlers.iter().copied());
    let input = format_ident!("__value");
    let tries = handlers.iter().map(|handler| {
        let ty = handler.input().expect("filtered on input");
        let convert =
            quote_spanned!(ty.span()=> <#ty as ::slack_orchestrator::__private::FromInput>::from_input(__input));
        let call = call(handler, Some(&input));
        quote! {
            if let ::core::option::Option::Some(#input) = #convert {
                return #call;
            }
        }
    });
    Some(quote!(#pattern => { #(#tries)* ::core::option::Option::None }))
}

fn graph(flow: &FlowModule, args: &FlowArgs, name: &str, start: &Ident) -> TokenStream {
    let start = start.to_string();
    let step_idents: Vec<Ident> = flow.steps.variants.iter().map(|s| s.ident.clone()).collect();
    let helpers = helpers(flow);
    let nodes = flow.steps.variants.iter().map(|s| {
        let (name, terminal) = (s.ident.to_string(), s.attrs.terminal);
        quote!(.node(#name, #terminal))
    });
    let mut edges: Vec<TokenStream> = flow
        .handlers
        .iter()
        .flat_map(|handler| {
            let from = handler.target.variant().to_string();
            let input = match handler.input() {
                Some(ty) => {
                    let name = quote!(#ty).to_string().replace(' ', "");
                    quote!(::core::option::Option::Some(#name))
                }
                None => quote!(::core::option::Option::None),
            };
            graph::targets(&handler.item.block, &step_idents, &helpers)
                .into_iter()
                .map(move |to| {
                    let to = match to {
                        To::Step(step) => {
                            let step = step.to_string();
                            quote!(::slack_orchestrator::__private::graph::Target::Step(::std::string::ToString::to_string(#step)))
                        }
                        To::Stay => quote!(::slack_orchestrator::__private::graph::Target::Stay),
                        To::Reject => quote!(::slack_orchestrator::__private::graph::Target::Reject),
                        To::Complete => quote!(::slack_orchestrator::__private::graph::Target::Complete),
                        To::Fail => quote!(::slack_orchestrator::__private::graph::Target::Fail),
                    };
                    quote!(.edge(#from, #to, #input))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // A waiting step with a deadline and no `Timeout` handler times out (not the start
    // step: its input is the event that starts the flow).
    for step in flow
        .steps
        .variants
        .iter()
        .filter(|s| !s.attrs.terminal && s.attrs.start.is_none())
    {
        let handlers: Vec<&Handler> = handlers_of(flow, step).collect();
        let waits = handlers.iter().any(|h| h.input().is_some());
        let handles_timeout = handlers.iter().any(|h| h.input_key() == "Timeout");
        if waits && !handles_timeout && step.attrs.timeout.or(args.timeout).is_some() {
            let from = step.ident.to_string();
            edges.push(quote!(.edge(#from, ::slack_orchestrator::__private::graph::Target::TimedOut, ::core::option::Option::None)));
        }
    }
    quote!(::slack_orchestrator::__private::Graph::new(#name, #start) #(#nodes)* #(#edges)*)
}
