//! Parsing `METHODS "PATH" [, option = value]*`.

use proc_macro2::Span;
use routemark_path::Method;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Token};

/// The attribute's arguments, as written.
pub(crate) struct RouteArgs {
    pub(crate) methods: Vec<(Method, Span)>,
    pub(crate) path: LitStr,
    pub(crate) body_limit: Option<LitInt>,
}

const OPTIONS: &str = "`body_limit`";

impl Parse for RouteArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(
                input.error("expected a method and a path, as in `#[route(GET \"/users/<id>\")]`")
            );
        }
        let mut errors = super::Errors::default();
        let mut methods = Vec::new();
        loop {
            let ident: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected an HTTP method such as `GET`, as in `#[route(GET \"/users/<id>\")]`",
                )
            })?;
            // Rule: the method is one of the eight a route can serve, spelled in uppercase.
            match Method::parse(&ident.to_string()) {
                Ok(method) => {
                    if methods.iter().any(|&(m, _)| m == method) {
                        errors.spanned(&ident, format!("method `{ident}` is listed twice"));
                    }
                    methods.push((method, ident.span()));
                }
                Err(unknown) => {
                    let hint = match unknown.suggestion {
                        Some(m) => format!("did you mean `{m}`?"),
                        None => "expected one of `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS`, `TRACE`".into(),
                    };
                    errors.spanned(&ident, format!("unknown HTTP method `{ident}`; {hint}"));
                }
            }
            if input.peek(Token![|]) {
                input.parse::<Token![|]>()?;
            } else {
                break;
            }
        }

        // Rule: the path is a string literal right after the methods.
        let path = if input.peek(LitStr) {
            input.parse::<LitStr>()?
        } else if input.is_empty() || input.peek(Token![,]) {
            return Err(combine(
                errors,
                input.error("expected a path string after the method, as in `#[route(GET \"/users/<id>\")]`"),
            ));
        } else {
            let found: proc_macro2::TokenTree = input.parse()?;
            return Err(combine(
                errors,
                syn::Error::new_spanned(
                    &found,
                    format!(
                        "expected the route path as a string literal, found `{found}`; write it in quotes"
                    ),
                ),
            ));
        };

        let mut body_limit = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            // Rule: only known options, each at most once.
            match name.to_string().as_str() {
                "body_limit" => {
                    let value: LitInt = input.parse().map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "`body_limit` takes a number of bytes, as in `body_limit = 1048576`",
                        )
                    })?;
                    if let Err(e) = value.base10_parse::<usize>() {
                        errors.spanned(&value, format!("`body_limit` must fit in `usize`: {e}"));
                    }
                    if body_limit.replace(value).is_some() {
                        errors.spanned(&name, "option `body_limit` is given twice");
                    }
                }
                other => {
                    let _: syn::Expr = input.parse()?;
                    errors.spanned(
                        &name,
                        format!("unknown route option `{other}`; the options are {OPTIONS}"),
                    );
                }
            }
        }
        errors.into_result()?;
        Ok(RouteArgs {
            methods,
            path,
            body_limit,
        })
    }
}

fn combine(mut errors: super::Errors, error: syn::Error) -> syn::Error {
    errors.push(error);
    match errors.into_result() {
        Err(e) => e,
        Ok(()) => unreachable!("an error was just pushed"),
    }
}
