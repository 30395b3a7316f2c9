//! Parsing of the attributes: the arguments of `#[flow(...)]`, the step markers on enum
//! variants (`#[start]`, `#[terminal]`, `#[timeout("5m")]`, `#[deadline(last_event)]`) and the target of `#[step(...)]`.
//! Each value is checked where it is parsed, so errors point at the value itself.

use crate::ctxt::Errors;
use crate::duration;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Meta, Path, Token};

/// A trigger as written: `mention`, `command("/x")`…
pub(crate) enum Trigger {
    Mention,
    DirectMessage,
    AppHome,
    MemberJoined,
    TeamJoin,
    Assistant,
    Command(LitStr),
    Keyword(LitStr),
    Regex(LitStr),
    Action(LitStr),
    Shortcut(LitStr),
    Function(LitStr),
}

/// `timeout_message = "..."` or `timeout_message = false`.
pub(crate) enum TimeoutMessage {
    Default,
    Off,
    Custom(LitStr),
}

/// When a step's deadline counts from: `entry` (the default) or `last_event`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    Entry,
    LastEvent,
}

const DEADLINES: &str =
    "`entry` (from when the flow entered the step, the default) or `last_event` (restarted by every handled event)";

fn deadline(expr: &Expr, errors: &mut Errors) -> Option<Deadline> {
    match ident(expr).as_deref() {
        Some("entry") => Some(Deadline::Entry),
        Some("last_event") => Some(Deadline::LastEvent),
        _ => {
            errors.at(expr, format!("a deadline counts from {DEADLINES}"));
            None
        }
    }
}

/// The arguments of `#[flow(...)]`.
pub(crate) struct FlowArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) version: u32,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) timeout: Option<u64>,
    pub(crate) timeout_message: TimeoutMessage,
    pub(crate) on_timeout: Option<Path>,
    pub(crate) anyone: bool,
    pub(crate) deadline: Option<Deadline>,
    pub(crate) migrate: Option<Path>,
    /// Words (or `/commands`) that end this flow in any step.
    pub(crate) cancel: Vec<LitStr>,
    /// `crate = "..."`: where the facade is, for a renamed or re-exported dependency.
    pub(crate) krate: Option<Path>,
}

/// The path in `crate = "..."`, e.g. `"::my_bot_kit::slack"`.
fn facade_path(lit: &LitStr) -> syn::Result<Path> {
    lit.parse::<Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "`crate` is the path of the slack_orchestrator crate as this crate sees it, e.g. `crate = \"::bots::slack_orchestrator\"`",
        )
    })
}

const FLOW_KEYS: &str = "`name`, `trigger`, `cancel`, `timeout`, `timeout_message`, `on_timeout`, `participants`, \
                         `version`, `deadline`, `migrate`, `crate`";
const TRIGGERS: &str =
    "`mention`, `direct_message`, `app_home`, `assistant`, `member_joined`, `team_join`, `command(\"/name\")`, `keyword(\"word\")`, \
                        `regex(\"pattern\")`, `action(\"action_id\")`, `shortcut(\"callback_id\")` and \
                        `function(\"callback_id\")`";

