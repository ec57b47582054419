//! `#[route(METHODS "PATH" [, option = value]*)]`: parse -> validate -> expand.
//!
//! - `args.rs` parses the attribute's arguments;
//! - `ast.rs` builds a typed model of the route and its handler, borrowing from syn;
//! - `valid.rs` checks it, one function per rule, collecting every error;
//! - `expand.rs` generates the code of a valid route and cannot fail;
//! - `fallback.rs` is the output on error: the user's function, untouched, plus the errors.

mod args;
mod ast;
mod expand;
mod fallback;
mod valid;

use proc_macro2::TokenStream;

use crate::route::ast::Route;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ast::HandlerFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => return fallback::not_a_function(item),
    };
    let mut errors = Errors::default();
    let parser = |input: syn::parse::ParseStream<'_>| args::RouteArgs::parse(input, &mut errors);
    let attr = match syn::parse::Parser::parse2(parser, args) {
        Ok(attr) => Some(attr),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    // Every check that can run does, so that all mistakes are reported at once: the
    // function's own shape needs no attribute, the rest needs one that parsed.
    let route = attr.map(|attr| Route::from_syn(attr, &item_fn, &mut errors));
    valid::check_function(&item_fn, &mut errors);
    if let Some(route) = &route {
        valid::check(route, &mut errors);
    }
    match (route, errors.into_result()) {
        (Some(route), Ok(())) => expand::route(&route, item),
        (_, Err(err)) => fallback::with_errors(item, err),
        (None, Ok(())) => unreachable!("a route that failed to parse left an error"),
    }
}

