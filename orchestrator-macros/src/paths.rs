//! The one table of paths generated code names: everything goes through the facade's
//! `__private` module, found at `::slack_orchestrator` unless `crate = "..."` says where
//! (a renamed dependency, or a crate that re-exports the facade).

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{LitStr, Path};

/// Where the facade is.
pub(crate) struct Paths {
    facade: Path,
}

impl Paths {
    /// The facade at `krate`, or at `::slack_orchestrator`.
    pub(crate) fn new(krate: Option<&Path>) -> Paths {
        Paths {
            facade: krate
                .cloned()
                .unwrap_or_else(|| syn::parse_quote!(::slack_orchestrator)),
        }
    }

    /// `<facade>::__private`, the module every generated path starts from.
    pub(crate) fn private(&self) -> TokenStream {
        let facade = &self.facade;
        quote!(#facade::__private)
    }

    /// The path of an item of `__private` as a string, for attributes that take one
    /// (`#[serde(crate = "...")]`, `#[serde(with = "...")]`), spanned at `span`.
    pub(crate) fn private_str(&self, item: &str, span: Span) -> LitStr {
        let facade = self.facade.to_token_stream().to_string().replace(' ', "");
        LitStr::new(&format!("{facade}::__private::{item}"), span)
    }
}
