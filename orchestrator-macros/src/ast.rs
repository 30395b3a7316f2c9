//! The typed model of a `#[flow]` module: its step enum and its handlers. Building it
//! strips our helper attributes from the module (the compiler must never see them) and
//! keeps the original `syn` nodes so later errors can point at the user's code.

use crate::attr::{StepTarget, VariantAttrs};
use crate::ctxt::Errors;
use syn::{Fields, FnArg, Ident, Item, ItemEnum, ItemFn, ItemMod, Pat, Type};

/// A `#[flow]` module.
pub(crate) struct FlowModule {
    /// The module, helper attributes removed.
    pub(crate) module: ItemMod,
    /// The step enum.
    pub(crate) steps: StepEnum,
    /// Every `#[step]` function, in source order.
    pub(crate) handlers: Vec<Handler>,
}

/// The step enum.
pub(crate) struct StepEnum {
    pub(crate) ident: Ident,
    pub(crate) item: ItemEnum,
    pub(crate) variants: Vec<Step>,
}

/// One variant of the step enum.
pub(crate) struct Step {
    pub(crate) ident: Ident,
    pub(crate) shape: Shape,
    pub(crate) attrs: VariantAttrs,
}

/// The shape of a step's data.
pub(crate) enum Shape {
    Unit,
    Named(Vec<(Ident, Type)>),
    Tuple(syn::FieldsUnnamed),
}

impl Step {
    /// The named fields (empty for unit and tuple variants).
    pub(crate) fn fields(&self) -> &[(Ident, Type)] {
        match &self.shape {
            Shape::Named(fields) => fields,
            _ => &[],
        }
    }
}

/// One `#[step(...)]` function.
pub(crate) struct Handler {
    pub(crate) attr: syn::Attribute,
    pub(crate) target: StepTarget,
    pub(crate) item: ItemFn,
    pub(crate) params: Vec<Param>,
}

/// One parameter of a handler and what it receives.
pub(crate) struct Param {
    pub(crate) arg: FnArg,
    pub(crate) role: Role,
}

/// What the dispatcher passes for a parameter.
pub(crate) enum Role {
    /// The step context, `&mut Cx`.
    Cx,
    /// A field of the step, bound by name in the `#[step(...)]` pattern.
    Field(Ident),
    /// The input the handler waits for (`Text`, `Click`…).
    Input(Type),
    /// Something a handler cannot take (`self`, a destructuring pattern).
    Invalid,
}

impl Handler {
    /// The input type, if this is an input handler (`None` for an entry handler).
    pub(crate) fn input(&self) -> Option<&Type> {
        self.params.iter().find_map(|p| match &p.role {
            Role::Input(ty) => Some(ty),
            _ => None,
        })
    }

