//! The typed model of a route: its attribute, its path template and how each handler
//! argument is bound.

use proc_macro2::Span;
use routemark_path::{PathTemplate, Segment, TemplateErrorKind};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, FnArg, LitStr, Pat, Signature, Type, Visibility};

use super::Errors;
use super::args::RouteArgs;

/// A function item with its body left unparsed: the macro needs the signature only, and
/// the item is emitted exactly as written. Parsing the body with syn was a tenth of the
/// expansion's cost (bench/notes/2026-12-02-compile-time.md).
pub(crate) struct HandlerFn {
    pub(crate) sig: Signature,
}

impl Parse for HandlerFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // Attributes and visibility are skipped over: they need no check.
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        let sig = input.parse()?;
        let body: proc_macro2::Group = input.parse()?;
        if body.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(body.span(), "expected a function body"));
        }
        Ok(HandlerFn { sig })
    }
}

pub(crate) struct Route<'a> {
    pub(crate) attr: RouteArgs,
    /// The full path: the `#[scope]` prefix, if any, then the path as written.
    pub(crate) full_path: String,
    /// The full path, parsed; `None` when the path did not parse (its errors are already
    /// reported).
    pub(crate) template: Option<PathTemplate>,
    pub(crate) func: &'a HandlerFn,
    pub(crate) args: Vec<Arg<'a>>,
}

pub(crate) struct Arg<'a> {
    pub(crate) arg: &'a FnArg,
    /// The name the argument binds, when its pattern is a plain identifier (raw identifiers
    /// unrawed: `r#ref` is `ref`).
    pub(crate) name: Option<String>,
    pub(crate) binding: Binding<'a>,
}

pub(crate) enum Binding<'a> {
    /// `self`: never valid, reported by `valid.rs`.
    Receiver,
    /// The `index`-th path parameter (catch-all included).
    Path {
        index: usize,
        param: String,
        ty: &'a Type,
        borrow: Option<Borrow>,
    },
    /// A query parameter; `optional` holds `T` of an `Option<T>` argument.
    Query {
        param: String,
        ty: &'a Type,
        optional: Option<&'a Type>,
        borrow: Option<Borrow>,
    },
    /// Anything else: an extractor, found by type.
    Extractor { ty: &'a Type },
}

/// How a parameter borrows the request (of an `Option`, how its value does).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Borrow {
    /// `&str`, with any lifetime but `'static`.
    Str,
    /// `Cow<'_, str>`, with any lifetime but `'static`.
    Cow,
}

impl<'a> Route<'a> {
    pub(crate) fn from_syn(attr: RouteArgs, func: &'a HandlerFn, errors: &mut Errors) -> Self {
        let template = match PathTemplate::parse(&attr.path.value()) {
            Ok(t) => Some(t),
            Err(errs) => {
                for e in errs {
                    let text = attr.path.value();
                    // On stable the span below is the whole literal: every message quotes the
                    // offending text itself, so that long paths stay readable.
                    let message = match e.kind {
                        TemplateErrorKind::NoLeadingSlash => {
                            format!("{e}; write `\"/{text}\"`")
                        }
                        _ => e.to_string(),
                    };
                    errors.error(lit_subspan(&attr.path, e.span), message);
                }
                None
            }
        };
        let full_path = match &attr.scope {
            Some(scope) => scoped_path(&scope.value(), &attr.path.value()),
            None => attr.path.value(),
        };
        // The scope is checked by `#[scope]` and the path above: together they parse.
        let template = template.and_then(|t| match &attr.scope {
            Some(_) => PathTemplate::parse(&full_path).ok(),
            None => Some(t),
        });
        let names: Vec<Option<String>> = func.sig.inputs.iter().map(bound_name).collect();
        let args = func
            .sig
            .inputs
            .iter()
            .zip(&names)
            .map(|(arg, name)| Arg::from_syn(arg, name.clone(), &names, template.as_ref()))
            .collect();
        Route {
            attr,
            full_path,
            template,
            func,
            args,
        }
    }

