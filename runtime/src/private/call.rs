//! How a route's shim calls its handler: one generic function per arity.
//!
//! The macro emits, per route, a shim (a `fn` item) that calls `callN` with the argument
//! types spelled out, and a closure that calls the handler in argument order; the
//! extraction itself, an `async` state machine, lives in `call_n.rs`, written once per arity
//! and type-checked once for the whole program. A concrete `async` block per route made
//! `cargo check` of a crate grow by the cost of one state machine per handler
//! (bench/notes/2026-12-02-compile-time.md).
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
use crate::route::{DeclaredState, HandlerFuture, StateRequirement};
use crate::{Body, FromRequest, RequestParts, Response};

/// What the macro knows of one argument besides its type: the parameter it binds, as
/// `(index, name)`: the index among the path's parameters and the name, for path
/// parameters; the name, for query parameters. Extractors ignore it. A tuple rather than a
/// struct: the macro writes one per argument of every route, and `(0, "id")` is fewer tokens
/// for rustc to parse and check than a struct literal with its path
/// (bench/notes/2026-12-06-compile-time-descriptor.md).
pub type ArgSpec = (usize, &'static str);

/// The spec of an extractor argument (and of the [`NoBody`] placeholder).
pub const EXTRACTOR: ArgSpec = (0, "");

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
    /// The state the argument's extractor declares.
    const STATE: &'static [StateRequirement] = &[];

    fn extract(
        parts: &mut RequestParts,
        spec: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

/// The last argument, which may read the body.
pub trait LastArg<M>: Sized {
    /// The state the argument's extractor declares.
    const STATE: &'static [StateRequirement] = &[];

    fn extract(
        parts: RequestParts,
        body: Body,
        spec: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

impl<T: FromParam + 'static> HeadArg<ViaParts> for PathParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        path_param(parts, spec.0, spec.1).map(PathParam)
    }
}

impl<T: FromParam> HeadArg<ViaParts> for QueryParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param(parts, spec.1).map(QueryParam)
    }
}

impl<T: FromParam> HeadArg<ViaParts> for QueryParamOpt<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param_opt(parts, spec.1).map(QueryParamOpt)
    }
}

impl<T, M> HeadArg<M> for Extract<T>
where
    T: FromRequest<M>,
    M: HeadPosition<T>,
{
    const STATE: &'static [StateRequirement] = T::STATE;

    async fn extract(parts: &mut RequestParts, _: &'static ArgSpec) -> Result<Self, Response> {
        M::extract(parts).await.map(Extract)
    }
}

impl<T: FromRequest<M>, M> LastArg<M> for Extract<T> {
    const STATE: &'static [StateRequirement] = T::STATE;

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

/// A handler's return type: an [`IntoResponse`] type, worded for the return type. The
/// bound on `Ret` is this trait rather than `IntoResponse` itself, whose message is also what
/// an extractor's `type Rejection` that is not a response gets.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a response: a handler must return a type that implements `IntoResponse`",
    label = "this return type does not implement `routemark::IntoResponse`",
    note = "return `String`, `&'static str`, `Json<T>`, `StatusCode`, `(StatusCode, T)`, `Result<T, E>` with both sides `IntoResponse`, `http::Response<_>` or `()`, or implement `IntoResponse` for your type"
)]
pub trait HandlerReturn: IntoResponse {}

// Not recommended: rustc then reports the handler's return type against `HandlerReturn`,
// with the wording above, rather than the `IntoResponse` bound of this impl.
#[diagnostic::do_not_recommend]
impl<T: IntoResponse> HandlerReturn for T {}

/// Stands last when the handler's last argument is not an extractor, so that every real
/// argument is a [`HeadArg`]: none may read the body, and each borrows the request instead of
/// taking it (a future that owns the request is one more copy of it in the handler's future).
#[derive(Debug)]
pub struct NoBody;

impl LastArg<ViaParts> for NoBody {
    fn extract(
        parts: RequestParts,
        _: Body,
        _: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send {
        // The last use of the request: its header map goes to the next response.
        super::keep_headers(parts);
        std::future::ready(Ok(NoBody))
    }
}

/// A handler without arguments.
pub fn call0<Ret, F, Fut>(
    parts: RequestParts,
    _: Body,
    _: &'static [ArgSpec; 0],
    handler: F,
) -> HandlerFuture
where
    Ret: HandlerReturn,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Ret> + Send + 'static,
{
    if parts.route().is_none() {
        return declared_params_only();
    }
    // Nothing reads the request: its header map can serve the answer.
    super::keep_headers(parts);
    // The handler runs when the future is first polled, like every other, so that a panic
    // of a handler that is not `async` is caught with the others.
    HandlerFuture::new(async move { handler().await.into_response() })
}

/// [`declared`] for a shim that runs no extractor, only path and query parameters (or
/// nothing): it reads no state, so its requests are given none (`Route::reads_state`), and
/// spared the state's reference count (two atomic read-modify-writes per request).
#[cold]
pub fn declared_params_only() -> HandlerFuture {
    HandlerFuture::params_only()
}

/// The answer to a probe (a request without route, from `Route::state`): the state the
/// arguments' extractors declare, in the response extensions. Nothing is extracted or run.
#[cold]
pub fn declared(states: &[&'static [StateRequirement]]) -> HandlerFuture {
    let mut response = Response::new(Body::empty());
    let needs = states.iter().flat_map(|s| s.iter().copied()).collect();
    response.extensions_mut().insert(DeclaredState(needs));
    HandlerFuture::ready(response)
}
