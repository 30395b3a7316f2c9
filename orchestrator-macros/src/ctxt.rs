//! An error accumulator: every check records what it finds, and all errors are reported
//! together, so a user sees every mistake of a flow in one compile.

use std::fmt::Display;

/// Collects [`syn::Error`]s.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `span` (anything with tokens: an ident, a path, a type).
    pub(crate) fn at(&mut self, span: impl quote::ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(span, message));
    }

    /// Records an error at a raw span.
    pub(crate) fn at_span(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an existing error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// All errors combined into one, or `Ok` if there were none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        let mut errors = self.errors.into_iter();
        let Some(mut first) = errors.next() else { return Ok(()) };
        for error in errors {
            first.combine(error);
        }
        Err(first)
    }
}