    /// Whether a parameter borrows the request: the route then gets a shim of its own.
    pub(crate) fn borrows(&self) -> bool {
        self.args.iter().any(|arg| arg.borrow().is_some())
    }

    /// The last argument, the only one allowed to read the body.
    pub(crate) fn last_extractor(&self) -> Option<usize> {
        let last = self.args.len().checked_sub(1)?;
        matches!(self.args[last].binding, Binding::Extractor { .. }).then_some(last)
    }
}

/// `prefix` + `path`; the route `/` of a scope is the prefix itself (`/api/v1`), as a
/// mount point is in Rocket and axum.
pub(crate) fn scoped_path(prefix: &str, path: &str) -> String {
    if path == "/" {
        prefix.to_owned()
    } else if let Some(query) = path.strip_prefix("/?") {
        format!("{prefix}?{query}")
    } else {
        format!("{prefix}{path}")
    }
}

/// The name an argument binds, when its pattern is a plain identifier.
fn bound_name(arg: &FnArg) -> Option<String> {
    match arg {
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.unraw().to_string()),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    }
}

impl<'a> Arg<'a> {
    /// `names` are the names of all the handler's arguments.
    fn from_syn(
        arg: &'a FnArg,
        name: Option<String>,
        names: &[Option<String>],
        template: Option<&PathTemplate>,
    ) -> Self {
        let FnArg::Typed(typed) = arg else {
            return Arg {
                arg,
                name: None,
                binding: Binding::Receiver,
            };
        };
        let ty = &*typed.ty;
        // Rule: `_path` binds `<path>`, as Rust spells a binding that may go unused, unless
        // another argument is named `path` exactly.
        let param_name = name.as_deref().map(|name| match name.strip_prefix('_') {
            Some(bare)
                if !bare.is_empty()
                    && !names.iter().any(|other| other.as_deref() == Some(bare)) =>
            {
                bare
            }
            _ => name,
        });
        let binding = template
            .zip(param_name)
            .and_then(|(t, name)| param_binding(t, name, ty))
            .or_else(|| {
                // `_path` names no parameter `path`: it may still name a parameter `_path`.
                template
                    .zip(name.as_deref())
                    .and_then(|(t, name)| param_binding(t, name, ty))
            })
            .unwrap_or(Binding::Extractor { ty });
        Arg { arg, name, binding }
    }

    /// The parameter this argument receives, if any.
    pub(crate) fn param(&self) -> Option<&str> {
        match &self.binding {
            Binding::Path { param, .. } | Binding::Query { param, .. } => Some(param),
            Binding::Extractor { .. } | Binding::Receiver => None,
        }
    }

    /// How the argument borrows the request, if it is a borrowed parameter.
    pub(crate) fn borrow(&self) -> Option<Borrow> {
        match &self.binding {
            Binding::Path { borrow, .. } | Binding::Query { borrow, .. } => *borrow,
            Binding::Extractor { .. } | Binding::Receiver => None,
        }
    }

    pub(crate) fn pat(&self) -> Option<&'a Pat> {
        match self.arg {
            FnArg::Typed(t) => Some(&t.pat),
            FnArg::Receiver(_) => None,
        }
    }
}

fn param_binding<'a>(template: &PathTemplate, name: &str, ty: &'a Type) -> Option<Binding<'a>> {
    if let Some(index) = template.path_params().position(|p| p == name) {
        return Some(Binding::Path {
            index,
            param: name.to_owned(),
            ty,
            borrow: borrow_of(ty),
        });
    }
    template.query().iter().any(|q| q == name).then(|| {
        let optional = option_inner(ty);
        Binding::Query {
            param: name.to_owned(),
            ty,
            optional,
            borrow: borrow_of(optional.unwrap_or(ty)),
        }
    })
}