impl FlowArgs {
    /// Parses `#[flow(...)]`'s arguments, recording every problem in `errors`.
    pub(crate) fn parse(metas: Punctuated<Meta, Token![,]>, errors: &mut Errors) -> FlowArgs {
        let mut args = FlowArgs {
            name: None,
            version: 1,
            triggers: Vec::new(),
            timeout: None,
            timeout_message: TimeoutMessage::Default,
            on_timeout: None,
            anyone: false,
            deadline: None,
            migrate: None,
            cancel: Vec::new(),
            krate: None,
        };
        // The keys given so far: a setting given twice is a mistake, not "the last one wins".
        let mut seen: Vec<String> = Vec::new();
        for meta in metas {
            let Meta::NameValue(nv) = &meta else {
                errors.at(&meta, format!("expected `key = value`; the keys are {FLOW_KEYS}"));
                continue;
            };
            let key = nv.path.get_ident().map(Ident::to_string).unwrap_or_default();
            let repeatable = key == "trigger" || key == "cancel";
            if !repeatable && seen.contains(&key) {
                errors.at(&nv.path, format!("`{key}` is given twice; keep one"));
                continue;
            }
            seen.push(key.clone());
            match key.as_str() {
                "name" => args.name = string(&nv.value, "name", errors),
                "version" => match &nv.value {
                    Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => match int.base10_parse::<u32>() {
                        Ok(v) if v > 0 => args.version = v,
                        _ => errors.at(int, "`version` is a whole number from 1"),
                    },
                    other => errors.at(other, "`version` is a whole number, e.g. `version = 2`"),
                },
                "trigger" => args.triggers.extend(trigger(&nv.value, errors)),
                "timeout" => args.timeout = string(&nv.value, "timeout", errors).and_then(|lit| seconds(&lit, errors)),
                "timeout_message" => match &nv.value {
                    Expr::Lit(ExprLit { lit: Lit::Bool(b), .. }) if !b.value => {
                        args.timeout_message = TimeoutMessage::Off
                    }
                    Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => {
                        args.timeout_message = TimeoutMessage::Custom(s.clone())
                    }
                    other => errors.at(other, "`timeout_message` is a string, or `false` to send none"),
                },
                "on_timeout" => match &nv.value {
                    Expr::Path(p) => args.on_timeout = Some(p.path.clone()),
                    other => errors.at(
                        other,
                        "`on_timeout` names an async fn, e.g. `on_timeout = notify_manager`",
                    ),
                },
                "deadline" => args.deadline = deadline(&nv.value, errors),
                "cancel" => match string(&nv.value, "cancel", errors) {
                    Some(word)
                        if word.value().trim().is_empty() || word.value().trim().contains(char::is_whitespace) =>
                    {
                        errors.at(
                            &word,
                            "`cancel` is one word or one `/command`, e.g. `cancel = \"stop\"`",
                        )
                    }
                    Some(word) => args.cancel.push(word),
                    None => {}
                },
                "migrate" => match &nv.value {
                    Expr::Path(p) => args.migrate = Some(p.path.clone()),
                    other => errors.at(
                        other,
                        "`migrate` names a fn(u32, serde_json::Value) -> Result<serde_json::Value, String>, \
                         e.g. `migrate = upgrade`",
                    ),
                },
                "crate" => match string(&nv.value, "crate", errors).map(|lit| facade_path(&lit)) {
                    Some(Ok(path)) => args.krate = Some(path),
                    Some(Err(e)) => errors.push(e),
                    None => {}
                },
                "participants" => match ident(&nv.value).as_deref() {
                    Some("anyone") => args.anyone = true,
                    Some("initiator") => args.anyone = false,
                    _ => errors.at(&nv.value, "`participants` is `initiator` (the default) or `anyone`"),
                },
                _ => errors.at(
                    &nv.path,
                    format!("unknown `#[flow]` argument; the arguments are {FLOW_KEYS}"),
                ),
            }
        }
        args
    }
}

fn ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) => p.path.get_ident().map(Ident::to_string),
        _ => None,
    }
}

fn string(expr: &Expr, key: &str, errors: &mut Errors) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
        other => {
            errors.at(other, format!("`{key}` takes a string literal"));
            None
        }
    }
}

fn seconds(lit: &LitStr, errors: &mut Errors) -> Option<u64> {
    let parsed = duration::parse_seconds(&lit.value());
    if parsed.is_none() {
        errors.at(lit, duration::malformed(&lit.value()));
    }
    parsed
}

fn trigger(expr: &Expr, errors: &mut Errors) -> Option<Trigger> {
    if let Some(name) = ident(expr) {
        return match name.as_str() {
            "mention" => Some(Trigger::Mention),
            "direct_message" => Some(Trigger::DirectMessage),
            "app_home" => Some(Trigger::AppHome),
            "assistant" => Some(Trigger::Assistant),
            "member_joined" => Some(Trigger::MemberJoined),
            "team_join" => Some(Trigger::TeamJoin),
            "command" | "keyword" | "regex" | "action" | "shortcut" | "function" => {
                errors.at(expr, format!("the `{name}` trigger takes a string: `{name}(\"...\")`"));
                None
            }
            _ => {
                errors.at(expr, format!("unknown trigger `{name}`; the triggers are {TRIGGERS}"));
                None
            }
        };
    }
    let Expr::Call(call) = expr else {
        errors.at(expr, format!("expected a trigger; the triggers are {TRIGGERS}"));
        return None;
    };
    let name = ident(&call.func).unwrap_or_default();
    let arg = match (call.args.len(), call.args.first()) {
        (1, Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. }))) => s.clone(),
        _ => {
            errors.at(&call.args, format!("the `{name}` trigger takes one string literal"));
            return None;
        }
    };
    match name.as_str() {
        "command" if !arg.value().starts_with('/') || arg.value().len() < 2 => {
            errors.at(
                &arg,
                format!("a slash command starts with `/`, e.g. `command(\"/{}\")`", arg.value()),
            );
            None
        }
        "command" => Some(Trigger::Command(arg)),
        "keyword" if arg.value().trim().is_empty() || arg.value().contains(char::is_whitespace) => {
            errors.at(&arg, "a keyword is one word; use `regex(\"...\")` to match phrases");
            None
        }
        "keyword" => Some(Trigger::Keyword(arg)),
        "regex" => match regex::Regex::new(&arg.value()) {
            Ok(_) => Some(Trigger::Regex(arg)),
            Err(e) => {
                errors.at(&arg, format!("invalid regex in trigger: {e}"));
                None
            }
        },
        "action" => Some(Trigger::Action(arg)),
        "shortcut" => Some(Trigger::Shortcut(arg)),
        "function" => Some(Trigger::Function(arg)),
        _ => {
            errors.at(
                &call.func,
                format!("unknown trigger `{name}`; the triggers are {TRIGGERS}"),
            );
            None
        }
    }
}

