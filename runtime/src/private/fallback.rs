//! How a route's `fallback = f` is called: [`Fallback`], implemented for functions of no
//! arguments and for functions of the handler's own arguments, `async` or not.
//!
//! A macro cannot see another function's signature, so `#[route]` passes `f` to [`fallback`]
//! with the handler's argument types (wrapped as for `callN`, in the handler's order) and
//! rustc checks the bound: a function of other arguments is an error at `f`, worded by
//! `#[diagnostic::on_unimplemented]`.

use std::future::Future;
use std::marker::PhantomData;

use super::call::{ArgSpec, Extract, PathParam, QueryParam, QueryParamOpt, Unwrapped};
use super::{path_param, query_param, query_param_opt};
use crate::extract::FromParam;
use crate::extract::marker::{HeadPosition, ViaParts};
use crate::response::IntoResponse;
use crate::route::HandlerFuture;
use crate::{FromRequest, FromRequestParts, RequestParts, Response};

/// Marker of a fallback that is not `async`.
#[derive(Debug)]
pub struct Plain;
/// Marker of an `async` fallback.
#[derive(Debug)]
pub struct Async;
/// Marker of a fallback of the handler's arguments, with the markers of their extractors.
#[derive(Debug)]
pub struct WithArgs<Kind, Markers>(PhantomData<(Kind, Markers)>);

/// A function that can answer for a route when its breaker is open, when it sheds a
/// request, or when its handler times out. `Args` are the handler's argument types, `M` a
/// marker inferred by the compiler.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be this route's fallback",
    label = "expected a function of no arguments, or of the handler's arguments in the same order and types, that returns a response",
    note = "a fallback is a plain function, `async` or not, whose return type implements `IntoResponse` and which takes no arguments or the handler's own arguments (none of them reading the body)"
)]
pub trait Fallback<Args, M>: Send + 'static {
    /// Extracts the arguments the fallback takes from the request head, calls it and
    /// converts its answer.
    fn answer(self, parts: RequestParts, specs: &'static [ArgSpec]) -> HandlerFuture;
}

/// The fallback entry point `#[route]` generates: `Args` spelled out, `f` at the user's
/// token, where a function of the wrong arguments is reported.
pub fn fallback<Args, M, F: Fallback<Args, M>>(
    parts: RequestParts,
    specs: &'static [ArgSpec],
    f: F,
) -> HandlerFuture {
    f.answer(parts, specs)
}

impl<F, R, Args> Fallback<Args, Plain> for F
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoResponse,
{
    fn answer(self, _: RequestParts, _: &'static [ArgSpec]) -> HandlerFuture {
        // Called when polled, so that a panic is caught with the handler's.
        HandlerFuture::new(async move { self().into_response() })
    }
}

impl<F, Fut, Args> Fallback<Args, Async> for F
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoResponse,
{
    fn answer(self, _: RequestParts, _: &'static [ArgSpec]) -> HandlerFuture {
        HandlerFuture::new(async move { self().await.into_response() })
    }
}

/// An argument a fallback can take: a parameter, or an extractor of the request head. Not
/// `HeadArg`, whose failure on a body extractor is worded for handlers.
pub trait FallbackArg<M>: Sized {
    /// Extracts the argument.
    fn extract(
        parts: &mut RequestParts,
        spec: &'static ArgSpec,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

impl<T: FromParam + 'static> FallbackArg<ViaParts> for PathParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        path_param(parts, spec.0, spec.1).map(PathParam)
    }
}

impl<T: FromParam> FallbackArg<ViaParts> for QueryParam<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param(parts, spec.1).map(QueryParam)
    }
}

impl<T: FromParam> FallbackArg<ViaParts> for QueryParamOpt<T> {
    async fn extract(parts: &mut RequestParts, spec: &'static ArgSpec) -> Result<Self, Response> {
        query_param_opt(parts, spec.1).map(QueryParamOpt)
    }
}

