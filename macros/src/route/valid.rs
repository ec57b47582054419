//! The rules a route must follow, one function each. Every rule reports all its errors.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use routemark_path::closest_match;
use syn::ext::IdentExt;
use syn::{FnArg, Pat};

use super::Errors;
use super::args::RouteOptions;
use super::ast::{
    Arg, Binding, HandlerFn, Route, borrow_of, cow_args, is_plain_value, is_static, is_str,
    lit_subspan, template_params,
};

/// The checks that need the attribute.
pub(crate) fn check(route: &Route<'_>, errors: &mut Errors) {
    let explained = check_params_have_arguments(route, errors);
    check_arguments(route, &explained, errors);
    check_one_body(route, errors);
    if let Some(tags) = &route.attr.options.tags {
        check_tags(tags, errors);
    }
    if let Some(tenant) = &route.attr.options.tenant {
        check_tenant(tenant, errors);
    }
    check_fallback_has_work(&route.attr.options, errors);
}

/// Rule: a tenant is named like a tag (ASCII letters, digits, `_` and `-`, starting with a
/// letter): the name is matched against headers and path segments, and shows in metric
/// labels, logs and overlay identities (`acme:GET /orders`), where it must read the same.
fn check_tenant(lit: &syn::LitStr, errors: &mut Errors) {
    let tenant = lit.value();
    if tenant.is_empty() {
        errors.spanned(
            lit,
            "a tenant name cannot be empty; name the tenant (`tenant = \"acme\"`) or remove `tenant` to share the route with every tenant",
        );
    } else if !is_tag_name(&tenant) {
        errors.spanned(
            lit,
            format!(
                "tenant `{}` is not a valid tenant name; {TAG_CHARS}",
                tenant.escape_debug()
            ),
        );
    }
}

/// Rule: a `fallback` answers for the breaker, the concurrency limit or the route's timeout,
/// so a route with a fallback sets at least one of them.
fn check_fallback_has_work(options: &RouteOptions, errors: &mut Errors) {
    let Some((name, _)) = &options.fallback else {
        return;
    };
    if options.breaker.is_none() && options.concurrency.is_none() && options.timeout.is_none() {
        errors.spanned(
            name,
            "`fallback` has nothing to answer for: it answers while the breaker is open, while the route sheds requests, or when its handler times out; add `breaker`, `concurrency = N` or `timeout = \"2s\"`",
        );
    }
}

/// What a tag is made of, as hints word it.
const TAG_CHARS: &str = "use ASCII letters, digits, `_` and `-`, starting with a letter";

/// Rule: a tag is a name of ASCII letters, digits, `_` and `-`, starting with a letter, so
/// that it reads the same in code, logs, metric labels and configuration; and a route lists
/// each tag once.
fn check_tags(tags: &[syn::LitStr], errors: &mut Errors) {
    for (i, lit) in tags.iter().enumerate() {
        let tag = lit.value();
        if tag.is_empty() {
            errors.spanned(lit, format!("a tag cannot be empty; {TAG_CHARS}"));
        } else if !is_tag_name(&tag) {
            errors.spanned(
                lit,
                format!(
                    "tag `{}` is not a valid tag name; {TAG_CHARS}",
                    tag.escape_debug()
                ),
            );
        } else if tags[..i].iter().any(|earlier| earlier.value() == tag) {
            errors.spanned(lit, format!("tag `{tag}` is listed twice; remove one"));
        }
    }
}

