//! The `#[route]` and `#[scope]` attributes of [routemark](https://docs.rs/routemark).
//!
//! An implementation detail: depend on `routemark` and write `routemark::route`, whose
//! documentation describes the attribute.

mod private;
mod route;
mod scope;

use proc_macro::TokenStream;

/// Declares an HTTP route on its handler. Documented on `routemark::route`.
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(args.into(), item.into()).into()
}

/// Prefixes every route declared in a module. Documented on `routemark::scope`.
#[proc_macro_attribute]
pub fn scope(args: TokenStream, item: TokenStream) -> TokenStream {
    scope::expand(args.into(), item.into()).into()
}