impl<T, M> FallbackArg<M> for Extract<T>
where
    T: FromRequest<M>,
    M: FallbackPosition<T>,
{
    async fn extract(parts: &mut RequestParts, _: &'static ArgSpec) -> Result<Self, Response> {
        M::extract(parts).await.map(Extract)
    }
}

/// Implemented by the marker of extractors a fallback may take: those of the request head.
#[diagnostic::on_unimplemented(
    message = "a fallback cannot take `{T}`: it reads the request body",
    label = "the fallback's arguments include `{T}`, which reads the body",
    note = "a fallback takes no arguments, or the handler's own arguments without a body argument, since the handler may have read the body already; give the fallback no arguments, or leave the body argument out of both"
)]
pub trait FallbackPosition<T> {
    /// Extracts `T` from the head.
    fn extract(parts: &mut RequestParts) -> impl Future<Output = Result<T, Response>> + Send;
}

impl<T: FromRequestParts> FallbackPosition<T> for ViaParts {
    fn extract(parts: &mut RequestParts) -> impl Future<Output = Result<T, Response>> + Send {
        <ViaParts as HeadPosition<T>>::extract(parts)
    }
}

/// The spec of the `index`-th argument (the macro writes one per argument).
fn spec(specs: &'static [ArgSpec], index: usize) -> &'static ArgSpec {
    specs.get(index).unwrap_or(&super::call::EXTRACTOR)
}

macro_rules! fallback_impls {
    ($([$($arg:ident $marker:ident $index:literal),*];)*) => {$(
        impl<F, R, $($arg, $marker,)*> Fallback<($($arg,)*), WithArgs<Plain, ($($marker,)*)>> for F
        where
            F: FnOnce($($arg::Inner),*) -> R + Send + 'static,
            R: IntoResponse,
            $($arg: FallbackArg<$marker> + Unwrapped + Send + 'static,)*
            $($arg::Inner: Send,)*
        {
            #[allow(non_snake_case)]
            fn answer(self, mut parts: RequestParts, specs: &'static [ArgSpec]) -> HandlerFuture {
                HandlerFuture::new(async move {
                    $(
                        let $arg = match <$arg as FallbackArg<$marker>>::extract(&mut parts, spec(specs, $index)).await {
                            Ok(value) => value.into_inner(),
                            Err(response) => return response,
                        };
                    )*
                    self($($arg),*).into_response()
                })
            }
        }

        impl<F, Fut, $($arg, $marker,)*> Fallback<($($arg,)*), WithArgs<Async, ($($marker,)*)>> for F
        where
            F: FnOnce($($arg::Inner),*) -> Fut + Send + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: IntoResponse,
            $($arg: FallbackArg<$marker> + Unwrapped + Send + 'static,)*
            $($arg::Inner: Send,)*
        {
            #[allow(non_snake_case)]
            fn answer(self, mut parts: RequestParts, specs: &'static [ArgSpec]) -> HandlerFuture {
                HandlerFuture::new(async move {
                    $(
                        let $arg = match <$arg as FallbackArg<$marker>>::extract(&mut parts, spec(specs, $index)).await {
                            Ok(value) => value.into_inner(),
                            Err(response) => return response,
                        };
                    )*
                    self($($arg),*).await.into_response()
                })
            }
        }
    )*};
}

fallback_impls! {
    [A1 M1 0];
    [A1 M1 0, A2 M2 1];
    [A1 M1 0, A2 M2 1, A3 M3 2];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10, A12 M12 11];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10, A12 M12 11, A13 M13 12];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10, A12 M12 11, A13 M13 12, A14 M14 13];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10, A12 M12 11, A13 M13 12, A14 M14 13, A15 M15 14];
    [A1 M1 0, A2 M2 1, A3 M3 2, A4 M4 3, A5 M5 4, A6 M6 5, A7 M7 6, A8 M8 7, A9 M9 8, A10 M10 9, A11 M11 10, A12 M12 11, A13 M13 12, A14 M14 13, A15 M15 14, A16 M16 15];
}