/// Whether `tag` is a tag name: ASCII letters, digits, `_` and `-`, starting with a letter.
pub(crate) fn is_tag_name(tag: &str) -> bool {
    tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The most arguments a handler may take: the runtime's generic callers (`callN` in
/// `runtime/src/private/call.rs`) are written for up to 16 arguments plus a placeholder.
const MAX_ARGS: usize = 16;

/// Rule: a handler is a plain free function: no `self`, no generics or `where` clause, not
/// `const`, `unsafe`, `extern` or variadic. The router calls it through a plain `fn` pointer
/// with arguments it builds itself, which rules out each of these.
pub(crate) fn check_function(func: &HandlerFn, errors: &mut Errors) {
    let sig = &func.sig;
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            "a route handler cannot be a `const fn`; remove `const`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(unsafety, "a route handler cannot be an `unsafe fn`; remove `unsafe` and use an `unsafe` block inside");
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            format!(
                "a route handler cannot declare an ABI; remove `{}`",
                abi.to_token_stream()
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            "a route handler cannot be generic; the router must know every argument type, so use concrete types",
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            "a route handler cannot have a `where` clause; the router calls it with concrete types, so remove it",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, "a route handler cannot be variadic");
    }
    if let Some(extra) = sig.inputs.iter().nth(MAX_ARGS) {
        errors.spanned(
            extra,
            format!(
                "a route handler takes at most {MAX_ARGS} arguments, and this is argument {}; group related arguments into an extractor of your own (a type that implements `FromRequestParts`)",
                MAX_ARGS + 1
            ),
        );
    }
    for arg in &sig.inputs {
        if let FnArg::Receiver(receiver) = arg {
            errors.spanned(
                receiver,
                "a route handler cannot take `self`; make it a free function and reach shared data through `State<T>`",
            );
        }
    }
}

/// Rule: every `<param>` of the path and query is received by a function argument of the same
/// name, bound as a plain identifier.
///
/// When the mistake is visible on an argument (the name bound inside a pattern, a `_`, a
/// misspelling), the hint names that argument, and the argument is not reported a second
/// time: the indices of the arguments explained this way are returned.
fn check_params_have_arguments(route: &Route<'_>, errors: &mut Errors) -> Vec<usize> {
    let mut explained = Vec::new();
    let Some(template) = &route.template else {
        return explained;
    };
    let path = &route.attr.path;
    let unbound: Vec<(String, bool)> = template_params(template)
        .into_iter()
        .filter(|(param, _)| !route.args.iter().any(|a| a.param() == Some(param.as_str())))
        .collect();
    // Arguments that could have been meant to receive a parameter: named, bound to nothing.
    let unbound_named = |explained: &[usize]| -> Vec<(usize, &str)> {
        route
            .args
            .iter()
            .enumerate()
            .filter(|(i, a)| !explained.contains(i) && is_extractor(a))
            .filter_map(|(i, a)| Some((i, a.name.as_deref()?)))
            .collect()
    };
    let plain_unbound_named = |explained: &[usize]| -> Vec<(usize, &str)> {
        unbound_named(explained)
            .into_iter()
            .filter(|&(i, _)| plain_type(&route.args[i]))
            .collect()
    };

    for (n, (param, is_query)) in unbound.iter().enumerate() {
        let kind = if *is_query { "query" } else { "path" };
        let at = param_span(path, param);

        // The name appears, but inside a pattern: `(id, _): (u64, u64)`.
        if let Some((i, pat)) = route.args.iter().enumerate().find_map(|(i, a)| {
            let pat = a.pat()?;
            (a.name.is_none() && binds_name(pat.to_token_stream(), param)).then_some((i, pat))
        }) {
            let pat_text = tokens_text(pat);
            errors.spanned(
                pat,
                format!(
                    "{kind} parameter `<{param}>` must be received by an argument named `{}`, not through the pattern `{pat_text}`; write `{}: T` and destructure in the body",
                    raw_ident(param),
                    raw_ident(param),
                ),
            );
            explained.push(i);
            continue;
        }

        // A misspelt argument: `<id>` and `idd: u64`.
        let candidates = unbound_named(&explained);
        if let Some(close) = closest_match(param, candidates.iter().map(|&(_, name)| name)) {
            let i = candidates
                .iter()
                .find(|&&(_, name)| name == close)
                .map(|&(i, _)| i);
            explained.extend(i);
            errors.error(
                at,
                format!("{kind} parameter `<{param}>` has no matching function argument; did you mean `{close}`?"),
            );
            continue;
        }

        // `_: u64`: a value that could only be this parameter, but has no name.
        if let Some((i, arg)) = route.args.iter().enumerate().find(|(i, a)| {
            !explained.contains(i) && matches!(a.pat(), Some(Pat::Wild(_))) && plain_type(a)
        }) {
            let ty = match arg.binding {
                Binding::Extractor { ty } => tokens_text(ty),
                _ => "T".to_owned(),
            };
            errors.spanned(
                arg.pat(),
                format!(
                    "{kind} parameter `<{param}>` is received by an argument of the same name, and `_` has none; write `{}: {ty}`",
                    raw_ident(param),
                ),
            );
            explained.push(i);
            continue;
        }

        // One parameter left and one plain-value argument left: they were meant for each
        // other, under two names.
        let plain = plain_unbound_named(&explained);
        if unbound.len() - n == 1 && plain.len() == 1 {
            let (i, name) = plain[0];
            explained.push(i);
            errors.error(
                at,
                format!(
                    "{kind} parameter `<{param}>` has no matching function argument; rename the argument `{name}` to `{}`, or the parameter to `<{name}>`",
                    raw_ident(param),
                ),
            );
            continue;
        }

        let hint = if *is_query {
            format!(
                "add an argument `{0}: T` to the function, or `{0}: Option<T>` if it may be absent",
                raw_ident(param)
            )
        } else {
            format!("add an argument `{}: T` to the function", raw_ident(param))
        };
        errors.error(
            at,
            format!("{kind} parameter `<{param}>` has no matching function argument; {hint}"),
        );
    }
    explained
}

