//! The one place that names paths of the runtime crate. Generated code reaches the runtime
//! only through `::routemark::__private`, which is hidden and exempt from semver.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// `::routemark::__private`, as tokens.
pub(crate) struct Private;

impl ToTokens for Private {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(quote!(::routemark::__private));
    }
}
