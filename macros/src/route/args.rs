//! Parsing `METHODS "PATH" [, option = value]*`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use routemark_path::{Method, closest_match};
use syn::parse::ParseStream;
use syn::{Ident, LitInt, LitStr, Token};

use super::Errors;

/// The attribute's arguments, as written.
pub(crate) struct RouteArgs {
    pub(crate) methods: Vec<(Method, Span)>,
    pub(crate) path: LitStr,
    pub(crate) body_limit: Option<LitInt>,
}

const OPTIONS: [&str; 1] = ["body_limit"];

const EXAMPLE: &str = "as in `#[route(GET \"/users/<id>\")]`";

impl RouteArgs {
    /// Parses the arguments. Mistakes that leave the shape of the attribute clear (an unknown
    /// method or option, a bad option value) go to `errors` and parsing goes on, so that the
    /// path and the function are still checked; a mistake that hides the shape is returned.
    pub(crate) fn parse(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Self> {
        // Rule: the attribute is not empty.
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[route]` needs a method and a path, {EXAMPLE}"),
            ));
        }
        let methods = parse_methods(input, errors)?;
        let path = parse_path(input, &methods)?;
        let body_limit = parse_options(input, errors)?;
        Ok(RouteArgs {
            methods: methods
                .into_iter()
                .filter_map(|(m, span)| Some((m?, span)))
                .collect(),
            path,
            body_limit,
        })
    }
}

/// `GET | POST`; an unknown method is `None`, already reported.
fn parse_methods(
    input: ParseStream<'_>,
    errors: &mut Errors,
) -> syn::Result<Vec<(Option<Method>, Span)>> {
    let mut methods: Vec<(Option<Method>, Span)> = Vec::new();
    loop {
        let ident: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected an HTTP method such as `GET`, {EXAMPLE}"),
            )
        })?;
        // Rule: the method is one of the eight a route can serve, spelled in uppercase, and
        // listed once.
        match Method::parse(&ident.to_string()) {
            Ok(method) => {
                if methods.iter().any(|&(m, _)| m == Some(method)) {
                    errors.spanned(
                        &ident,
                        format!("method `{ident}` is listed twice; remove one"),
                    );
                }
                methods.push((Some(method), ident.span()));
            }
            Err(unknown) => {
                let hint = match unknown.suggestion {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => "expected one of `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE`, `OPTIONS`, `TRACE`".into(),
                };
                errors.spanned(&ident, format!("unknown HTTP method `{ident}`; {hint}"));
                methods.push((None, ident.span()));
            }
        }
        if input.peek(Token![|]) {
            input.parse::<Token![|]>()?;
        } else {
            return Ok(methods);
        }
    }
}

/// Rule: the path is a string literal right after the methods.
fn parse_path(input: ParseStream<'_>, methods: &[(Option<Method>, Span)]) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    if input.is_empty() || input.peek(Token![,]) {
        // Point at the last method, after which the path is missing.
        let span = methods.last().map_or_else(Span::call_site, |&(_, s)| s);
        return Err(syn::Error::new(
            span,
            format!("expected a path string after the method, {EXAMPLE}"),
        ));
    }
    // An unquoted path such as `/users/<id>` arrives as many tokens: quote all of them.
    let mut found = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        found.extend([input.parse::<TokenTree>()?]);
    }
    let text = found.to_string().replace(' ', "");
    Err(syn::Error::new_spanned(
        &found,
        format!(
            "expected the route path as a string literal, found `{text}`; write it in quotes: `\"{text}\"`"
        ),
    ))
}

/// `, body_limit = 1024`. Rule: only known options, each at most once.
fn parse_options(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Option<LitInt>> {
    let mut body_limit = None;
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: syn::Expr = input.parse()?;
        match name.to_string().as_str() {
            "body_limit" => {
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(value),
                    ..
                }) = value
                else {
                    errors.spanned(
                        value.to_token_stream(),
                        "`body_limit` takes a number of bytes, as in `body_limit = 1_048_576`",
                    );
                    continue;
                };
                if let Err(e) = value.base10_parse::<usize>() {
                    errors.spanned(&value, format!("`body_limit` must fit in `usize`: {e}"));
                }
                if body_limit.replace(value).is_some() {
                    errors.spanned(&name, "option `body_limit` is given twice; remove one");
                }
            }
            other => {
                let hint = match closest_match(other, OPTIONS) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the only option is `{}`", OPTIONS[0]),
                };
                errors.spanned(&name, format!("unknown route option `{other}`; {hint}"));
            }
        }
    }
    Ok(body_limit)
}