/// Rules for arguments:
/// - a parameter is received by a plain name (`id: u64`, `mut id: u64`), not by reference
///   (`ref id`);
/// - a parameter borrows only as `&str` or `Cow<'_, str>` (see [`check_borrowed_param`]);
/// - an argument whose type is a plain value (`String`, a number …) but binds no parameter
///   would be a misspelt parameter, never an extractor, so it is an error naming the closest
///   parameter.
fn check_arguments(route: &Route<'_>, explained: &[usize], errors: &mut Errors) {
    let params: Vec<String> = route
        .template
        .as_ref()
        .map(|t| template_params(t).into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default();
    for (i, arg) in route.args.iter().enumerate() {
        let Some(pat) = arg.pat() else { continue };
        if explained.contains(&i) {
            continue;
        }
        match &arg.binding {
            Binding::Path { param, ty, .. }
            | Binding::Query {
                param,
                optional: None,
                ty,
                ..
            }
            | Binding::Query {
                param,
                optional: Some(ty),
                ..
            } => {
                check_borrowed_param(param, ty, errors);
                if let Pat::Ident(ident) = pat {
                    if let Some(by_ref) = &ident.by_ref {
                        errors.spanned(
                            by_ref,
                            format!(
                                "parameter `{}` must be received by value; remove `ref`",
                                ident.ident
                            ),
                        );
                    }
                }
            }
            Binding::Extractor { ty } if is_plain_value(ty) && route.template.is_some() => {
                let ty_text = tokens_text(ty);
                let message = match &arg.name {
                    Some(name) => {
                        let hint = match closest_match(name, params.iter().map(String::as_str)) {
                            Some(close) => format!("; did you mean `{close}`?"),
                            None => String::new(),
                        };
                        format!(
                            "`{name}` is not a path or query parameter: add `<{name}>` to the path, or read the body with `Text`{hint}"
                        )
                    }
                    None => format!(
                        "a `{ty_text}` argument must be a path or query parameter, bound by name; write `name: {ty_text}` with `<name>` in the route",
                    ),
                };
                errors.spanned(pat, message);
            }
            Binding::Extractor { .. } | Binding::Receiver => {}
        }
    }
}

/// Rule: a parameter borrows the request only as `&str` or `Cow<'_, str>`, the decoded
/// text, for as long as the handler runs. Any other reference has no text of the request
/// to point into (`&u64`, `&Path`), could only be a copy (`&String`), or would outlive the
/// request (`'static`); each is reported at the type with the type to take instead.
fn check_borrowed_param(param: &str, ty: &syn::Type, errors: &mut Errors) {
    if borrow_of(ty).is_some() {
        return;
    }
    let name = raw_ident(param);
    let (message, elem, form) = match ty {
        syn::Type::Reference(r) if r.mutability.is_some() => {
            errors.spanned(
                ty,
                format!("parameter `{name}` cannot be borrowed mutably; take `&str` or `String`"),
            );
            return;
        }
        syn::Type::Reference(r) if is_static(r.lifetime.as_ref()) => {
            errors.spanned(
                ty,
                format!("parameter `{name}` cannot borrow the request for `'static`, and the request lives only while its handler runs; take `&str` or `String`"),
            );
            return;
        }
        syn::Type::Reference(r) => ("borrow", &*r.elem, "&str"),
        _ => match cow_args(ty) {
            Some((lifetime, _)) if is_static(lifetime) => {
                errors.spanned(
                    ty,
                    format!("parameter `{name}` cannot borrow the request for `'static`, and the request lives only while its handler runs; take `Cow<'_, str>` or `String`"),
                );
                return;
            }
            Some((_, inner)) if !is_str(inner) => ("be a `Cow` of", inner, "Cow<'_, str>"),
            _ => return,
        },
    };
    let elem_text = tokens_text(elem);
    let hint = if elem_text == "String" {
        format!("parameter `{name}` borrows its text as `str`, not `String`; take `{form}`")
    } else {
        format!(
            "parameter `{name}` cannot {message} `{elem_text}`: only `&str` and `Cow<'_, str>` borrow the request; take `{}`",
            owned_of(elem, &elem_text)
        )
    };
    errors.spanned(ty, hint);
}

/// The owned type a parameter of a borrowed `elem` takes instead.
fn owned_of(elem: &syn::Type, elem_text: &str) -> String {
    match elem {
        syn::Type::Slice(_) => "String".to_owned(),
        _ if elem_text == "Path" || elem_text.ends_with("::Path") => "PathBuf".to_owned(),
        _ if elem_text == "OsStr" || elem_text.ends_with("::OsStr") => "String".to_owned(),
        _ => elem_text.to_owned(),
    }
}

/// The body extractors of the runtime, by name: what a handler can be seen to read the body
/// through without type information. A user's own `FromRequest` type is left to the type
/// checker, whose message (`HeadPosition` in the runtime) says the same.
const BODY_EXTRACTORS: [&str; 5] = ["Json", "Text", "Bytes", "Body", "Request"];

/// Rule: at most one argument reads the body. Two body extractors are reported here, at the
/// second, with both named, rather than as the type error of the first not being last.
fn check_one_body(route: &Route<'_>, errors: &mut Errors) {
    let mut first: Option<&syn::Type> = None;
    for arg in &route.args {
        let Binding::Extractor { ty } = arg.binding else {
            continue;
        };
        let syn::Type::Path(path) = ty else { continue };
        let Some(last) = path.path.segments.last() else {
            continue;
        };
        if !BODY_EXTRACTORS.iter().any(|name| last.ident == name) {
            continue;
        }
        match first {
            None => first = Some(ty),
            Some(earlier) => errors.spanned(
                ty,
                format!(
                    "only one argument may read the request body, and `{}` already does; keep one of them, or read the body once as `Bytes` and parse it in the handler",
                    tokens_text(earlier),
                ),
            ),
        }
    }
}

fn is_extractor(arg: &Arg<'_>) -> bool {
    matches!(arg.binding, Binding::Extractor { .. })
}

fn plain_type(arg: &Arg<'_>) -> bool {
    matches!(arg.binding, Binding::Extractor { ty } if is_plain_value(ty))
}

/// Whether an identifier `name` (raw or not) appears anywhere in a pattern.
fn binds_name(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(ident) => ident.unraw() == name,
        TokenTree::Group(group) => binds_name(group.stream(), name),
        _ => false,
    })
}

/// Where `<param>` (or `<param..>`) is written in the path literal.
fn param_span(path: &syn::LitStr, param: &str) -> proc_macro2::Span {
    let text = path.value();
    [format!("<{param}>"), format!("<{param}..>")]
        .iter()
        .find_map(|needle| {
            let start = text.find(needle.as_str())?;
            Some(lit_subspan(path, start..start + needle.len()))
        })
        .unwrap_or_else(|| path.span())
}

/// Tokens as the user wrote them, near enough: `Vec<u8>`, `(id, _)`.
fn tokens_text(tokens: impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    text.replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" :: ", "::")
        .replace("& ", "&")
}

fn raw_ident(name: &str) -> String {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        name.to_owned()
    } else {
        format!("r#{name}")
    }
}
