//! Code generation for a valid route. Nothing here can fail.
//!
//! A route expands to the user's function, token for token as written, followed by the
//! `inventory` submission of the route descriptor, whose handler is a closure without
//! captures: one call of the runtime's generic `callN` with the argument types spelled out,
//! and a closure that calls the user's function in argument order. The handler closure's
//! body also holds one hidden `#[macro_export] macro_rules!` per method, named by the route
//! key, so a second route with the same method and path shape in the crate is error E0428.
//!
//! The extraction itself is generic code in the runtime, type-checked once for the program;
//! what each route adds to `cargo check` is a call and a closure (bench/README.md, section 3).
//! Type checks still land on the user's own tokens: each argument type is a type argument of
//! `callN` spanned at the argument's type, each bound worded by
//! `#[diagnostic::on_unimplemented]` in the runtime.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use routemark_path::route_key;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use super::ast::{Binding, Route, state_inner};
use crate::private::Private;

/// `item` is the handler exactly as written.
pub(crate) fn route(route: &Route<'_>, item: TokenStream) -> TokenStream {
    let func = item;
    let descriptor = descriptor(route, duplicate_guards(route));
    quote! {
        #func
        #Private::inventory::submit! { #descriptor }
    }
}

fn duplicate_guards(route: &Route<'_>) -> TokenStream {
    let Some(template) = &route.template else {
        return TokenStream::new();
    };
    let span = route.attr.path.span();
    route
        .attr
        .methods
        .iter()
        .map(|&(method, _)| {
            let key = Ident::new(&route_key(method, template), span);
            quote_spanned! {span=>
                #[doc(hidden)]
                #[macro_export]
                #[allow(non_local_definitions)]
                macro_rules! #key { () => {}; }
            }
        })
        .collect()
}

