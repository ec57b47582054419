//! The rules a route must follow, one function each. Every rule reports all its errors.

use quote::ToTokens;
use routemark_path::closest_match;
use syn::{FnArg, Pat};

use super::Errors;
use super::ast::{Binding, Route, is_plain_value, template_params};

pub(crate) fn check(route: &Route<'_>, errors: &mut Errors) {
    check_free_function(route, errors);
    check_params_have_arguments(route, errors);
    check_arguments(route, errors);
}

/// Rule: a handler is a plain free function: no `self`, no generics or `where` clause, not
/// `const`, `unsafe`, `extern` or variadic. The router calls it through a plain `fn` pointer
/// with arguments it builds itself, which rules out each of these.
fn check_free_function(route: &Route<'_>, errors: &mut Errors) {
    let sig = &route.func.sig;
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
            "a route handler cannot declare an ABI; remove the `extern`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            "a route handler cannot be generic; the router must know every argument type, so use concrete types",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, "a route handler cannot be variadic");
    }
    for arg in &route.args {
        if let FnArg::Receiver(receiver) = arg.arg {
            errors.spanned(
                receiver,
                "a route handler cannot take `self`; make it a free function and reach shared data through `State<T>`",
            );
        }
    }
}

/// Rule: every `<param>` of the path and query is received by a function argument of the same
/// name. The hint names the closest unbound argument.
fn check_params_have_arguments(route: &Route<'_>, errors: &mut Errors) {
    let Some(template) = &route.template else {
        return;
    };
    let unbound_names: Vec<&str> = route
        .args
        .iter()
        .filter(|a| matches!(a.binding, Binding::Extractor { .. }))
        .filter_map(|a| a.name.as_deref())
        .collect();
    for (param, is_query) in template_params(template) {
        let bound = route
            .args
            .iter()
            .any(|a| a.name.as_deref() == Some(param.as_str()));
        if bound {
            continue;
        }
        let kind = if is_query { "query" } else { "path" };
        let hint = match closest_match(&param, unbound_names.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("add an argument `{}: T` to the function", raw_ident(&param)),
        };
        errors.spanned(
            &route.attr.path,
            format!("{kind} parameter `<{param}>` has no matching function argument; {hint}"),
        );
    }
}

/// Rules for arguments that bind no parameter:
/// - one whose type is a plain value (`String`, a number …) would be a misspelt parameter,
///   never an extractor, so it is an error naming the closest parameter;
/// - a parameter is received by a plain name (`id: u64`, `mut id: u64`), not by reference
///   (`ref id`) or through a pattern.
fn check_arguments(route: &Route<'_>, errors: &mut Errors) {
    let params: Vec<String> = route
        .template
        .as_ref()
        .map(|t| template_params(t).into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default();
    for arg in &route.args {
        let Some(pat) = arg.pat() else { continue };
        match &arg.binding {
            Binding::Path { .. } | Binding::Query { .. } => {
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
                let ty_text = ty.to_token_stream().to_string().replace(' ', "");
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

fn raw_ident(name: &str) -> String {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        name.to_owned()
    } else {
        format!("r#{name}")
    }
}