/// How a parameter of type `ty` borrows the request, by syntax, if it is one of the borrowed
/// forms the shim supports; other references are reported by `valid.rs`.
pub(crate) fn borrow_of(ty: &Type) -> Option<Borrow> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() && !is_static(r.lifetime.as_ref()) => {
            is_str(&r.elem).then_some(Borrow::Str)
        }
        Type::Paren(p) => borrow_of(&p.elem),
        _ => {
            let (lifetime, inner) = cow_args(ty)?;
            (!is_static(lifetime) && is_str(inner)).then_some(Borrow::Cow)
        }
    }
}

/// The lifetime (if written) and the type of a `Cow<'a, T>`, by syntax.
pub(crate) fn cow_args(ty: &Type) -> Option<(Option<&syn::Lifetime>, &Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if path.qself.is_some() || last.ident != "Cow" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut lifetime = None;
    let mut inner = None;
    for arg in &args.args {
        match arg {
            syn::GenericArgument::Lifetime(l) if lifetime.is_none() && inner.is_none() => {
                lifetime = Some(l);
            }
            syn::GenericArgument::Type(t) if inner.is_none() => inner = Some(t),
            _ => return None,
        }
    }
    Some((lifetime, inner?))
}

pub(crate) fn is_static(lifetime: Option<&syn::Lifetime>) -> bool {
    lifetime.is_some_and(|l| l.ident == "static")
}

/// Whether `ty` is `str` (also `core::primitive::str`), by syntax.
pub(crate) fn is_str(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "str" && last.arguments.is_none()),
        Type::Paren(p) => is_str(&p.elem),
        _ => false,
    }
}

/// `T` of `Option<T>` (also `std::option::Option<T>`), by syntax.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    generic_arg_of(ty, "Option")
}

/// `T` of `State<T>`, by syntax: what `App` must be given before it starts.
pub(crate) fn state_inner(ty: &Type) -> Option<&Type> {
    generic_arg_of(ty, "State")
}

fn generic_arg_of<'t>(ty: &'t Type, outer: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// Whether `ty` is a plain value (`String`, a number, `bool`, `char`, `&str`, or an `Option`
/// of one): such a type is never an extractor, so an argument of that type that binds no
/// parameter is a misspelt parameter, not a request body.
pub(crate) fn is_plain_value(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_plain_value(&r.elem),
        Type::Paren(p) => is_plain_value(&p.elem),
        Type::Path(p) if p.qself.is_none() => {
            if let Some(inner) = option_inner(ty) {
                return is_plain_value(inner);
            }
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            last.arguments.is_none()
                && matches!(
                    last.ident.to_string().as_str(),
                    "String"
                        | "str"
                        | "bool"
                        | "char"
                        | "u8"
                        | "u16"
                        | "u32"
                        | "u64"
                        | "u128"
                        | "usize"
                        | "i8"
                        | "i16"
                        | "i32"
                        | "i64"
                        | "i128"
                        | "isize"
                        | "f32"
                        | "f64"
                )
        }
        _ => false,
    }
}

/// The span of `range` (bytes of the literal's value) inside the literal, where the compiler
/// can point inside literals; otherwise the whole literal.
pub(crate) fn lit_subspan(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    let token = lit.token();
    // Byte offsets of the value equal those of the source only for a plain `"..."` literal
    // without escapes.
    if token.to_string() == format!("\"{}\"", lit.value()) {
        if let Some(span) = token.subspan(range.start + 1..range.end + 1) {
            return span;
        }
    }
    lit.span()
}

/// Names of the template's parameters, path then query.
pub(crate) fn template_params(template: &PathTemplate) -> Vec<(String, bool)> {
    template
        .segments()
        .iter()
        .filter_map(Segment::param_name)
        .map(|n| (n.to_owned(), false))
        .chain(template.query().iter().map(|q| (q.clone(), true)))
        .collect()
}
