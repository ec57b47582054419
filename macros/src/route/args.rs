//! Parsing `METHODS "PATH" [, option = value]*`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use routemark_path::{Method, closest_match};
use syn::parse::ParseStream;
use syn::{Expr, Ident, LitInt, LitStr, Token};

use super::Errors;
use super::valid::is_tag_name;

/// The attribute's arguments, as written.
pub(crate) struct RouteArgs {
    /// The prefix of the enclosing `#[scope]`s, which writes it first as `@scope "/api/v1"`.
    pub(crate) scope: Option<LitStr>,
    pub(crate) methods: Vec<(Method, Span)>,
    pub(crate) path: LitStr,
    pub(crate) options: RouteOptions,
}

/// The options after the path, each as written; `None` when not given.
#[derive(Default)]
pub(crate) struct RouteOptions {
    pub(crate) body_limit: Option<LitInt>,
    pub(crate) tags: Option<Vec<LitStr>>,
    pub(crate) tenant: Option<LitStr>,
}

impl RouteOptions {
    pub(crate) fn is_empty(&self) -> bool {
        self.body_limit.is_none() && self.tags.is_none() && self.tenant.is_none()
    }
}

const OPTIONS: [&str; 3] = ["body_limit", "tags", "tenant"];

const EXAMPLE: &str = "as in `#[route(GET \"/users/<id>\")]`";

impl RouteArgs {
    /// Parses the arguments. Mistakes that leave the shape of the attribute clear (an unknown
    /// method or option, a bad option value) go to `errors` and parsing goes on, so that the
    /// path and the function are still checked; a mistake that hides the shape is returned.
    pub(crate) fn parse(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Self> {
        let scope = parse_scope(input)?;
        // Rule: the attribute is not empty.
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("`#[route]` needs a method and a path, {EXAMPLE}"),
            ));
        }
        let methods = parse_methods(input, errors)?;
        let path = parse_path(input, &methods)?;
        let options = parse_options(input, errors)?;
        Ok(RouteArgs {
            scope,
            methods: methods
                .into_iter()
                .filter_map(|(m, span)| Some((m?, span)))
                .collect(),
            path,
            options,
        })
    }
}