/// Every error of one attribute, reported together (`syn::Error::combine`).
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn error(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn spanned(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn into_result(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use routemark_path::Method;

    fn expand(attr: &str) -> String {
        let item = "fn handler() {}".parse().unwrap();
        super::expand(attr.parse().unwrap(), item).to_string()
    }

    #[test]
    fn no_option_emits_the_default_options_untouched() {
        let out = expand(r#"GET "/a""#);
        assert!(
            out.contains("options : & :: routemark :: __private :: NO_OPTIONS ,"),
            "{out}"
        );
    }

    #[test]
    fn options_are_set_by_name_over_the_default() {
        let out = expand(r#"POST "/a", tags = ["admin", "internal"], body_limit = 1024"#);
        let options = "options : & :: routemark :: __private :: OptionsDecl { \
            body_limit : :: core :: option :: Option :: Some (1024) , \
            tags : & [\"admin\" , \"internal\"] , \
            .. :: routemark :: __private :: OptionsDecl :: DEFAULT }";
        assert!(out.contains(options), "{out}");
    }

    #[test]
    fn a_tenant_alone_is_one_call_and_with_other_options_a_field() {
        let out = expand(r#"GET "/a", tenant = "acme""#);
        assert!(
            out.contains(
                "options : & :: routemark :: __private :: OptionsDecl :: tenant (\"acme\") ,"
            ),
            "{out}"
        );
        assert!(out.contains("duplicate_route_tenant_acme_GET_a"), "{out}");
        let out = expand(r#"GET "/a", tenant = "acme", body_limit = 1"#);
        assert!(
            out.contains("tenant : :: core :: option :: Option :: Some (\"acme\") ,"),
            "{out}"
        );
    }

    #[test]
    fn resilience_options_are_emitted_in_milliseconds_over_the_defaults() {
        let out = expand(
            r#"GET "/a", timeout = "1m", concurrency = 8, breaker(min_requests = 5, open_for = "250ms")"#,
        );
        for expected in [
            "timeout : :: core :: option :: Option :: Some (:: routemark :: __private :: Duration :: from_millis (60000)) ,",
            "concurrency : :: core :: option :: Option :: Some (8) ,",
            "breaker : :: core :: option :: Option :: Some (:: routemark :: __private :: BreakerConfig :: DEFAULT . __min_requests (5) . __open_for (:: routemark :: __private :: Duration :: from_millis (250))) ,",
        ] {
            assert!(out.contains(expected), "{expected}\nnot in\n{out}");
        }
        assert!(!out.contains("fallback :"), "{out}");
    }

    #[test]
    fn a_fallback_is_called_with_the_handler_argument_types_in_order() {
        let item = "fn handler(id: u64, method: Method) {}".parse().unwrap();
        let attr = r#"GET "/a/<id>", breaker, fallback = cached"#.parse().unwrap();
        let out = super::expand(attr, item).to_string();
        let call = ":: routemark :: __private :: fallback :: < (:: routemark :: __private :: PathParam < u64 > , :: routemark :: __private :: Extract < Method > ,) , _ , _ > (__routemark_parts , & [(0 , \"id\") , :: routemark :: __private :: EXTRACTOR] , cached)";
        assert!(out.contains(call), "{out}");
    }

    #[test]
    fn only_a_route_with_a_borrowed_parameter_gets_a_shim_of_its_own() {
        let expand = |attr: &str, item: &str| {
            super::expand(attr.parse().unwrap(), item.parse().unwrap()).to_string()
        };
        let owned = expand(
            r#"GET "/a/<id>?<q>""#,
            "async fn h(id: String, q: Option<u8>) {}",
        );
        assert!(owned.contains("__private :: call3 ::"), "{owned}");
        assert!(!owned.contains("__private :: shim"), "{owned}");
        // An extractor: `callN`, `fn` or not.
        let extractor = expand(r#"GET "/a/<id>""#, "fn h(id: &str, m: Method) {}");
        assert!(
            extractor.contains("__private :: shim (async move"),
            "{extractor}"
        );
        assert!(!extractor.contains("answer_now"), "{extractor}");
        let borrowed = expand(
            r#"GET "/a/<id>?<q>&<r>""#,
            "async fn h(id: &str, q: Option<&str>, r: Cow<'_, str>, m: Method) {}",
        );
        assert!(!borrowed.contains("call"), "{borrowed}");
        assert!(
            borrowed.contains("__private :: shim (async move"),
            "{borrowed}"
        );
        // Borrowed parameters only: the block owns the request's target, not the request.
        let only_borrowed = expand(
            r#"GET "/a/<id>?<q>&<r>""#,
            "async fn h(id: &str, q: Option<&str>, r: Cow<'_, str>) {}",
        );
        for expected in [
            "let :: core :: option :: Option :: Some (__routemark_target) = :: routemark :: __private :: target_of (__routemark_parts) else",
            "return :: routemark :: __private :: declared_params_only () ;",
            "__routemark_target . path_str (0 , \"id\")",
            "__routemark_target . query_str_opt (\"q\")",
            "__routemark_target . query_str (\"r\" , \"Cow<str>\")",
        ] {
            assert!(
                only_borrowed.contains(expected),
                "{expected}\nnot in\n{only_borrowed}"
            );
        }
        assert!(
            !only_borrowed.contains("borrowed_target"),
            "{only_borrowed}"
        );
        for expected in [
            ":: routemark :: __private :: path_str (& __routemark_target , & __routemark_parts , 0 , \"id\")",
            ":: routemark :: __private :: query_str_opt (& __routemark_target , \"q\")",
            ":: routemark :: __private :: query_str (& __routemark_target , \"r\" , \"Cow<str>\")",
            "h (& * __routemark_arg0 , __routemark_arg1 . as_deref () , __routemark_arg2 , __routemark_arg3) . await",
        ] {
            assert!(
                borrowed.contains(expected),
                "{expected}\nnot in\n{borrowed}"
            );
        }
    }

    #[test]
    fn a_fn_handler_of_parameters_only_answers_in_its_shim() {
        let expand = |attr: &str, item: &str| {
            super::expand(attr.parse().unwrap(), item.parse().unwrap()).to_string()
        };
        let out = expand(
            r#"GET "/a/<id>/<name>?<q>&<r>&<s>""#,
            "fn h(id: u64, name: &str, q: Option<u8>, r: String, s: Option<&str>) {}",
        );
        for expected in [
            "(__routemark_parts : :: routemark :: __private :: RequestParts ,",
            "if __routemark_parts . route () . is_none () { return :: routemark :: __private :: declared_params_only () ; }",
            ":: routemark :: __private :: answer_now (|| { let __routemark_target = __routemark_parts . uri () ;",
            ":: routemark :: __private :: path_param :: < u64 > (& __routemark_parts , 0 , \"id\")",
            ":: routemark :: __private :: path_str (& __routemark_target , & __routemark_parts , 1 , \"name\")",
            ":: routemark :: __private :: query_param_opt :: < u8 > (& __routemark_parts , \"q\")",
            ":: routemark :: __private :: query_param :: < String > (& __routemark_parts , \"r\")",
            ":: routemark :: __private :: query_str_opt (& __routemark_target , \"s\")",
            ":: routemark :: __private :: respond :: < () > (h (__routemark_arg0 , & * __routemark_arg1 , __routemark_arg2 , __routemark_arg3 , __routemark_arg4 . as_deref ())) })",
        ] {
            assert!(out.contains(expected), "{expected}\nnot in\n{out}");
        }
        assert!(!out.contains("async move"), "{out}");
        assert!(!out.contains("call"), "{out}");
        // Owned parameters only (or none): the generic `nowN`, called as `callN` is.
        let owned = expand(r#"GET "/a/<id>?<q>""#, "fn h(id: u64, q: Option<u8>) {}");
        let call = ":: routemark :: __private :: now2 :: < :: routemark :: __private :: PathParam < u64 > , :: routemark :: __private :: QueryParamOpt < u8 > , () , _ > (__routemark_parts , __routemark_body , & [(0 , \"id\") , (0 , \"q\") ,] , | __routemark_arg0 , __routemark_arg1 , | h (__routemark_arg0 . 0 , __routemark_arg1 . 0) ,)";
        assert!(owned.contains(call), "{call}\nnot in\n{owned}");
        let none = expand(r#"GET "/a""#, "fn h() -> &'static str { \"\" }");
        assert!(
            none.contains(":: routemark :: __private :: now0 ::"),
            "{none}"
        );
    }

    #[test]
    fn one_method_is_the_runtime_constant_and_several_a_chain() {
        for method in Method::ALL {
            let out = expand(&format!(r#"{method} "/a""#));
            let only = format!(
                "methods : :: routemark :: __private :: ONLY_{} ,",
                method.as_str()
            );
            assert!(out.contains(&only), "{out}");
        }
        let out = expand(r#"GET | POST "/a""#);
        let chain = "methods : :: routemark :: __private :: MethodSet :: EMPTY \
            . with (:: routemark :: __private :: Method :: Get) \
            . with (:: routemark :: __private :: Method :: Post) ,";
        assert!(out.contains(chain), "{out}");
    }

    #[test]
    fn the_shim_is_named_after_the_handler_without_attributes() {
        let out = expand(r#"GET "/a""#);
        assert!(out.contains("} fn __routemark_shim_handler ("), "{out}");
        let item = "fn getUser() {}".parse().unwrap();
        let out = super::expand(r#"GET "/a""#.parse().unwrap(), item).to_string();
        assert!(out.contains("} fn __routemark_shim_getUser ("), "{out}");
    }
}
