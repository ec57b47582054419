//! How a route's shim calls its handler: one generic function per arity.
//!
//! The macro emits, per route, a capture-free closure that calls `callN` with the argument
//! types spelled out, and an inner closure that calls the handler in argument order; the
//! extraction itself, an `async` state machine, lives here, written once per arity and
//! type-checked once for the whole program. A concrete `async` block per route made
//! `cargo check` of a crate grow by the cost of one state machine per handler
//! (bench/README.md, section 3).
//!
//! Each argument is wrapped by what the macro bound it to: [`PathParam`], [`QueryParam`],
//! [`QueryParamOpt`] or [`Extract`]. The wrappers carry no data but the value; where a
//! parameter's value comes from is in the route's [`ArgSpec`] array, in extraction order.
//! Every argument but the last is a [`HeadArg`]: it cannot read the body. The last is a
//! [`LastArg`], which may; when the handler's last argument is not an extractor (a handler
//! of parameters only, say), the macro passes [`NoBody`] last, so a handler of 16 arguments
//! is called through `call17`.

// A failed extraction hands its `Response` back in `Err`, moved once per failed request.
#![allow(clippy::result_large_err)]

use std::future::Future;

use super::{path_param, query_param, query_param_opt};
use crate::extract::FromParam;
use crate::extract::marker::{HeadPosition, ViaParts};
use crate::response::IntoResponse;
use crate::route::HandlerFuture;
use crate::{Body, FromRequest, RequestParts, Response};

/// What the macro knows of one argument besides its type: the parameter it binds (the
/// index among the path's parameters and the name, for path parameters; the name, for
/// query parameters). Extractors ignore it.
#[derive(Debug)]
pub struct ArgSpec {
    /// The index of a path parameter among the template's parameters.
    pub index: usize,
    /// The parameter's name, for error messages.
    pub name: &'static str,
}

impl ArgSpec {
    /// The spec of an extractor argument (and of the [`NoBody`] placeholder).
    pub const EXTRACTOR: ArgSpec = ArgSpec { index: 0, name: "" };
}

/// An argument bound to the `<param>` of the same name.
#[derive(Debug)]
pub struct PathParam<T>(pub T);
/// An argument bound to a query parameter of the template.
#[derive(Debug)]
pub struct QueryParam<T>(pub T);
/// An `Option<T>` argument bound to a query parameter of the template.
#[derive(Debug)]
pub struct QueryParamOpt<T>(pub Option<T>);
/// An extractor argument, found by its type.
#[derive(Debug)]
pub struct Extract<T>(pub T);

/// A wrapper's value, as the handler (or its fallback) receives it.
pub trait Unwrapped {
    /// The argument's own type.
    type Inner;
    /// The value.
    fn into_inner(self) -> Self::Inner;
}

macro_rules! unwrapped {
    ($($wrapper:ident => $inner:ty;)*) => {$(
        impl<T> Unwrapped for $wrapper<T> {
            type Inner = $inner;
            fn into_inner(self) -> $inner {
                self.0
            }
        }
    )*};
}

unwrapped! {
    PathParam => T;
    QueryParam => T;
    QueryParamOpt => Option<T>;
    Extract => T;
}

/// An argument extracted from the request head. `M` is the marker of the extractor's
/// [`FromRequest`] impl, inferred.
pub trait HeadArg<M>: Sized {
    fn extract(
        parts: &mut RequestParts,
        spec: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

/// The last argument, which may read the body.
pub trait LastArg<M>: Sized {
    fn extract(
        parts: RequestParts,
        body: Body,
        spec: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

impl<T: FromParam> HeadArg<ViaParts> for PathParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        path_param(parts, spec.index, spec.name).map(PathParam)
    }
}

impl<T: FromParam> HeadArg<ViaParts> for QueryParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param(parts, spec.name).map(QueryParam)
    }
}

impl<T: FromParam> HeadArg<ViaParts> for QueryParamOpt<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param_opt(parts, spec.name).map(QueryParamOpt)
    }
}

impl<T, M> HeadArg<M> for Extract<T>
where
    T: FromRequest<M>,
    M: HeadPosition<T>,
{
    async fn extract(parts: &mut RequestParts, _: &'static ArgSpec) -> Result<Self, Response> {
        M::extract(parts).await.map(Extract)
    }
}