    /// The input's name as written, e.g. `Text`, or `entry` for an entry handler.
    pub(crate) fn input_key(&self) -> String {
        self.input().map_or_else(
            || "entry".to_owned(),
            |ty| quote::quote!(#ty).to_string().replace(' ', ""),
        )
    }
}

impl FlowModule {
    /// Reads the module. `None` (with errors recorded) when there is no usable step enum.
    pub(crate) fn parse(mut module: ItemMod, errors: &mut Errors) -> Option<FlowModule> {
        let Some((_, items)) = module.content.as_mut() else {
            errors.at(
                &module,
                "`#[flow]` needs the module's body inline: `mod onboarding { ... }`",
            );
            return None;
        };
        let enum_index = find_step_enum(items, &module.ident, errors)?;
        let mut handlers = Vec::new();
        for item in items.iter_mut() {
            if let Item::Fn(function) = item {
                if let Some(handler) = take_handler(function, errors) {
                    handlers.push(handler);
                }
            }
        }
        let Item::Enum(item) = &mut items[enum_index] else {
            unreachable!("find_step_enum returns an enum")
        };
        item.attrs.retain(|a| !a.path().is_ident("steps"));
        let steps = StepEnum::take(item, errors);
        Some(FlowModule {
            module,
            steps,
            handlers,
        })
    }
}

impl StepEnum {
    /// Reads the step enum, taking the step markers (`#[start]`…) off its variants.
    pub(crate) fn take(item: &mut ItemEnum, errors: &mut Errors) -> StepEnum {
        let variants = item
            .variants
            .iter_mut()
            .map(|variant| Step {
                ident: variant.ident.clone(),
                attrs: VariantAttrs::take(&mut variant.attrs, errors),
                shape: match &variant.fields {
                    Fields::Unit => Shape::Unit,
                    Fields::Named(named) => Shape::Named(
                        named
                            .named
                            .iter()
                            .map(|f| (f.ident.clone().expect("named"), f.ty.clone()))
                            .collect(),
                    ),
                    Fields::Unnamed(unnamed) => Shape::Tuple(unnamed.clone()),
                },
            })
            .collect();
        StepEnum {
            ident: item.ident.clone(),
            item: item.clone(),
            variants,
        }
    }
}

/// The enum marked `#[steps]`, or else the module's only enum.
fn find_step_enum(items: &[Item], module: &Ident, errors: &mut Errors) -> Option<usize> {
    let enums: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Item::Enum(_)))
        .map(|(n, _)| n)
        .collect();
    let marked: Vec<usize> = enums
        .iter()
        .copied()
        .filter(|n| matches!(&items[*n], Item::Enum(e) if e.attrs.iter().any(|a| a.path().is_ident("steps"))))
        .collect();
    match (marked.as_slice(), enums.as_slice()) {
        ([one], _) | ([], [one]) => Some(*one),
        ([], []) => {
            errors.at(module, "this `#[flow]` module has no step enum; declare the steps as an enum in it, e.g. `pub enum Onboarding { #[start] Welcome, AskName }`");
            None
        }
        ([], _) => {
            errors.at(
                module,
                "this `#[flow]` module has several enums; mark the step enum with `#[steps]`",
            );
            None
        }
        (_, _) => {
            errors.at(module, "only one enum of a `#[flow]` module can be marked `#[steps]`");
            None
        }
    }
}

/// Takes the `#[step(...)]` attribute off a function of a `#[flow]` module and models it
/// as a handler.
fn take_handler(function: &mut ItemFn, errors: &mut Errors) -> Option<Handler> {
    let position = function.attrs.iter().position(|a| a.path().is_ident("step"))?;
    let attr = function.attrs.remove(position);
    let target = match attr.parse_args::<StepTarget>() {
        Ok(target) => target,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    Some(Handler::new(attr, target, function, errors))
}

impl Handler {
    /// Models `function` as the handler `attr` (already parsed as `target`) marks; a
    /// second `#[step]` on it is taken off and reported.
    pub(crate) fn new(attr: syn::Attribute, target: StepTarget, function: &mut ItemFn, errors: &mut Errors) -> Handler {
        if let Some(extra) = function.attrs.iter().position(|a| a.path().is_ident("step")) {
            let extra = function.attrs.remove(extra);
            errors.at(
                &extra,
                "a function is the handler of one step; write one function per step",
            );
        }
        let params = function
            .sig
            .inputs
            .iter()
            .enumerate()
            .map(|(index, arg)| Param {
                arg: arg.clone(),
                role: role(index, arg, &target),
            })
            .collect();
        Handler {
            attr,
            target,
            item: function.clone(),
            params,
        }
    }
}

fn role(index: usize, arg: &FnArg, target: &StepTarget) -> Role {
    let FnArg::Typed(typed) = arg else { return Role::Invalid };
    // `&Cx` too: `check` asks for `&mut`, and the next parameters keep their roles.
    if index == 0 {
        if let Type::Reference(r) = &*typed.ty {
            let names_cx = matches!(&*r.elem, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Cx"));
            if r.mutability.is_some() || names_cx {
                return Role::Cx;
            }
        }
    }
    match &*typed.pat {
        Pat::Ident(pat) if target.fields.contains(&pat.ident) => Role::Field(pat.ident.clone()),
        Pat::Ident(_) | Pat::Wild(_) => Role::Input((*typed.ty).clone()),
        _ => Role::Invalid,
    }
}
