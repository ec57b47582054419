//! The one place that names paths of the runtime crate. Generated code reaches the runtime
//! only through `::routemark::__private`, which is hidden and exempt from semver.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;

/// `::routemark::__private`, as text for the generated code that is lexed from text.
pub(crate) const PRIVATE: &str = "::routemark::__private";

/// `::routemark::__private`, as tokens.
pub(crate) struct Private;

impl Private {
    /// `::routemark::__private` with every token at `span`. A call whose path starts with
    /// call-site tokens spans from the attribute to the argument, which rustc can only report
    /// at the attribute; a path spanned wholly at the user's type keeps the report there.
    pub(crate) fn at(span: Span) -> TokenStream {
        quote_spanned!(span=> ::routemark::__private)
    }
}