impl<T: FromRequest<M>, M> LastArg<M> for Extract<T> {
    async fn extract(
        parts: RequestParts,
        body: Body,
        _: &'static ArgSpec,
    ) -> Result<Self, Response> {
        T::from_request(parts, body)
            .await
            .map(Extract)
            .map_err(IntoResponse::into_response)
    }
}

/// Stands last when the handler's last argument is not an extractor, so that every real
/// argument is a [`HeadArg`]: none may read the body, and each borrows the request instead of
/// taking it (a future that owns the request is one more copy of it in the handler's future).
#[derive(Debug)]
pub struct NoBody;

impl LastArg<ViaParts> for NoBody {
    fn extract(
        _: RequestParts,
        _: Body,
        _: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send {
        std::future::ready(Ok(NoBody))
    }
}

/// A handler without arguments.
pub fn call0<Ret, F, Fut>(
    _: RequestParts,
    _: Body,
    _: &'static [ArgSpec; 0],
    handler: F,
) -> HandlerFuture
where
    Ret: IntoResponse,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Ret> + Send + 'static,
{
    // The handler runs when the future is first polled, like every other, so that a panic
    // of a handler that is not `async` is caught with the others.
    Box::pin(async move { handler().await.into_response() })
}

/// `callN`: extracts the N arguments in order (all but the last from the head), then calls
/// the handler and converts its output, of type `Ret`. The macro names each argument type and
/// `Ret` in the call, spanned at the user's types, and the return type names none of the
/// generic parameters, so a bound that fails is reported once, at the user's type. (A
/// handler that is not `async` is called through a closure that returns `future::ready`.)
macro_rules! call_fns {
    ($($name:ident($arity:literal): [$($head:ident $head_marker:ident $head_spec:ident),*];)*) => {$(
        #[allow(non_snake_case, unused_mut)]
        pub fn $name<$($head,)* Last, Ret, $($head_marker,)* LastMarker, F, Fut>(
            mut parts: RequestParts,
            body: Body,
            specs: &'static [ArgSpec; $arity],
            handler: F,
        ) -> HandlerFuture
        where
            $($head: HeadArg<$head_marker> + Send + 'static,)*
            Last: LastArg<LastMarker> + Send + 'static,
            Ret: IntoResponse,
            F: FnOnce($($head,)* Last) -> Fut + Send + 'static,
            Fut: Future<Output = Ret> + Send + 'static,
        {
            let [$($head_spec,)* last_spec] = specs;
            Box::pin(async move {
                $(
                    let $head_spec = match $head::extract(&mut parts, $head_spec).await {
                        Ok(value) => value,
                        Err(response) => return response,
                    };
                )*
                let last = match Last::extract(parts, body, last_spec).await {
                    Ok(value) => value,
                    Err(response) => return response,
                };
                handler($($head_spec,)* last).await.into_response()
            })
        }
    )*};
}

call_fns! {
    call1(1): [];
    call2(2): [A1 M1 a1];
    call3(3): [A1 M1 a1, A2 M2 a2];
    call4(4): [A1 M1 a1, A2 M2 a2, A3 M3 a3];
    call5(5): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4];
    call6(6): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5];
    call7(7): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6];
    call8(8): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7];
    call9(9): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8];
    call10(10): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9];
    call11(11): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10];
    call12(12): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11];
    call13(13): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11, A12 M12 a12];
    call14(14): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11, A12 M12 a12, A13 M13 a13];
    call15(15): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11, A12 M12 a12, A13 M13 a13, A14 M14 a14];
    call16(16): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11, A12 M12 a12, A13 M13 a13, A14 M14 a14, A15 M15 a15];
    call17(17): [A1 M1 a1, A2 M2 a2, A3 M3 a3, A4 M4 a4, A5 M5 a5, A6 M6 a6, A7 M7 a7, A8 M8 a8,
        A9 M9 a9, A10 M10 a10, A11 M11 a11, A12 M12 a12, A13 M13 a13, A14 M14 a14, A15 M15 a15,
        A16 M16 a16];
}
