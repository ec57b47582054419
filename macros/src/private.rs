//! The one place that names paths of the runtime crate. Generated code reaches the runtime
//! only through `::routemark::__private`, which is hidden and exempt from semver.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{ToTokens, TokenStreamExt, quote_spanned};

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

impl ToTokens for Private {
    // Appended token by token rather than through `quote!`, which would build and splice a
    // new stream at each of the dozen uses per route: this path is a measurable part of a
    // `cargo check` of many routes, where the macro runs unoptimised.
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let span = Span::call_site();
        for name in ["routemark", "__private"] {
            tokens.append(Punct::new(':', Spacing::Joint));
            tokens.append(Punct::new(':', Spacing::Alone));
            tokens.append(Ident::new(name, span));
        }
    }
}
