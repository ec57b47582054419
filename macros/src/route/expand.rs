//! Code generation for a valid route. Nothing here can fail.
//!
//! A route expands to the user's function, token for token as written, then the shim, a
//! `fn` beside it (`__routemark_shim_<name>`), then the `inventory` submission of the route
//! descriptor, whose handler is the shim. The shim is one call of the runtime's generic
//! `callN` with the argument types spelled out, and a closure that calls the user's function
//! in argument order. Its body also holds one hidden `#[macro_export] macro_rules!` per
//! method, named by the route key, so a second route with the same method and path shape in
//! the crate is error E0428.
//!
//! The extraction itself is generic code in the runtime, type-checked once for the program;
//! what each route adds to `cargo check` is a call and a closure (bench/notes/2026-12-02-compile-time.md).
//! Type checks still land on the user's own tokens: each argument type is a type argument of
//! `callN` spanned at the argument's type, each bound worded by
//! `#[diagnostic::on_unimplemented]` in the runtime.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt, format_ident, quote, quote_spanned};
use routemark_path::route_key;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

use super::args::{BreakerArgs, RouteOptions};
use super::ast::{Binding, Borrow, Route, state_inner};
use crate::private::Private;

/// The most parameters of a `fn` handler the runtime's `nowN` take (`NOW_MAX` there).
const NOW_MAX: usize = 8;

/// `item` is the handler exactly as written.
///
/// The whole expansion is one `quote!`: each nested `quote!` interpolated into another
/// would copy its tokens into the outer stream once more (a call across the proc-macro
/// bridge per interpolation), a measurable part of `cargo check` for a crate of many routes
/// since the macro runs unoptimised. Helpers return only leaves: the user's types, spanned.
pub(crate) fn route(route: &Route<'_>, item: TokenStream) -> TokenStream {
    let parts = Ident::new("__routemark_parts", Span::call_site());
    let body = Ident::new("__routemark_body", Span::call_site());
    let guards = duplicate_guards(route);
    let call = Call::new(route);
    let Call {
        types,
        specs,
        vars,
        takes_no_body,
        ret,
    } = &call;
    let arity = types.len() + usize::from(*takes_no_body);
    let call_n = format_ident!("call{}", arity);
    // `NoBody` last, in the type arguments, the specs and the closure's parameters.
    let no_body_type = takes_no_body.then(|| quote!(#Private::NoBody,));
    let no_body_spec = takes_no_body.then_some(Spec::Extractor);
    let no_body_param = takes_no_body.then_some(Underscore);
    // `Ret` is spelled out; the markers of the arguments, `F` and `Fut` are inferred.
    let inferred = (0..arity + 2).map(|_| Underscore);
    let func_name = &route.func.sig.ident;
    let output = if route.func.sig.asyncness.is_some() {
        quote!(#func_name(#(#vars.0),*))
    } else {
        quote!(::core::future::ready(#func_name(#(#vars.0),*)))
    };
    let methods = Methods(&route.attr.methods);
    let path = syn::LitStr::new(&route.full_path, route.attr.path.span());
    let name = route.func.sig.ident.to_string();
    let options = Options {
        options: &route.attr.options,
        call: &call,
    };
    let state = route.args.iter().filter_map(|arg| match &arg.binding {
        Binding::Extractor { ty } => state_inner(ty).map(StateRequirement),
        _ => None,
    });
    // The shim sits beside the handler, named after it (`__routemark_shim_get_user`, unique
    // where the handler's name is), rather than in a block inside `inventory::submit!`: the
    // shim's tokens then skip `submit!`'s `macro_rules!` matching (22 M rustc instructions
    // for 500 routes, bench/notes/2026-12-06-compile-time-descriptor.md).
    let shim_name = format_ident!(
        "__routemark_shim_{}",
        func_name.to_string().trim_start_matches("r#")
    );
    // No `#[allow(non_snake_case)]` for a shim named after `getUser`: the name is the
    // macro's (spanned at the call site), where rustc does not report that lint
    // (tests/ui/pass/strict-lints.rs), and the attribute cost every route 30 K instructions.
    // The handler is a `fn` item, not a closure coerced to a `fn` pointer: called
    // through the pointer, a closure goes through its `FnOnce::call_once` shim, which packs
    // the arguments into a tuple, and every route's shim then copied the request (344 bytes)
    // once more per request.
    // A `fn` handler of path and query parameters only (or of none) cannot wait: its shim
    // runs it at once and returns the answer, with no future to allocate. (Extractors are
    // `async`: a handler that takes one gets a future, `fn` or not.)
    let answers_now = route.func.sig.asyncness.is_none()
        && route
            .args
            .iter()
            .all(|arg| matches!(arg.binding, Binding::Path { .. } | Binding::Query { .. }));
    // Owned parameters only, as many as a `nowN` takes: that generic call, as `callN`.
    let answers_now_generic = answers_now && !route.borrows() && route.args.len() <= NOW_MAX;
    if route.borrows() || (answers_now && !answers_now_generic) {
        // Its own `async` block: `callN` cannot call a handler whose future borrows its
        // arguments. Only these routes pay for a state machine of their own.
        let shim = Shim {
            route,
            call: &call,
            answers_now,
        };
        // `mut` on the shim's parameter, which the `async move` block captures, rather than
        // a `let mut` in the block: a rebinding would be a second copy of the request in the
        // handler's future.
        let parts_mut = (!answers_now && shim.reads_head()).then(|| quote!(mut));
        return quote! {
            #item
            fn #shim_name(
                #parts_mut #parts: #Private::RequestParts,
                #body: #Private::Body,
            ) -> #Private::HandlerFuture {
                #guards
                #shim
            }
            #Private::inventory::submit! {
                #Private::Route { __decl: #Private::RouteDecl {
                    methods: #methods,
                    path: #path,
                    handler: #shim_name,
                    name: #name,
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    state: &[#(#state),*],
                    options: #options,
                }}
            }
        };
    }
    let call = if answers_now_generic {
        let now_n = format_ident!("now{}", route.args.len());
        quote! {
            #Private::#now_n::<#(#types,)* #ret, _>(
                #parts,
                #body,
                &[#(#specs,)*],
                |#(#vars,)*| #func_name(#(#vars.0),*),
            )
        }
    } else {
        quote! {
            #Private::#call_n::<#(#types,)* #no_body_type #ret, #(#inferred),*>(
                #parts,
                #body,
                &[#(#specs,)* #no_body_spec],
                |#(#vars,)* #no_body_param| #output,
            )
        }
    };
    quote! {
        #item
        fn #shim_name(
            #parts: #Private::RequestParts,
            #body: #Private::Body,
        ) -> #Private::HandlerFuture {
            #guards
            #call
        }
        #Private::inventory::submit! {
            #Private::Route { __decl: #Private::RouteDecl {
                methods: #methods,
                path: #path,
                handler: #shim_name,
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                state: &[#(#state),*],
                options: #options,
            }}
        }
    }
}