/// The handler closure. `guards` go in its body: `#[macro_export]` still makes each one a
/// crate-wide name, but its textual scope ends with the body. At module level, every
/// `macro_rules!` opens a scope that rustc walks to resolve each later attribute and macro
/// name of the module, which made `cargo check` quadratic in the number of routes; in a
/// block of their own (an anonymous `const`) they cost an item per route.
fn shim(route: &Route<'_>, guards: TokenStream) -> TokenStream {
    let func_name = &route.func.sig.ident;
    let parts = Ident::new("__routemark_parts", Span::call_site());
    let body = Ident::new("__routemark_body", Span::call_site());

    // Extraction order: parameters first (cheap, and a bad one answers 400 before any
    // extractor runs), then extractors in argument order. The generic `callN` extracts in
    // that order and passes the values to a closure, which calls the handler in argument
    // order. Each argument's type is a type argument of `callN`, spanned at the user's type,
    // so that a bound it fails is reported there.
    let body_reader = route.last_extractor();
    let (mut order, extractors): (Vec<usize>, Vec<usize>) = (0..route.args.len())
        .partition(|&i| !matches!(route.args[i].binding, Binding::Extractor { .. }));
    order.extend(extractors);
    let mut types = Vec::new();
    let mut specs = Vec::new();
    for &i in &order {
        let (ty, spec) = match &route.args[i].binding {
            Binding::Path { index, param, ty } => (
                wrapped(ty, "PathParam", ty),
                quote!(#Private::ArgSpec { index: #index, name: #param }),
            ),
            Binding::Query {
                param,
                ty,
                optional,
            } => {
                let wrapper = match optional {
                    Some(inner) => wrapped(ty, "QueryParamOpt", inner),
                    None => wrapped(ty, "QueryParam", ty),
                };
                (
                    wrapper,
                    quote!(#Private::ArgSpec { index: 0, name: #param }),
                )
            }
            Binding::Extractor { ty } => (
                wrapped(ty, "Extract", ty),
                quote!(#Private::ArgSpec::EXTRACTOR),
            ),
            Binding::Receiver => unreachable!("a receiver is reported by valid.rs"),
        };
        types.push(ty);
        specs.push(spec);
    }
    let vars: Vec<Ident> = (0..order.len())
        .map(|position| format_ident!("__routemark_arg{}", position))
        .collect();
    let mut closure_params = vars
        .iter()
        .map(ToTokens::to_token_stream)
        .collect::<Vec<_>>();
    if body_reader.is_none() && !order.is_empty() {
        // No argument may read the body (or none wants to): every argument is extracted as a
        // head argument, borrowing the request, and `NoBody` takes the last place.
        types.push(quote!(#Private::NoBody));
        specs.push(quote!(#Private::ArgSpec::EXTRACTOR));
        closure_params.push(quote!(_));
    }
    let call_args = (0..route.args.len()).map(|i| {
        let position = order
            .iter()
            .position(|&o| o == i)
            .expect("every argument is ordered");
        let var = &vars[position];
        quote!(#var.0)
    });

    let call = quote!(#func_name(#(#call_args),*));
    let output = if route.func.sig.asyncness.is_some() {
        call
    } else {
        quote!(::core::future::ready(#call))
    };
    // The return type is a type argument of `callN` too, spanned at the user's return type,
    // where a type that is not a response is reported; `impl Trait` is left to inference.
    let ret = match &route.func.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => {
            quote_spanned!(ty.span()=> _)
        }
        ReturnType::Type(_, ty) => {
            let anchor = anchor_span(ty);
            respan(ty.to_token_stream(), anchor)
        }
    };

    let arity = types.len();
    let call_n = format_ident!("call{}", arity);
    let inferred = (0..arity + 2).map(|_| quote!(_));
    // A closure without captures, which the descriptor coerces to a `fn` pointer: no named
    // function with a spelled-out signature per route.
    quote! {
        |#parts, #body| {
            #guards
            #Private::#call_n::<#(#types,)* #ret, #(#inferred),*>(
                #parts,
                #body,
                &[#(#specs),*],
                |#(#closure_params),*| #output,
            )
        }
    }
}

/// `::routemark::__private::<wrapper><inner>`, every token at the anchor of `ty`: rustc
/// reports a failed bound of a type argument at that argument's span, and on stable a span
/// cannot cover several tokens.
fn wrapped(ty: &Type, wrapper: &str, inner: &Type) -> TokenStream {
    let anchor = anchor_span(ty);
    let private = Private::at(anchor);
    let wrapper = Ident::new(wrapper, anchor);
    let inner = respan(inner.to_token_stream(), anchor);
    quote_spanned!(anchor=> #private::#wrapper<#inner>)
}

/// The token that stands for a type in reports: the name of a path type (`Json` in
/// `Json<User>`, `Vec` in `std::vec::Vec<u8>`), else the first token. On stable a span cannot
/// cover several tokens.
fn anchor_span(ty: &Type) -> Span {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| ty.span(), |segment| segment.ident.span()),
        _ => ty.span(),
    }
}

/// `tokens` with every span set to `span`. Resolution is unchanged: the tokens and `span`
/// both come from the user's code.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

fn descriptor(route: &Route<'_>, guards: TokenStream) -> TokenStream {
    let methods = route.attr.methods.iter().map(|&(method, _)| {
        let variant = Ident::new(
            match method.as_str() {
                "GET" => "Get",
                "HEAD" => "Head",
                "POST" => "Post",
                "PUT" => "Put",
                "PATCH" => "Patch",
                "DELETE" => "Delete",
                "OPTIONS" => "Options",
                _ => "Trace",
            },
            Span::call_site(),
        );
        quote!(.with(#Private::Method::#variant))
    });
    let path = &route.attr.path;
    let name = route.func.sig.ident.to_string();
    let body_limit = match &route.attr.body_limit {
        Some(limit) => quote!(::core::option::Option::Some(#limit)),
        None => quote!(::core::option::Option::None),
    };
    let state = route
        .args
        .iter()
        .filter_map(|arg| match &arg.binding {
            Binding::Extractor { ty } => state_inner(ty),
            _ => None,
        })
        .map(|state| {
            quote!(#Private::StateRequirement::__new(
                #Private::TypeId::of::<#state>,
                #Private::type_name::<#state>,
            ))
        });
    let shim = shim(route, guards);
    quote! {
        #Private::Route::__new(
            #Private::MethodSet::EMPTY #(#methods)*,
            #path,
            #shim,
            #name,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
            &[#(#state),*],
            #body_limit,
        )
    }
}
