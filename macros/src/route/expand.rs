//! Code generation for a valid route. Nothing here can fail.
//!
//! A route expands to the user's function, token for token as written, followed by an
//! anonymous `const` holding:
//!
//! - one hidden `#[macro_export] macro_rules!` per method, named by the route key, so a
//!   second route with the same method and path shape in the crate is error E0428;
//! - the `inventory` submission of the route descriptor, whose handler is a closure without
//!   captures: one call of the runtime's generic `callN` with the argument types spelled out,
//!   and a closure that calls the user's function in argument order.
//!
//! The extraction itself is generic code in the runtime, type-checked once for the program;
//! what each route adds to `cargo check` is a call and a closure (bench/README.md, section 3).
//! Type checks still land on the user's own tokens: each argument type is a type argument of
//! `callN` spanned at the argument's type, each bound worded by
//! `#[diagnostic::on_unimplemented]` in the runtime.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use routemark_path::route_key;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use super::ast::{Binding, Route, state_inner};
use crate::private::{PRIVATE, Private};

/// `item` is the handler exactly as written.
pub(crate) fn route(route: &Route<'_>, item: TokenStream) -> TokenStream {
    let mut code = Code::default();
    code.tokens(item);
    // The guards sit inside the anonymous `const`: `#[macro_export]` still makes each one a
    // crate-wide name, but its textual scope ends with the block. At module level, every
    // `macro_rules!` opens a scope that rustc walks to resolve each later attribute and macro
    // name of the module, which made `cargo check` quadratic in the number of routes.
    code.text("const _: () = ").group(Delimiter::Brace, |code| {
        code.tokens(duplicate_guards(route));
        code.text(&format!("{PRIVATE}::inventory::submit! "))
            .group(Delimiter::Brace, |code| descriptor(code, route));
    });
    code.text(";");
    code.finish()
}

/// Generated code as text, with the tokens whose spans matter (the user's types, names and
/// literals) spliced in. rustc lexes each stretch of text in one call across the proc-macro
/// bridge; building the same tokens one by one through `quote!` was most of the macro's
/// time, which counts in every `cargo check` because cargo builds proc macros unoptimised
/// (bench/README.md, section 3). Text tokens get the call-site span, as `quote!` gives its
/// own tokens.
#[derive(Default)]
struct Code {
    out: TokenStream,
    text: String,
}

impl Code {
    fn text(&mut self, text: &str) -> &mut Code {
        self.text.push_str(text);
        self.text.push(' ');
        self
    }

    fn tokens(&mut self, tokens: impl ToTokens) -> &mut Code {
        self.flush();
        tokens.to_tokens(&mut self.out);
        self
    }

