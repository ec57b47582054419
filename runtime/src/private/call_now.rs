//! `now0` to `now8`: the shims of `fn` handlers (not `async`) whose arguments are all owned
//! path and query parameters. Such a handler cannot wait, so the shim extracts the
//! parameters, calls it and returns its answer at once ([`answer_now`]), with no future to
//! allocate. Written out, one per arity, as `call_n.rs` is, so that the note of a bound a
//! handler fails shows this function's signature; and called as `callN` is (the argument
//! types spelled out, a closure calling the handler), so that `cargo check` pays one call and
//! one closure per route, not a body of its own (bench/notes/2026-12-06-sync-handlers.md).
//! A handler of more parameters, or of a borrowed one, gets the route's own shim.

// A failed extraction hands its `Response` back in `Err`, moved once per failed request.
#![allow(clippy::result_large_err)]

use super::borrowed::answer_now;
use super::call::{
    ArgSpec, HandlerReturn, PathParam, QueryParam, QueryParamOpt, declared_params_only,
};
use super::{path_param, query_param, query_param_opt};
use crate::extract::FromParam;
use crate::route::HandlerFuture;
use crate::{Body, RequestParts, Response};

/// A parameter extracted at once, from the request head.
pub trait ParamArg: Sized {
    fn extract_now(parts: &RequestParts, spec: &'static ArgSpec) -> Result<Self, Response>;
}

impl<T: FromParam + 'static> ParamArg for PathParam<T> {
    #[inline(always)]
    fn extract_now(parts: &RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        path_param(parts, spec.0, spec.1).map(PathParam)
    }
}

impl<T: FromParam> ParamArg for QueryParam<T> {
    #[inline(always)]
    fn extract_now(parts: &RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param(parts, spec.1).map(QueryParam)
    }
}

impl<T: FromParam> ParamArg for QueryParamOpt<T> {
    #[inline(always)]
    fn extract_now(parts: &RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param_opt(parts, spec.1).map(QueryParamOpt)
    }
}

/// Passes the request's header map on to the next response (`spare_headers.rs`), once the
/// handler answered: its parameters may borrow the request until then. Called where a
/// request's last use is known: the `nowN`, the shims `#[route]` writes for `fn` handlers
/// of borrowed parameters, `call0`, and the last argument of `callN` when it reads no body.
#[inline(always)]
pub fn keep_headers(parts: RequestParts) {
    crate::spare_headers::keep(parts.head.headers);
}

/// The most parameters a `nowN` takes.
pub const NOW_MAX: usize = 8;

/// A `fn` handler without arguments.
pub fn now0<Ret, F>(
    parts: RequestParts,
    _: Body,
    _: &'static [ArgSpec; 0],
    handler: F,
) -> HandlerFuture
where
    Ret: HandlerReturn,
    F: FnOnce() -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    // Nothing borrows the request: its map can serve this very answer.
    keep_headers(parts);
    answer_now(|| handler().into_response())
}

/// A `fn` handler of 1 parameter.
pub fn now1<A1, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 1],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 2 parameters.
pub fn now2<A1, A2, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 2],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 3 parameters.
pub fn now3<A1, A2, A3, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 3],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 4 parameters.
pub fn now4<A1, A2, A3, A4, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 4],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    A4: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3, A4) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3, spec4] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a4 = match A4::extract_now(&parts, spec4) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3, a4).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 5 parameters.
pub fn now5<A1, A2, A3, A4, A5, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 5],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    A4: ParamArg,
    A5: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3, A4, A5) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3, spec4, spec5] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a4 = match A4::extract_now(&parts, spec4) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a5 = match A5::extract_now(&parts, spec5) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3, a4, a5).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 6 parameters.
pub fn now6<A1, A2, A3, A4, A5, A6, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 6],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    A4: ParamArg,
    A5: ParamArg,
    A6: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3, A4, A5, A6) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3, spec4, spec5, spec6] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a4 = match A4::extract_now(&parts, spec4) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a5 = match A5::extract_now(&parts, spec5) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a6 = match A6::extract_now(&parts, spec6) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3, a4, a5, a6).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 7 parameters.
pub fn now7<A1, A2, A3, A4, A5, A6, A7, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 7],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    A4: ParamArg,
    A5: ParamArg,
    A6: ParamArg,
    A7: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3, A4, A5, A6, A7) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3, spec4, spec5, spec6, spec7] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a4 = match A4::extract_now(&parts, spec4) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a5 = match A5::extract_now(&parts, spec5) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a6 = match A6::extract_now(&parts, spec6) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a7 = match A7::extract_now(&parts, spec7) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3, a4, a5, a6, a7).into_response()
    });
    keep_headers(parts);
    answer
}

/// A `fn` handler of 8 parameters.
pub fn now8<A1, A2, A3, A4, A5, A6, A7, A8, Ret, F>(
    parts: RequestParts,
    _: Body,
    specs: &'static [ArgSpec; 8],
    handler: F,
) -> HandlerFuture
where
    A1: ParamArg,
    A2: ParamArg,
    A3: ParamArg,
    A4: ParamArg,
    A5: ParamArg,
    A6: ParamArg,
    A7: ParamArg,
    A8: ParamArg,
    Ret: HandlerReturn,
    F: FnOnce(A1, A2, A3, A4, A5, A6, A7, A8) -> Ret,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    let [spec1, spec2, spec3, spec4, spec5, spec6, spec7, spec8] = specs;
    let answer = answer_now(|| {
        let a1 = match A1::extract_now(&parts, spec1) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a2 = match A2::extract_now(&parts, spec2) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a3 = match A3::extract_now(&parts, spec3) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a4 = match A4::extract_now(&parts, spec4) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a5 = match A5::extract_now(&parts, spec5) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a6 = match A6::extract_now(&parts, spec6) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a7 = match A7::extract_now(&parts, spec7) {
            Ok(value) => value,
            Err(response) => return response,
        };
        let a8 = match A8::extract_now(&parts, spec8) {
            Ok(value) => value,
            Err(response) => return response,
        };
        handler(a1, a2, a3, a4, a5, a6, a7, a8).into_response()
    });
    keep_headers(parts);
    answer
}