/// The step markers found on one variant.
#[derive(Default)]
pub(crate) struct VariantAttrs {
    pub(crate) start: Option<Span>,
    pub(crate) terminal: bool,
    pub(crate) timeout: Option<u64>,
    pub(crate) deadline: Option<Deadline>,
}

impl VariantAttrs {
    /// Takes the markers out of `attrs` (they are ours, not the compiler's) and parses them.
    pub(crate) fn take(attrs: &mut Vec<syn::Attribute>, errors: &mut Errors) -> VariantAttrs {
        let mut found = VariantAttrs::default();
        let mut seen: Vec<String> = Vec::new();
        attrs.retain(|attr| {
            let path = attr.path();
            let marker = path.get_ident().map(Ident::to_string).unwrap_or_default();
            let ours = matches!(marker.as_str(), "start" | "terminal" | "timeout" | "deadline");
            if ours && seen.contains(&marker) {
                errors.at(attr, format!("`#[{marker}]` is on this step twice; keep one"));
                return false;
            }
            if ours {
                seen.push(marker);
            }
            if path.is_ident("start") {
                found.start = Some(path.segments[0].ident.span());
            } else if path.is_ident("terminal") {
                found.terminal = true;
            } else if path.is_ident("timeout") {
                let lit = match &attr.meta {
                    Meta::List(list) => list.parse_args::<LitStr>().ok(),
                    Meta::NameValue(nv) => match &nv.value {
                        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
                        _ => None,
                    },
                    Meta::Path(_) => None,
                };
                match lit {
                    Some(lit) => found.timeout = seconds(&lit, errors),
                    None => errors.at(attr, "write a step timeout as `#[timeout(\"5m\")]`"),
                }
            } else if path.is_ident("deadline") {
                match attr.parse_args::<Expr>() {
                    Ok(expr) => found.deadline = deadline(&expr, errors),
                    Err(_) => errors.at(
                        attr,
                        format!("write `#[deadline(last_event)]`; a deadline counts from {DEADLINES}"),
                    ),
                }
            } else {
                return true;
            }
            false
        });
        found
    }
}

/// The target of `#[step(...)]`: `Variant`, `Enum::Variant`, optionally `{ field, .. }`.
pub(crate) struct StepTarget {
    pub(crate) path: Path,
    pub(crate) fields: Vec<Ident>,
    /// `crate = "..."`: where the facade is, for a renamed or re-exported dependency.
    pub(crate) krate: Option<Path>,
}

impl StepTarget {
    /// The variant named by the path (its last segment).
    pub(crate) fn variant(&self) -> &Ident {
        &self.path.segments.last().expect("a parsed path has a segment").ident
    }

    /// The step enum's path, `Onboarding` in `Onboarding::AskName` (empty for a bare step).
    pub(crate) fn flow_path(&self) -> Path {
        let mut flow = self.path.clone();
        flow.segments.pop();
        flow.segments.pop_punct();
        flow
    }
}

impl Parse for StepTarget {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path: Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the step this handler belongs to, e.g. `#[step(AskName)]`",
            )
        })?;
        let mut fields = Vec::new();
        if input.peek(syn::token::Brace) {
            let content;
            syn::braced!(content in input);
            while !content.is_empty() {
                if content.peek(Token![..]) {
                    content.parse::<Token![..]>()?;
                } else {
                    fields.push(content.parse::<Ident>()?);
                }
                if !content.is_empty() {
                    content.parse::<Token![,]>()?;
                }
            }
        }
        let mut krate = None;
        if input.peek(Token![,]) && !input.peek2(syn::parse::End) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            krate = Some(facade_path(&input.parse::<LitStr>()?)?);
        }
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("expected `Step` or `Step { field, ... }`, then optionally `crate = \"path\"`"));
        }
        Ok(StepTarget { path, fields, krate })
    }
}