    /// A delimited group whose contents `contents` writes.
    fn group(&mut self, delimiter: Delimiter, contents: impl FnOnce(&mut Code)) -> &mut Code {
        let mut inner = Code::default();
        contents(&mut inner);
        self.tokens(Group::new(delimiter, inner.finish()))
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let lexed: TokenStream = self
                .text
                .parse()
                .expect("the generated text is balanced Rust tokens");
            self.out.extend(lexed);
            self.text.clear();
        }
    }

    fn finish(mut self) -> TokenStream {
        self.flush();
        self.out
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

fn shim(code: &mut Code, route: &Route<'_>) {
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
    let mut specs = String::new();
    for &i in &order {
        let ty = match &route.args[i].binding {
            Binding::Path { index, param, ty } => {
                write_spec(&mut specs, *index, param);
                wrapped(ty, "PathParam", ty)
            }
            Binding::Query {
                param,
                ty,
                optional,
            } => {
                write_spec(&mut specs, 0, param);
                match optional {
                    Some(inner) => wrapped(ty, "QueryParamOpt", inner),
                    None => wrapped(ty, "QueryParam", ty),
                }
            }
            Binding::Extractor { ty } => {
                specs.push_str(&format!("{PRIVATE}::ArgSpec::EXTRACTOR, "));
                wrapped(ty, "Extract", ty)
            }
            Binding::Receiver => unreachable!("a receiver is reported by valid.rs"),
        };
        types.push(ty);
    }
    let mut closure_params: Vec<String> = (0..order.len())
        .map(|position| format!("__routemark_arg{position}"))
        .collect();
    let no_body = body_reader.is_none() && !order.is_empty();
    if no_body {
        // No argument may read the body (or none wants to): every argument is extracted as a
        // head argument, borrowing the request, and `NoBody` takes the last place.
        specs.push_str(&format!("{PRIVATE}::ArgSpec::EXTRACTOR, "));
        closure_params.push("_".to_owned());
    }
    let call_args = (0..route.args.len())
        .map(|i| {
            let position = order
                .iter()
                .position(|&o| o == i)
                .expect("every argument is ordered");
            format!("__routemark_arg{position}.0")
        })
        .collect::<Vec<_>>()
        .join(", ");

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

    let arity = types.len() + usize::from(no_body);
    // A closure without captures, which the descriptor coerces to a `fn` pointer: no named
    // function with a spelled-out signature per route.
    code.text(&format!(
        "|__routemark_parts, __routemark_body| {PRIVATE}::call{arity}::<"
    ));
    for ty in types {
        code.tokens(ty).text(",");
    }
    if no_body {
        code.text(&format!("{PRIVATE}::NoBody,"));
    }
    code.tokens(ret);
    code.text(&format!(
        ",{}>",
        ", _".repeat(arity + 2).trim_start_matches(',')
    ));
    code.group(Delimiter::Parenthesis, |code| {
        code.text("__routemark_parts, __routemark_body, &")
            .group(Delimiter::Bracket, |code| {
                code.text(&specs);
            })
            .text(&format!(", |{}|", closure_params.join(", ")));
        let call = |code: &mut Code| {
            code.tokens(&route.func.sig.ident)
                .group(Delimiter::Parenthesis, |code| {
                    code.text(&call_args);
                });
        };
        if route.func.sig.asyncness.is_some() {
            call(code);
        } else {
            code.text("::core::future::ready")
                .group(Delimiter::Parenthesis, call);
        }
    });
}

/// One `ArgSpec` of a parameter, as text.
fn write_spec(specs: &mut String, index: usize, name: &str) {
    specs.push_str(&format!(
        "{PRIVATE}::ArgSpec {{ index: {index}usize, name: {name:?} }}, "
    ));
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

fn descriptor(code: &mut Code, route: &Route<'_>) {
    code.text(&format!("{PRIVATE}::Route::__new"))
        .group(Delimiter::Parenthesis, |code| {
            code.text(&format!("{PRIVATE}::MethodSet::EMPTY"));
            for &(method, _) in &route.attr.methods {
                let variant = match method.as_str() {
                    "GET" => "Get",
                    "HEAD" => "Head",
                    "POST" => "Post",
                    "PUT" => "Put",
                    "PATCH" => "Patch",
                    "DELETE" => "Delete",
                    "OPTIONS" => "Options",
                    _ => "Trace",
                };
                code.text(&format!(".with({PRIVATE}::Method::{variant})"));
            }
            code.text(",").tokens(&route.attr.path).text(",");
            shim(code, route);
            let name = route.func.sig.ident.to_string();
            code.text(&format!(
                ", {name:?}, ::core::module_path!(), ::core::file!(), ::core::line!(), &"
            ));
            code.group(Delimiter::Bracket, |code| {
                let states = route.args.iter().filter_map(|arg| match &arg.binding {
                    Binding::Extractor { ty } => state_inner(ty),
                    _ => None,
                });
                for state in states {
                    code.text(&format!("{PRIVATE}::StateRequirement::__new"))
                        .group(Delimiter::Parenthesis, |code| {
                            code.text(&format!("{PRIVATE}::TypeId::of::<"))
                                .tokens(state)
                                .text(&format!(">, {PRIVATE}::type_name::<"))
                                .tokens(state)
                                .text(">");
                        })
                        .text(",");
                }
            });
            code.text(",");
            match &route.attr.body_limit {
                Some(limit) => {
                    code.text("::core::option::Option::Some").group(
                        Delimiter::Parenthesis,
                        |code| {
                            code.tokens(limit);
                        },
                    );
                }
                None => {
                    code.text("::core::option::Option::None");
                }
            }
        });
}