/// `@scope "/api/v1"`, which `#[scope]` writes before the arguments of every route it
/// prefixes (already checked there).
fn parse_scope(input: ParseStream<'_>) -> syn::Result<Option<LitStr>> {
    if !input.peek(Token![@]) {
        return Ok(None);
    }
    input.parse::<Token![@]>()?;
    let keyword: Ident = input.parse()?;
    if keyword != "scope" {
        return Err(syn::Error::new(keyword.span(), "expected `scope`"));
    }
    input.parse().map(Some)
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
        // Rocket's `get("/books")`: the method called like a function on the path.
        if input.peek(syn::token::Paren) {
            return Err(call_form(&ident, input));
        }
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
                    None => format!(
                        "expected one of {}",
                        code_list(Method::ALL.iter().map(|m| m.as_str()))
                    ),
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

/// Rule: the method and the path are written side by side, not `get("/books")` as in
/// Rocket's attributes. The error spans the method and its parentheses, and the fix is
/// spelled out with the method in uppercase and the path as given.
fn call_form(ident: &Ident, input: ParseStream<'_>) -> syn::Error {
    let group: proc_macro2::Group = match input.parse() {
        Ok(group) => group,
        Err(e) => return e,
    };
    let method = ident.to_string().to_uppercase();
    let method = match Method::parse(&method) {
        Ok(m) => m.as_str().to_owned(),
        Err(_) => "GET".to_owned(),
    };
    let path = match syn::parse2::<LitStr>(group.stream()) {
        Ok(lit) => lit.token().to_string(),
        Err(_) => "\"/path\"".to_owned(),
    };
    let mut tokens = ident.to_token_stream();
    tokens.extend([TokenTree::Group(group)]);
    syn::Error::new_spanned(
        tokens,
        format!(
            "the method and the path are written side by side, not as a call; write `#[route({method} {path})]`"
        ),
    )
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

/// `, body_limit = 1024, tags = ["admin"]`. Rule: only known options, each at most once,
/// each with a value of its shape. The rules on the tags themselves are in `valid.rs`.
fn parse_options(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<RouteOptions> {
    let mut options = RouteOptions::default();
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        match name.to_string().as_str() {
            "body_limit" => {
                let Expr::Lit(syn::ExprLit {
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
                if options.body_limit.replace(value).is_some() {
                    errors.spanned(&name, "option `body_limit` is given twice; remove one");
                }
            }
            "tags" => {
                if options.tags.is_some() {
                    errors.spanned(&name, "option `tags` is given twice; remove one");
                    continue;
                }
                options.tags = parse_tags(value, errors);
            }
            "tenant" => {
                let tenant = parse_tenant(value, errors);
                if options.tenant.is_some() {
                    errors.spanned(&name, "option `tenant` is given twice; remove one");
                    continue;
                }
                options.tenant = tenant;
            }
            other => {
                let hint = match closest_match(other, OPTIONS) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("expected one of {}", code_list(OPTIONS)),
                };
                errors.spanned(&name, format!("unknown route option `{other}`; {hint}"));
            }
        }
    }
    Ok(options)
}

/// Rule: `tenant` takes one string literal. `None` when the value has another shape, already
/// reported; the rules on the name itself are in `valid.rs`.
fn parse_tenant(value: Expr, errors: &mut Errors) -> Option<LitStr> {
    if let Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(tenant),
        ..
    }) = value
    {
        return Some(tenant);
    }
    // A bare name (`tenant = acme`) was meant as the string; anything else gets the general
    // form.
    let text = tokens_text(&value);
    let message = if matches!(value, Expr::Path(_) | Expr::Binary(_)) && is_tag_name(&text) {
        format!(
            "`tenant` takes the tenant's name as a string literal, found `{text}`; write it in quotes: `tenant = \"{text}\"`"
        )
    } else {
        "`tenant` takes the tenant's name as a string literal, as in `tenant = \"acme\"`".to_owned()
    };
    errors.spanned(&value, message);
    None
}

/// Rule: `tags` takes a non-empty bracketed list of string literals. `None` when the value has
/// another shape, already reported; elements that are not string literals are reported and
/// left out. The rules on each tag are in `valid.rs`.
fn parse_tags(value: Expr, errors: &mut Errors) -> Option<Vec<LitStr>> {
    let Expr::Array(list) = value else {
        // A single string was meant as a list of one; a name (a constant, say) cannot be read
        // by the macro, so it gets the general form rather than a quoted guess.
        let message = match &value {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(tag),
                ..
            }) => format!(
                "`tags` takes a list of string literals, found `{0}`; write it in brackets: `tags = [{0}]`",
                tag.token()
            ),
            _ => "`tags` takes a list of string literals, as in `tags = [\"admin\", \"internal\"]`"
                .to_owned(),
        };
        errors.spanned(&value, message);
        return None;
    };
    if list.elems.is_empty() {
        errors.error(
            list.bracket_token.span.join(),
            "`tags` is an empty list; remove `tags` or name at least one tag",
        );
        return None;
    }
    let mut tags = Vec::with_capacity(list.elems.len());
    for elem in list.elems {
        match elem {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(tag),
                ..
            }) => tags.push(tag),
            other => {
                let text = tokens_text(&other);
                let message = match as_tag_literal(&other) {
                    Some(tag) => format!(
                        "expected the tag as a string literal, found `{text}`; write it in quotes: `{tag}`"
                    ),
                    None => format!(
                        "expected the tag as a string literal such as `\"admin\"`, found `{text}`"
                    ),
                };
                errors.spanned(&other, message);
            }
        }
    }
    Some(tags)
}

/// The quoted tag a list element written without quotes stands for (`admin`, `read-only`),
/// when it is a tag name: what a hint can offer as the fix.
fn as_tag_literal(elem: &Expr) -> Option<String> {
    if !matches!(elem, Expr::Path(_) | Expr::Binary(_)) {
        return None;
    }
    let text = tokens_text(elem);
    is_tag_name(&text).then(|| format!("\"{text}\""))
}

/// Tokens as written, near enough: `read - only` is printed `read-only`. A literal keeps its
/// spaces.
fn tokens_text(value: &Expr) -> String {
    match value {
        Expr::Lit(lit) => lit.to_token_stream().to_string(),
        _ => value.to_token_stream().to_string().replace(' ', ""),
    }
}

/// `` `a`, `b`, `c` ``: names as a hint lists them.
fn code_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
