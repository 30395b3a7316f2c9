//! The `Flow` impl of a step enum: options, start, step names and timeouts, dispatch to
//! the handlers' slots, the graph, and the assertions that every step has a handler. It
//! sees only the enum: handlers are reached through `dispatch::Slot`, which rustc fills
//! from the `Handles` impls `#[step]` writes (see `impl_handler`).

use crate::ast::{Step, StepEnum};
use crate::attr::{Deadline, FlowArgs, TimeoutMessage, Trigger};
use crate::paths::Paths;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;

/// The inputs the dispatch tries, in order: the specific ones first, `Incoming` (any
/// input) last. `__private` exports each; `dispatch::StepInput` is implemented for each.
pub(crate) const INPUTS: [&str; 14] = [
    "Submission",
    "Click",
    "Selection",
    "Shortcut",
    "Command",
    "Files",
    "Reaction",
    "Joined",
    "AssistantThread",
    "FunctionRun",
    "Signal",
    "Text",
    "Timeout",
    "Incoming",
];

/// The inputs, as an error message lists them: `` `Submission`, `Click`, … ``.
pub(crate) fn inputs_listed() -> String {
    INPUTS.map(|i| format!("`{i}`")).join(", ")
}

/// The key of a step in `Handles<STEP, _>`: FNV-1a of its name. Both macros compute it
/// from the variant's name alone, so a `#[step]` anywhere finds its step.
pub(crate) fn step_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One handler slot of a step: its type, and the input's name (`None` for entry).
pub(crate) struct Slot {
    ty: TokenStream,
    input: Option<&'static str>,
}

