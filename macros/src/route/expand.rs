//! Code generation for a valid route. Nothing here can fail.
//!
//! A route expands to the user's function, untouched, followed by:
//!
//! - one hidden `#[macro_export] macro_rules!` per method, named by the route key, so a
//!   second route with the same method and path shape in the crate is error E0428;
//! - in an anonymous `const`, the handler shim (extract arguments, call, convert the result)
//!   and the `inventory` submission of the route descriptor.
//!
//! Type checks land on the user's own tokens: each argument's extraction is a call whose path
//! is spanned at the argument's type, each bound worded by `#[diagnostic::on_unimplemented]`
//! in the runtime.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use routemark_path::route_key;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use super::ast::{Binding, Route, state_inner};
use crate::private::Private;

pub(crate) fn route(route: &Route<'_>) -> TokenStream {
    let func = route.func;
    let duplicate_guards = duplicate_guards(route);
    let shim = shim(route);
    let descriptor = descriptor(route);
    quote! {
        #func
        #duplicate_guards
        const _: () = {
            #shim
            #Private::inventory::submit! { #descriptor }
        };
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

fn shim(route: &Route<'_>) -> TokenStream {
    let func_name = &route.func.sig.ident;
    let last = route.last_extractor();
    let parts = Ident::new("__routemark_parts", Span::call_site());
    let body = Ident::new("__routemark_body", Span::call_site());
    let vars: Vec<Ident> = (0..route.args.len())
        .map(|i| format_ident!("__routemark_arg{}", i))
        .collect();

    // Parameters first (cheap, and a bad one answers 400 before any extractor runs), then
    // extractors in argument order; the last argument may take the body.
    let mut params = Vec::new();
    let mut extractors = Vec::new();
    for (i, arg) in route.args.iter().enumerate() {
        let var = &vars[i];
        match &arg.binding {
            Binding::Path { index, param, ty } => {
                let call = quote_spanned!(ty.span()=> #Private::path_param::<#ty>);
                params.push(quote! {
                    let #var = match #call(&#parts, #index, #param) {
                        ::core::result::Result::Ok(v) => v,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
            }
            Binding::Query {
                param,
                ty,
                optional,
            } => {
                let call = match optional {
                    Some(inner) => quote_spanned!(ty.span()=> #Private::query_param_opt::<#inner>),
                    None => quote_spanned!(ty.span()=> #Private::query_param::<#ty>),
                };
                params.push(quote! {
                    let #var = match #call(&#parts, #param) {
                        ::core::result::Result::Ok(v) => v,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
            }
            Binding::Extractor { ty } => {
                // rustc checks the extractor bound three times: at the type argument, at
                // the call and at the `.await`, and shows reports at one span once. So the
                // whole expression, the type included, is spanned at one token of the
                // user's type; a call of call-site tokens would be reported at the attribute.
                let anchor = anchor_span(ty);
                let private = Private::at(anchor);
                let ty = respan(ty.to_token_stream(), anchor);
                let extraction = if Some(i) == last {
                    quote_spanned!(anchor=> #private::extract_last::<#ty, _>(#parts, #body).await)
                } else {
                    quote_spanned!(anchor=> #private::extract_head::<#ty, _>(&mut #parts).await)
                };
                extractors.push(quote! {
                    let #var = match #extraction {
                        ::core::result::Result::Ok(v) => v,
                        ::core::result::Result::Err(response) => return response,
                    };
                });
            }
            Binding::Receiver => {}
        }
    }

    let call = if route.func.sig.asyncness.is_some() {
        quote!(#func_name(#(#vars),*).await)
    } else {
        quote!(#func_name(#(#vars),*))
    };
    let respond = match &route.func.sig.output {
        ReturnType::Default => quote!(#Private::into_response::<()>(output)),
        ReturnType::Type(_, ty) if matches!(**ty, Type::ImplTrait(_)) => {
            let into = quote_spanned!(ty.span()=> #Private::into_response);
            quote!(#into(output))
        }
        ReturnType::Type(_, ty) => {
            let into = quote_spanned!(ty.span()=> #Private::into_response::<#ty>);
            quote!(#into(output))
        }
    };

    quote! {
        #[allow(unused_mut, unused_variables, clippy::all)]
        fn __routemark_shim(
            mut #parts: #Private::RequestParts,
            #body: #Private::Body,
        ) -> #Private::HandlerFuture {
            #Private::boxed(async move {
                #(#params)*
                #(#extractors)*
                let output = #call;
                #respond
            })
        }
    }
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

fn descriptor(route: &Route<'_>) -> TokenStream {
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
    quote! {
        #Private::Route::__new(
            #Private::MethodSet::EMPTY #(#methods)*,
            #path,
            __routemark_shim,
            #name,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
            &[#(#state),*],
            #body_limit,
        )
    }
}