/// The shim's body for a route with a borrowed parameter: the route's own
/// `async` block, which does what `callN` does in the same order with the same answers (the
/// probe for declared state, extractors through `HeadArg` and the last through `LastArg`,
/// `NoBody` in effect when the last argument is no extractor), and extracts each borrowed
/// parameter from a clone of the request's `Uri` that the block owns, so that extractors
/// after it may still take the request by `&mut` or by value.
struct Shim<'a> {
    route: &'a Route<'a>,
    call: &'a Call<'a>,
    /// A `fn` handler of borrowed parameters only: no `async` block, the handler runs in the
    /// shim (`answer_now`), and the parameters borrow the request the shim owns.
    answers_now: bool,
}

impl Shim<'_> {
    /// Whether an argument is extracted from the head by `&mut` (every argument before the
    /// last that is no borrowed parameter).
    fn reads_head(&self) -> bool {
        let last = self.route.last_extractor();
        self.route
            .args
            .iter()
            .enumerate()
            .any(|(i, arg)| arg.borrow().is_none() && Some(i) != last)
    }
}

impl ToTokens for Shim<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let parts = Ident::new("__routemark_parts", Span::call_site());
        let body = Ident::new("__routemark_body", Span::call_site());
        let target = Ident::new("__routemark_target", Span::call_site());
        let Call {
            types,
            specs,
            vars,
            ret,
            ..
        } = self.call;
        let last_extractor = self.route.last_extractor();
        // Every argument a borrowed parameter: the block owns only the request's target
        // (`Target`), not the request, and the extraction is a method of it.
        // (A shim that answers at once borrows from the request it owns, as the `async`
        // block of a route with extractors does from its clone of the target.)
        let only_borrowed =
            !self.answers_now && self.route.args.iter().all(|arg| arg.borrow().is_some());
        let mut states = Vec::new();
        let mut extractions = TokenStream::new();
        let mut call_args = Vec::with_capacity(vars.len());
        // One `Extractor` value per argument extracted as by `callN`, which the probe and
        // the extraction share.
        let mut steps = TokenStream::new();
        for (i, arg) in self.route.args.iter().enumerate() {
            let (var, spec, ty) = (&vars[i], &specs[i], &types[i]);
            let extracted = match (&arg.binding, arg.borrow()) {
                // An owned parameter of a handler that answers at once: parsed from the
                // request the shim owns, the call spanned at the user's type, where a type
                // that is no `FromParam` is reported.
                (
                    Binding::Path {
                        index,
                        param,
                        ty: param_ty,
                        ..
                    },
                    None,
                ) if self.answers_now => {
                    let index = proc_macro2::Literal::usize_unsuffixed(*index);
                    let anchor = anchor_span(param_ty);
                    let private = Private::at(anchor);
                    let param_ty = respan(param_ty.to_token_stream(), anchor);
                    quote_spanned!(anchor=>
                        #private::path_param::<#param_ty>(&#parts, #index, #param))
                }
                (
                    Binding::Query {
                        param,
                        ty: param_ty,
                        optional,
                        ..
                    },
                    None,
                ) if self.answers_now => {
                    // At `T` of an `Option<T>`: the type that fails to parse.
                    let anchor = anchor_span(optional.unwrap_or(param_ty));
                    let private = Private::at(anchor);
                    match optional {
                        Some(inner) => {
                            let inner = respan(inner.to_token_stream(), anchor);
                            quote_spanned!(anchor=>
                                #private::query_param_opt::<#inner>(&#parts, #param))
                        }
                        None => {
                            let param_ty = respan(param_ty.to_token_stream(), anchor);
                            quote_spanned!(anchor=>
                                #private::query_param::<#param_ty>(&#parts, #param))
                        }
                    }
                }
                (Binding::Path { index, param, .. }, Some(_)) => {
                    let index = proc_macro2::Literal::usize_unsuffixed(*index);
                    if only_borrowed {
                        quote!(#target.path_str(#index, #param))
                    } else {
                        quote!(#Private::path_str(&#target, &#parts, #index, #param))
                    }
                }
                (
                    Binding::Query {
                        param,
                        optional: Some(_),
                        ..
                    },
                    Some(_),
                ) if only_borrowed => quote!(#target.query_str_opt(#param)),
                (
                    Binding::Query {
                        param,
                        optional: Some(_),
                        ..
                    },
                    Some(_),
                ) => quote!(#Private::query_str_opt(&#target, #param)),
                (
                    Binding::Query {
                        param,
                        optional: None,
                        ..
                    },
                    Some(borrow),
                ) => {
                    let label = match borrow {
                        Borrow::Str => "&str",
                        Borrow::Cow => "Cow<str>",
                    };
                    if only_borrowed {
                        quote!(#target.query_str(#param, #label))
                    } else {
                        quote!(#Private::query_str(&#target, #param, #label))
                    }
                }
                _ => {
                    // As `callN`: the wrapper's trait, at the user's type, where a type
                    // that cannot be extracted is reported.
                    let span = ty
                        .clone()
                        .into_iter()
                        .next()
                        .map_or_else(Span::call_site, |t| t.span());
                    let private = Private::at(span);
                    // At the user's type, where the bound it fails is reported.
                    let step = Ident::new(&format!("__routemark_step{i}"), span);
                    let extract = if last_extractor == Some(i) {
                        quote_spanned!(span=> #private::last(#step, #parts, #body, &#spec).await)
                    } else {
                        quote_spanned!(span=> #private::head(#step, &mut #parts, &#spec).await)
                    };
                    steps.extend(quote_spanned!(span=>
                        let #step = #private::Extractor::<#ty, _>::NEW;
                    ));
                    if matches!(arg.binding, Binding::Extractor { .. }) {
                        states.push(quote_spanned!(span=> #private::state(&#step)));
                    }
                    extractions.extend(quote! {
                        let #var = match #extract {
                            ::core::result::Result::Ok(value) => value.0,
                            ::core::result::Result::Err(response) => return response,
                        };
                    });
                    call_args.push(quote!(#var));
                    continue;
                }
            };
            extractions.extend(quote! {
                let #var = match #extracted {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(response) => return response,
                };
            });
            let optional = matches!(
                arg.binding,
                Binding::Query {
                    optional: Some(_),
                    ..
                }
            );
            call_args.push(match (arg.borrow(), optional) {
                (Some(Borrow::Str), false) => quote!(&*#var),
                (Some(Borrow::Str), true) => quote!(#var.as_deref()),
                _ => quote!(#var),
            });
        }
        let func_name = &self.route.func.sig.ident;
        let output = if self.route.func.sig.asyncness.is_some() {
            quote!(#func_name(#(#call_args),*).await)
        } else {
            quote!(#func_name(#(#call_args),*))
        };
        if self.answers_now {
            let borrows = self.route.args.iter().any(|arg| arg.borrow().is_some());
            let target_of_parts = borrows.then(|| quote!(let #target = #parts.uri();));
            tokens.extend(quote! {
                if #parts.route().is_none() {
                    return #Private::declared_params_only();
                }
                let __routemark_answer = #Private::answer_now(|| {
                    #target_of_parts
                    #extractions
                    #Private::respond::<#ret>(#output)
                });
                // The request's header map, to the next response (`spare_headers.rs`).
                #Private::keep_headers(#parts);
                __routemark_answer
            });
            return;
        }
        if only_borrowed {
            tokens.extend(quote! {
                let ::core::option::Option::Some(#target) = #Private::target_of(#parts) else {
                    return #Private::declared_params_only();
                };
                #Private::shim(async move {
                    #extractions
                    #Private::respond::<#ret>(#output)
                })
            });
            return;
        }
        tokens.extend(quote! {
            #steps
            if #parts.route().is_none() {
                return #Private::declared(&[#(#states),*]);
            }
            #Private::shim(async move {
                let #target = #Private::borrowed_target(&#parts);
                #extractions
                #Private::respond::<#ret>(#output)
            })
        });
    }
}

/// The route's `MethodSet`. One method, as almost every route has, is a constant of the
/// runtime (`ONLY_GET`): a `.with(Method::Get)` call costs each route a method lookup in type
/// checking and a call in constant evaluation (160 K rustc instructions per route in
/// `cargo check`, bench/notes/2026-12-06-compile-time-descriptor.md). Several are
/// `MethodSet::EMPTY.with(..).with(..)`.
struct Methods<'a>(&'a [(routemark_path::Method, Span)]);

impl ToTokens for Methods<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        if let [(method, _)] = self.0 {
            let only = format_ident!("ONLY_{}", method.as_str());
            tokens.extend(quote!(#Private::#only));
            return;
        }
        tokens.extend(quote!(#Private::MethodSet::EMPTY));
        for (method, _) in self.0 {
            let variant = Ident::new(method.variant_name(), Span::call_site());
            tokens.extend(quote!(.with(#Private::Method::#variant)));
        }
    }
}

/// A reference to the route's `OptionsDecl`: to the runtime's `static NO_OPTIONS` when the
/// attribute sets no option, else to the options set, by name, and `..OptionsDecl::DEFAULT`
/// for the rest, so that an option added to the runtime needs no change here until the
/// attribute can set it. A pointer rather than the struct: a copy of it in every route's
/// `static` cost `cargo check` 134 K instructions per route to evaluate and validate
/// (bench/notes/2026-12-06-compile-time-descriptor.md). The borrow lives as long as the route's
/// `static`: it is a field of the struct literal `inventory::submit!` borrows, so its
/// temporary is extended to the `static`'s lifetime.
struct Options<'a> {
    options: &'a RouteOptions,
    call: &'a Call<'a>,
}

impl ToTokens for Options<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let options = self.options;
        if options.is_empty() {
            tokens.extend(quote!(&#Private::NO_OPTIONS));
            return;
        }
        // The common case of a tenant route, in a call: cheaper to check than a struct
        // literal with its base (bench/notes/2026-12-02-compile-time.md).
        let only_tenant = options.body_limit.is_none()
            && options.tags.is_none()
            && options.timeout.is_none()
            && options.concurrency.is_none()
            && options.breaker.is_none()
            && options.fallback.is_none();
        if let (Some(tenant), true) = (&options.tenant, only_tenant) {
            tokens.extend(quote!(&#Private::OptionsDecl::tenant(#tenant)));
            return;
        }
        let body_limit = options.body_limit.iter();
        let tags = options.tags.iter();
        let tenant = options.tenant.iter();
        let timeout = options.timeout.map(Millis).into_iter();
        let concurrency = options
            .concurrency
            .map(proc_macro2::Literal::u32_unsuffixed)
            .into_iter();
        let breaker = options.breaker.as_ref().map(Breaker).into_iter();
        let fallback = options.fallback.as_ref().map(|(_, path)| {
            let parts = Ident::new("__routemark_parts", Span::call_site());
            // The handler's argument types and specs, in its order, as `callN` takes them.
            let (types, specs) = (&self.call.types, &self.call.specs);
            // The call spanned at the fallback's name, where rustc reports a function that
            // cannot be this route's fallback.
            let span = path
                .segments
                .first()
                .map_or_else(Span::call_site, |segment| segment.ident.span());
            let private = Private::at(span);
            let call = quote_spanned! {span=>
                #private::fallback::<(#(#types,)*), _, _>(#parts, &[#(#specs),*], #path)
            };
            quote! {{
                let fallback: #Private::FallbackFn = |#parts| #call;
                fallback
            }}
        });
        let fallback = fallback.into_iter();
        tokens.extend(quote!(&#Private::OptionsDecl {
            #(body_limit: ::core::option::Option::Some(#body_limit),)*
            #(tags: &[#(#tags),*],)*
            #(tenant: ::core::option::Option::Some(#tenant),)*
            #(timeout: ::core::option::Option::Some(#timeout),)*
            #(concurrency: ::core::option::Option::Some(#concurrency),)*
            #(breaker: ::core::option::Option::Some(#breaker),)*
            #(fallback: ::core::option::Option::Some(#fallback),)*
            ..#Private::OptionsDecl::DEFAULT
        }));
    }
}

/// `Duration::from_millis(N)`.
struct Millis(u64);

impl ToTokens for Millis {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let ms = proc_macro2::Literal::u64_unsuffixed(self.0);
        tokens.extend(quote!(#Private::Duration::from_millis(#ms)));
    }
}

/// `BreakerConfig::DEFAULT` with the thresholds the attribute sets.
struct Breaker<'a>(&'a BreakerArgs);

impl ToTokens for Breaker<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let args = self.0;
        let percent = args
            .errors_percent
            .map(proc_macro2::Literal::u8_unsuffixed)
            .into_iter();
        let min = args
            .min_requests
            .map(proc_macro2::Literal::u32_unsuffixed)
            .into_iter();
        let window = args.window.map(Millis).into_iter();
        let open_for = args.open_for.map(Millis).into_iter();
        tokens.extend(quote!(#Private::BreakerConfig::DEFAULT
            #(.__errors_percent(#percent))*
            #(.__min_requests(#min))*
            #(.__window(#window))*
            #(.__open_for(#open_for))*
        ));
    }
}

/// The state type `S` of a `State<S>` argument, which `App::new()` checks is provided.
struct StateRequirement<'a>(&'a Type);

impl ToTokens for StateRequirement<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let state = self.0;
        tokens.extend(quote!(#Private::StateRequirement::__new(
            #Private::TypeId::of::<#state>,
            #Private::type_name::<#state>,
        )));
    }
}

/// One hidden `#[macro_export] macro_rules!` per method, named by the route key, so that a
/// second route with the same method and path shape in the crate is error E0428. They go in
/// the shim's body: `#[macro_export]` still makes each one a crate-wide name, but
/// its textual scope ends with the body. At module level, every `macro_rules!` opens a scope
/// that rustc walks to resolve each later attribute and macro name of the module, which made
/// `cargo check` quadratic in the number of routes.
fn duplicate_guards(route: &Route<'_>) -> TokenStream {
    let Some(template) = &route.template else {
        return TokenStream::new();
    };
    let span = route.attr.path.span();
    let tenant = route
        .attr
        .options
        .tenant
        .as_ref()
        .map(|t| tenant_key(&t.value()));
    route
        .attr
        .methods
        .iter()
        .map(|&(method, _)| {
            let key = route_key(method, template);
            let key = match &tenant {
                Some(tenant) => key.replacen("duplicate_route_", tenant, 1),
                None => key,
            };
            let key = Ident::new(&key, span);
            quote_spanned! {span=>
                #[doc(hidden)]
                #[macro_export]
                #[allow(non_local_definitions)]
                macro_rules! #key { () => {}; }
            }
        })
        .collect()
}

/// `duplicate_route_tenant_<name>_`: the start of the duplicate-guard keys of a tenant's
/// routes, in place of `duplicate_route_`, so that each tenant has its own names (`/orders`
/// of `acme` and of `globex` compile) and none equals a shared route's (a tenant route
/// overrides a shared one). The name is escaped as `route_key` escapes a path, into
/// `[a-z0-9CUD]`: distinct names give distinct keys, and the method after `_` ends it.
fn tenant_key(tenant: &str) -> String {
    let mut key = String::from("duplicate_route_tenant_");
    for b in tenant.bytes() {
        match b {
            b'A'..=b'Z' => {
                key.push('C');
                key.push(b.to_ascii_lowercase() as char);
            }
            b'_' => key.push('U'),
            b'-' => key.push('D'),
            _ => key.push(b as char),
        }
    }
    key.push('_');
    key
}

/// The leaves of the `callN` call, in argument order, which is the extraction order: an
/// extractor written before a parameter answers first, so a guard placed first (a bearer
/// token, say) answers `401` before a malformed `<id>` answers `400`, whatever the order
/// of checks a reader would otherwise have to know. Each argument's type is a type
/// argument of `callN`, spanned at the user's type, so that a bound it fails is reported
/// there.
struct Call<'a> {
    types: Vec<TokenStream>,
    specs: Vec<Spec<'a>>,
    /// The closure's parameters.
    vars: Vec<Ident>,
    /// No argument may read the body (or none wants to): every argument is extracted as a
    /// head argument, borrowing the request, and `NoBody` takes the last place.
    takes_no_body: bool,
    /// The return type, spanned at the user's return type, where a type that is not a
    /// response is reported; `impl Trait` is left to inference.
    ret: TokenStream,
}

impl<'a> Call<'a> {
    fn new(route: &'a Route<'_>) -> Call<'a> {
        let mut types = Vec::with_capacity(route.args.len());
        let mut specs = Vec::with_capacity(route.args.len());
        // A borrowed parameter, as its fallback receives it: owned (a fallback cannot borrow
        // the request either: it is called through the generic `fallback`).
        let string: Option<Type> = route
            .borrows()
            .then(|| syn::parse_quote!(::std::string::String));
        let owned = |ty| string.as_ref().unwrap_or(ty);
        for arg in &route.args {
            let (ty, spec) = match &arg.binding {
                Binding::Path {
                    index, param, ty, ..
                } => {
                    let inner = if arg.borrow().is_some() {
                        owned(ty)
                    } else {
                        ty
                    };
                    (wrapped(ty, "PathParam", inner), Spec::Named(*index, param))
                }
                Binding::Query {
                    param,
                    ty,
                    optional,
                    borrow,
                } => {
                    let wrapper = match (optional, borrow) {
                        (Some(inner), Some(_)) => wrapped(ty, "QueryParamOpt", owned(inner)),
                        (Some(inner), None) => wrapped(ty, "QueryParamOpt", inner),
                        (None, Some(_)) => wrapped(ty, "QueryParam", owned(ty)),
                        (None, None) => wrapped(ty, "QueryParam", ty),
                    };
                    (wrapper, Spec::Named(0, param))
                }
                Binding::Extractor { ty } => (wrapped(ty, "Extract", ty), Spec::Extractor),
                Binding::Receiver => unreachable!("a receiver is reported by valid.rs"),
            };
            types.push(ty);
            specs.push(spec);
        }
        let vars: Vec<Ident> = (0..route.args.len())
            .map(|position| format_ident!("__routemark_arg{}", position))
            .collect();
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
        Call {
            takes_no_body: route.last_extractor().is_none() && !route.args.is_empty(),
            types,
            specs,
            vars,
            ret,
        }
    }
}

/// An entry of the route's `ArgSpec` array, written straight into the output.
#[derive(Clone, Copy)]
enum Spec<'a> {
    Named(usize, &'a str),
    Extractor,
}

impl ToTokens for Spec<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Spec::Named(index, name) => {
                let index = proc_macro2::Literal::usize_unsuffixed(*index);
                tokens.extend(quote!((#index, #name)));
            }
            Spec::Extractor => tokens.extend(quote!(#Private::EXTRACTOR)),
        }
    }
}

struct Underscore;

impl ToTokens for Underscore {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append(Ident::new("_", Span::call_site()));
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