/// The slots of step `variant` of the flow `steps` names: entry first, then each input in
/// the order the dispatch tries them.
pub(crate) fn slots(steps: &TokenStream, variant: &Ident, paths: &Paths) -> Vec<Slot> {
    let p = paths.private();
    let key = step_key(&variant.to_string());
    let entry = Slot {
        ty: quote!(#p::dispatch::Slot<#steps, #key, #p::dispatch::Entry>),
        input: None,
    };
    let inputs = INPUTS.iter().map(|input| {
        let ty = Ident::new(input, proc_macro2::Span::call_site());
        Slot {
            ty: quote!(#p::dispatch::Slot<#steps, #key, #p::#ty>),
            input: Some(input),
        }
    });
    std::iter::once(entry).chain(inputs).collect()
}

/// `true` when any of `slots` holds a handler (a constant expression).
pub(crate) fn any_exists(slots: &[Slot]) -> TokenStream {
    let exists = slots.iter().map(|slot| {
        let ty = &slot.ty;
        quote!(<#ty>::EXISTS)
    });
    quote!(false #(|| #exists)*)
}

/// The name a flow is stored under: `name = "..."`, else `default`.
pub(crate) fn flow_name(args: &FlowArgs, default: &Ident) -> String {
    args.name
        .as_ref()
        .map_or_else(|| snake_case(&default.to_string()), syn::LitStr::value)
}

/// `TimeOff` → `time_off` (a module's name is already snake case and stays as it is).
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `impl Flow for Steps`, to put in a `const _: () = { ... };`. With `assert_handled`,
/// also the per-step assertions (a `#[flow]` module has checked its handlers already).
pub(crate) fn flow_impl(
    steps: &StepEnum,
    args: &FlowArgs,
    name: &str,
    paths: &Paths,
    assert_handled: bool,
) -> TokenStream {
    let p = paths.private();
    let ident = &steps.ident;
    let options = options(name, args, paths);
    let start = &steps
        .variants
        .iter()
        .find(|s| s.attrs.start.is_some())
        .expect("checked")
        .ident;
    let names = steps.variants.iter().map(|s| {
        let (ident, name) = (&s.ident, s.ident.to_string());
        quote!(Self::#ident { .. } => #name,)
    });
    let timeouts = steps.variants.iter().filter_map(|s| {
        let (ident, secs) = (&s.ident, s.attrs.timeout?);
        Some(quote!(Self::#ident { .. } => ::core::option::Option::Some(::core::time::Duration::from_secs(#secs)),))
    });
    let deadlines = steps.variants.iter().filter_map(|s| {
        let from = deadline_from(s.attrs.deadline?, paths);
        let ident = &s.ident;
        Some(quote!(Self::#ident { .. } => ::core::option::Option::Some(#from),))
    });
    let terminals: Vec<&Ident> = steps
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
    let waiting: Vec<&Step> = steps.variants.iter().filter(|s| !s.attrs.terminal).collect();
    let on_enter = waiting.iter().map(|step| {
        let (variant, entry) = (&step.ident, &slots(&quote!(#ident), &step.ident, paths)[0].ty);
        quote! {
            Self::#variant { .. } if <#entry>::EXISTS => ::core::option::Option::Some(
                <#entry>::NEW.call(self, __cx, #p::dispatch::Entry)
            ),
        }
    });
    let on_input = waiting.iter().map(|step| {
        let variant = &step.ident;
        let tries = slots(&quote!(#ident), variant, paths).into_iter().skip(1).map(|slot| {
            let ty = slot.ty;
            quote! {
                if let ::core::option::Option::Some(__value) = <#ty>::NEW.take(__input) {
                    return ::core::option::Option::Some(<#ty>::NEW.call(self, __cx, __value));
                }
            }
        });
        quote!(Self::#variant { .. } => { #(#tries)* ::core::option::Option::None })
    });
    let on_timeout = args.on_timeout.as_ref().map(|hook| {
        quote! {
            fn on_timeout(self, __cx: &mut #p::Cx) -> ::core::option::Option<#p::HookFuture<'_>> {
                ::core::option::Option::Some(::std::boxed::Box::pin(#hook(__cx, self)))
            }
        }
    });
    let graph = graph(steps, args, name, start, paths);
    let assertions = steps
        .variants
        .iter()
        .filter(|_| assert_handled)
        .map(|step| handled(steps, step, paths));
    quote! {
        use #p::dispatch::Absent as _;
        #(#assertions)*
        #[automatically_derived]
        impl #p::Flow for #ident {
            fn options() -> #p::FlowOptions { #options }
            fn start() -> Self { Self::#start }
            fn step_name(&self) -> &'static str {
                match self { #(#names)* }
            }
            fn step_timeout(&self) -> ::core::option::Option<::core::time::Duration> {
                #[allow(unreachable_patterns)]
                match self { #(#timeouts)* _ => ::core::option::Option::None }
            }
            fn step_deadline(&self) -> ::core::option::Option<#p::DeadlineFrom> {
                #[allow(unreachable_patterns)]
                match self { #(#deadlines)* _ => ::core::option::Option::None }
            }
            fn is_terminal(&self) -> bool { #is_terminal }
            fn on_enter(self, __cx: &mut #p::Cx) -> ::core::option::Option<#p::StepFuture<'_, Self>> {
                #[allow(unreachable_patterns)]
                match self { #(#on_enter)* _ => ::core::option::Option::None }
            }
            fn on_input<'a>(self, __cx: &'a mut #p::Cx, __input: &#p::Incoming)
                -> ::core::option::Option<#p::StepFuture<'a, Self>> {
                #[allow(unreachable_patterns)]
                match self { #(#on_input)* _ => ::core::option::Option::None }
            }
            #on_timeout
            fn graph() -> #p::Graph { #graph }
        }
    }
}

/// A waiting step has a handler, a terminal step none: checked by rustc, at the variant.
fn handled(steps: &StepEnum, step: &Step, paths: &Paths) -> TokenStream {
    let (flow, variant) = (&steps.ident, &step.ident);
    let exists = any_exists(&slots(&quote!(#flow), variant, paths));
    let assertion = if step.attrs.terminal {
        let message = format!(
            "step `{flow}::{variant}` is `#[terminal]`: the flow completes when it gets there, so it cannot have a `#[step]` handler; remove `#[terminal]` or the handler"
        );
        quote!(!(#exists), #message)
    } else {
        let message = format!(
            "step `{flow}::{variant}` has no handler; add one, e.g. `#[step({flow}::{variant})] async fn handle(cx: &mut Cx, answer: Text) -> Next<{flow}>`, or mark the step `#[terminal]` if the flow ends there"
        );
        quote!(#exists, #message)
    };
    quote_spanned!(variant.span()=> const _: () = ::core::assert!(#assertion);)
}

fn options(name: &str, args: &FlowArgs, paths: &Paths) -> TokenStream {
    let p = paths.private();
    let version = args.version;
    let triggers = args.triggers.iter().map(|t| {
        let trigger = match t {
            Trigger::Mention => quote!(#p::Trigger::Mention),
            Trigger::DirectMessage => quote!(#p::Trigger::DirectMessage),
            Trigger::AppHome => quote!(#p::Trigger::AppHome),
            Trigger::MemberJoined => quote!(#p::Trigger::MemberJoined),
            Trigger::TeamJoin => quote!(#p::Trigger::TeamJoin),
            Trigger::Assistant => quote!(#p::Trigger::Assistant),
            Trigger::Function(f) => quote!(#p::Trigger::function(#f)),
            Trigger::Command(c) => quote!(#p::Trigger::command(#c)),
            Trigger::Keyword(k) => quote!(#p::Trigger::keyword(#k)),
            Trigger::Action(a) => quote!(#p::Trigger::action(#a)),
            Trigger::Shortcut(s) => quote!(#p::Trigger::shortcut(#s)),
            Trigger::Regex(r) => quote!(#p::Trigger::regex(#r).expect("checked by #[flow]")),
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
    let participants = args.anyone.then(|| quote!(.participants(#p::Participants::Anyone)));
    let deadline = args.deadline.map(|from| {
        let from = deadline_from(from, paths);
        quote!(.deadline(#from))
    });
    let migrate = args.migrate.as_ref().map(|hook| quote!(.migrate(#hook)));
    quote! {
        #p::FlowOptions::new(#name)
            .version(#version) #(#triggers)* #(#cancel)* #timeout #message #participants #deadline #migrate
    }
}

fn deadline_from(from: Deadline, paths: &Paths) -> TokenStream {
    let p = paths.private();
    match from {
        Deadline::Entry => quote!(#p::DeadlineFrom::Entry),
        Deadline::LastEvent => quote!(#p::DeadlineFrom::LastEvent),
    }
}

/// The graph: the steps, each handler's transitions (from its slot), and a timed-out edge
/// for each waiting step with a deadline and no `Timeout` handler (not the start step: its
/// input is the event that starts the flow).
fn graph(steps: &StepEnum, args: &FlowArgs, name: &str, start: &Ident, paths: &Paths) -> TokenStream {
    let p = paths.private();
    let start = start.to_string();
    let nodes = steps.variants.iter().map(|s| {
        let (name, terminal) = (s.ident.to_string(), s.attrs.terminal);
        quote!(.node(#name, #terminal))
    });
    let mut edges = Vec::new();
    for step in steps.variants.iter().filter(|s| !s.attrs.terminal) {
        let from = step.ident.to_string();
        let flow = &steps.ident;
        let slots = slots(&quote!(#flow), &step.ident, paths);
        for slot in &slots {
            let ty = &slot.ty;
            let input = match slot.input {
                Some(input) => quote!(::core::option::Option::Some(#input)),
                None => quote!(::core::option::Option::None),
            };
            edges.push(quote!(__graph = <#ty>::NEW.edges(__graph, #from, #input);));
        }
        if step.attrs.start.is_none() && step.attrs.timeout.or(args.timeout).is_some() {
            let waits = any_exists(&slots[1..]);
            let timeout = &slots.iter().find(|s| s.input == Some("Timeout")).expect("an input").ty;
            edges.push(quote! {
                if (#waits) && !<#timeout>::EXISTS {
                    __graph = __graph.edge(#from, #p::graph::Target::TimedOut, ::core::option::Option::None);
                }
            });
        }
    }
    quote! {
        let mut __graph = #p::Graph::new(#name, #start) #(#nodes)*;
        #(#edges)*
        __graph
    }
}
