//! `#[scope("/api/v1")] mod v1 { … }`: a path prefix for every route declared inside.
//!
//! An attribute on a module runs before the attributes inside it, so the scope sees each
//! `#[route(...)]` still unexpanded and writes its prefix first in the route's arguments,
//! `#[route(@scope "/api/v1" GET "/books")]`; the route then checks, registers and keys its
//! full path (duplicates included) as if written whole. A nested `#[scope]` gets the outer
//! prefix put before its own and prefixes its routes itself, so scopes compose.
//!
//! The walk is over tokens, not a syntax tree: it finds routes at any depth (nested
//! modules, function bodies) without parsing every function body of the module.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, TokenStream, TokenTree};
use quote::quote;
use routemark_path::{PathTemplate, Segment};
use syn::LitStr;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let prefix = match parse_prefix(args) {
        Ok(prefix) => prefix,
        Err(err) => return with_error(item, err),
    };
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    // Rule: a scope applies to an inline module, whose routes it can see.
    let Some(mod_at) = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "mod"))
    else {
        let err = syn::Error::new_spanned(
            &item,
            "`#[scope]` applies to a module, as in `#[scope(\"/api/v1\")] mod v1 { … }`",
        );
        return with_error(item, err);
    };
    let body_at = match tokens.last() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => tokens.len() - 1,
        _ => {
            let err = syn::Error::new_spanned(
                &tokens[mod_at],
                "`#[scope]` needs the module's routes in view: write the module inline, `mod name { … }`, not `mod name;`",
            );
            return with_error(item, err);
        }
    };
    let TokenTree::Group(body) = &tokens[body_at] else {
        unreachable!("checked above")
    };
    let mut body = Group::new(Delimiter::Brace, prefix_routes(body.stream(), &prefix));
    body.set_span(tokens[body_at].span());
    let mut out: TokenStream = tokens[..body_at].iter().cloned().collect();
    out.extend([TokenTree::Group(body)]);
    out
}

/// Rule: the prefix is a string literal of static segments: it starts with `/`, does not end
/// with one, and has no parameter or query (a parameter would need an argument in every
/// handler of the module).
fn parse_prefix(args: TokenStream) -> syn::Result<LitStr> {
    let lit: LitStr = syn::parse2(args.clone()).map_err(|_| {
        let message =
            "`#[scope]` takes a path prefix as a string literal, as in `#[scope(\"/api/v1\")]`";
        if args.is_empty() {
            syn::Error::new(proc_macro2::Span::call_site(), message)
        } else {
            syn::Error::new_spanned(&args, message)
        }
    })?;
    let text = lit.value();
    if !text.starts_with('/') {
        return Err(syn::Error::new(
            lit.span(),
            format!("a scope prefix must start with `/`; write `\"/{text}\"`"),
        ));
    }
    let template = match PathTemplate::parse(&text) {
        Ok(template) => template,
        Err(errors) => {
            let message = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(syn::Error::new(lit.span(), message));
        }
    };
    if text == "/" || text.ends_with('/') {
        let fixed = text.trim_end_matches('/');
        let hint = if fixed.is_empty() {
            "remove the `#[scope]`, which adds nothing".to_owned()
        } else {
            format!("write `\"{fixed}\"`")
        };
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "a scope prefix must not end with `/`, which each route's path starts with; {hint}"
            ),
        ));
    }
    if let Some(param) = template.segments().iter().find_map(Segment::param_name) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "a scope prefix cannot have a parameter (`<{param}>`): every handler of the module would need an argument for it; put the parameter in each route's path"
            ),
        ));
    }
    if !template.query().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "a scope prefix cannot have a query; put `?<name>` in each route's path",
        ));
    }
    Ok(lit)
}

/// `tokens` with `@scope "prefix"` written first in every `#[route(...)]`, and `prefix`
/// put before the prefix of every nested `#[scope(...)]`, whose module is left to it.
fn prefix_routes(tokens: TokenStream, prefix: &LitStr) -> TokenStream {
    let mut out = Vec::new();
    let mut skip_next_module = false;
    let mut iter = tokens.into_iter().peekable();
    while let Some(token) = iter.next() {
        match token {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                out.push(TokenTree::Punct(p));
                let Some(TokenTree::Group(attr)) = iter.peek() else {
                    continue;
                };
                if attr.delimiter() != Delimiter::Bracket {
                    continue;
                }
                let (rewritten, nested_scope) = rewrite_attr(attr, prefix);
                skip_next_module |= nested_scope;
                iter.next();
                out.push(TokenTree::Group(rewritten));
            }
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Brace && skip_next_module =>
            {
                // The nested scope's own module: it prefixes these routes itself.
                skip_next_module = false;
                out.push(TokenTree::Group(group));
            }
            TokenTree::Group(group) => {
                let mut inner =
                    Group::new(group.delimiter(), prefix_routes(group.stream(), prefix));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The attribute `[...]` rewritten for the scope, and whether it is a nested `#[scope]`.
fn rewrite_attr(attr: &Group, prefix: &LitStr) -> (Group, bool) {
    let tokens: Vec<TokenTree> = attr.stream().into_iter().collect();
    let Some(TokenTree::Group(args)) = tokens.last() else {
        return (attr.clone(), false);
    };
    if args.delimiter() != Delimiter::Parenthesis {
        return (attr.clone(), false);
    }
    let name = match &tokens[..tokens.len() - 1] {
        [TokenTree::Ident(name)] => name,
        // `routemark::route`, `::routemark::route`
        [
            ..,
            TokenTree::Ident(krate),
            TokenTree::Punct(_),
            TokenTree::Punct(_),
            TokenTree::Ident(name),
        ] if krate == "routemark" => name,
        _ => return (attr.clone(), false),
    };
    let (new_args, nested) = if name == "route" {
        let at = Punct::new('@', Spacing::Alone);
        let keyword = Ident::new("scope", prefix.span());
        let rest = args.stream();
        (quote!(#at #keyword #prefix #rest), false)
    } else if name == "scope" {
        // The inner prefix after the outer one; a malformed inner prefix is left for the
        // inner scope to report.
        match syn::parse2::<LitStr>(args.stream()) {
            Ok(inner) if inner.value().starts_with('/') => {
                let combined = LitStr::new(
                    &format!("{}{}", prefix.value(), inner.value()),
                    inner.span(),
                );
                (quote!(#combined), true)
            }
            _ => (args.stream(), true),
        }
    } else {
        return (attr.clone(), false);
    };
    let mut args_group = Group::new(Delimiter::Parenthesis, new_args);
    args_group.set_span(args.span());
    let mut rewritten: TokenStream = tokens[..tokens.len() - 1].iter().cloned().collect();
    rewritten.extend([TokenTree::Group(args_group)]);
    let mut group = Group::new(Delimiter::Bracket, rewritten);
    group.set_span(attr.span());
    (group, nested)
}

fn with_error(item: TokenStream, err: syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    quote!(#item #err)
}
