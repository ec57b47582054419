//! What a route that fails its checks expands to: the user's function exactly as written, so
//! that the rest of the crate and the IDE keep working, plus every error.

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn with_errors(item: TokenStream, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote!(#item #errors)
}

pub(crate) fn not_a_function(item: TokenStream) -> TokenStream {
    let error = syn::Error::new_spanned(
        &item,
        "`#[route]` can only be applied to a free function (`fn` or `async fn`)",
    )
    .to_compile_error();
    quote!(#item #error)
}
