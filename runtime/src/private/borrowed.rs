//! What the shim of a route with borrowed parameters (`id: &str`, `q: Cow<'_, str>`,
//! `page: Option<&str>`) calls.
//!
//! A generic `callN` cannot call such a handler: its future borrows the arguments, which
//! needs a higher-ranked bound on the future that stable Rust cannot state with `Send`. So
//! `#[route]` emits the route's own `async` block instead, which owns the request and
//! extracts the arguments in order: extractors and owned parameters through [`head`] and
//! [`last`] ([`HeadArg`](super::HeadArg) and [`LastArg`](super::LastArg), as `callN`),
//! borrowed parameters through [`path_str`], [`query_str`] and [`query_str_opt`]. These borrow a clone of the request's `Uri` ([`borrowed_target`]) that
//! the block owns, not the `RequestParts`, which later extractors take by `&mut` or by
//! value. Only such routes pay for a state machine of their own.

// A failed extraction hands its `Response` back in `Err`, moved once per failed request.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;

use http::Uri;
use http::uri::PathAndQuery;

use super::call::{ArgSpec, HandlerReturn, HeadArg, LastArg};
use super::find_query;
use crate::extract::decode_param;
use crate::response::{HttpError, IntoResponse};
use crate::route::{HandlerFuture, StateRequirement};
use crate::router::ParamRanges;
use crate::{Body, RequestParts, Response};

/// The text borrowed parameters point into: the request's `Uri`, cloned. Its parts are
/// reference-counted, so the clone copies no text, and a parameter that needs no decoding
/// is a slice of the request line as received.
pub fn borrowed_target(parts: &RequestParts) -> Uri {
    parts.uri().clone()
}

/// The `index`-th path parameter of `parts`, in `target` (its `Uri`), percent-decoded:
/// borrowed when it has no `%`, else decoded into a buffer of its own. The same `400` as
/// [`path_param`](super::path_param) when it does not decode.
#[inline(always)]
pub fn path_str<'t>(
    target: &'t Uri,
    parts: &RequestParts,
    index: usize,
    name: &'static str,
) -> Result<Cow<'t, str>, Response> {
    decode_path_param(target.path(), &parts.params, index, name)
}

/// Inlined into the shims: a parameter without `%`, nearly every one, is borrowed there
/// without a call.
#[inline(always)]
fn decode_path_param<'t>(
    path: &'t str,
    params: &ParamRanges,
    index: usize,
    name: &'static str,
) -> Result<Cow<'t, str>, Response> {
    let raw = params
        .get(index)
        .and_then(|range| path.get(range))
        .unwrap_or_default();
    if raw.len() <= 32 && !raw.bytes().any(|b| b == b'%') {
        return Ok(Cow::Borrowed(raw));
    }
    decode_escaped_path_param(raw, name)
}

/// [`decode_path_param`] for a long or escaped value.
#[inline(never)]
fn decode_escaped_path_param<'t>(
    raw: &'t str,
    name: &'static str,
) -> Result<Cow<'t, str>, Response> {
    decode_param(raw)
        .map_err(|e| HttpError::bad_request(format!("path parameter `{name}` {e}")).into_response())
}

/// All a route whose every argument is a borrowed parameter keeps of its request: the
/// target, moved out of the request rather than cloned, and where the path parameters are.
/// The rest of the request (head, state, body) is dropped before the handler's future is
/// made, so the future, moved into its box once per request, holds these few words instead
/// of the whole request.
#[derive(Debug)]
pub struct Target {
    path_and_query: Option<PathAndQuery>,
    params: ParamRanges,
}

/// The [`Target`] of `parts`, for the shim of a route of borrowed parameters only; `None`
/// for a probe (a request without route, from `Route::state`), which the shim answers with
/// [`declared`](super::declared). The check is here, not in the shim, so that the shim uses
/// the request once, passing it on where it came: a shim that also read it kept a copy of
/// its own (a 344-byte `memcpy` per request).
pub fn target_of(parts: RequestParts) -> Option<Target> {
    parts.route()?;
    let RequestParts { head, params, .. } = parts;
    crate::spare_headers::keep(head.headers);
    Some(Target {
        path_and_query: head.uri.into_parts().path_and_query,
        params,
    })
}

impl Target {
    /// [`path_str`] for a route of borrowed parameters only.
    #[inline(always)]
    pub fn path_str(&self, index: usize, name: &'static str) -> Result<Cow<'_, str>, Response> {
        let path = self.path_and_query.as_ref().map_or("", PathAndQuery::path);
        decode_path_param(path, &self.params, index, name)
    }

    /// [`query_str`] for a route of borrowed parameters only.
    pub fn query_str(
        &self,
        name: &'static str,
        label: &'static str,
    ) -> Result<Cow<'_, str>, Response> {
        required_query(self.query(), name, label)
    }

    /// [`query_str_opt`] for a route of borrowed parameters only.
    pub fn query_str_opt(&self, name: &'static str) -> Result<Option<Cow<'_, str>>, Response> {
        find_query(self.query(), name)
    }

    fn query(&self) -> Option<&str> {
        self.path_and_query.as_ref().and_then(PathAndQuery::query)
    }
}

/// A required query parameter, borrowed from `target` when it needs no decoding: `400` when
/// it is missing (naming `label`, the argument's type) or does not decode.
pub fn query_str<'t>(
    target: &'t Uri,
    name: &'static str,
    label: &'static str,
) -> Result<Cow<'t, str>, Response> {
    required_query(target.query(), name, label)
}

fn required_query<'t>(
    query: Option<&'t str>,
    name: &'static str,
    label: &'static str,
) -> Result<Cow<'t, str>, Response> {
    find_query(query, name)?.ok_or_else(|| {
        HttpError::bad_request(format!(
            "missing query parameter `{name}` of type `{label}`"
        ))
        .into_response()
    })
}

/// An optional query parameter, borrowed from `target` when it needs no decoding: `None`
/// when absent, `Some("")` when empty (as an `Option<String>`), `400` when it does not
/// decode.
pub fn query_str_opt<'t>(
    target: &'t Uri,
    name: &'static str,
) -> Result<Option<Cow<'t, str>>, Response> {
    find_query(target.query(), name)
}

/// An argument the shim extracts as `callN` does (an extractor, or an owned parameter): `A`
/// the wrapped type, `M` the marker of its impl, inferred once for the probe ([`state`]) and
/// the extraction ([`head`], [`last`]). Each bound is checked by a generic function, at the
/// user's type: a body extractor that is not last is reported once, as by `callN` (the probe
/// asks only `LastArg`); a type that is no extractor at all, once by each.
pub struct Extractor<A, M>(PhantomData<fn() -> (A, M)>);

impl<A, M> Extractor<A, M> {
    /// The argument of type `A`.
    pub const NEW: Self = Extractor(PhantomData);
}

// Free functions rather than methods: a bound a method fails is reported as "the method
// exists but its trait bounds were not satisfied", without the `on_unimplemented` wording.

/// The state the argument's extractor declares, for the probe.
pub fn state<A: LastArg<M>, M>(_: &Extractor<A, M>) -> &'static [StateRequirement] {
    A::STATE
}

/// Extracts the last argument, which may read the body.
pub fn last<A: LastArg<M>, M>(
    _: Extractor<A, M>,
    parts: RequestParts,
    body: Body,
    spec: &'static ArgSpec,
) -> impl Future<Output = Result<A, Response>> + Send {
    A::extract(parts, body, spec)
}

/// Extracts an argument before the last, from the request head.
pub fn head<A: HeadArg<M>, M>(
    _: Extractor<A, M>,
    parts: &mut RequestParts,
    spec: &'static ArgSpec,
) -> impl Future<Output = Result<A, Response>> + Send {
    A::extract(parts, spec)
}

impl<A, M> std::fmt::Debug for Extractor<A, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Extractor")
    }
}

/// The handler's output as a response. `Ret` is spelled at the user's return type, where a
/// type that is not a response is reported, as by `callN`.
pub fn respond<Ret: HandlerReturn>(output: Ret) -> Response {
    output.into_response()
}

/// The shim's `async` block, boxed; the bound reports a handler future that is not `Send`.
pub fn shim<Fut>(future: Fut) -> HandlerFuture
where
    Fut: Future<Output = Response> + Send + 'static,
{
    HandlerFuture::new(future)
}

/// The shim of a `fn` handler (not `async`) whose every argument is a borrowed parameter:
/// such a handler cannot wait, so the shim runs it at once and returns its answer, without
/// a future of its own to allocate.
///
/// A panic is caught here and raised again when the answer is first polled, under the
/// dispatcher's guard: it is answered (`500`), logged and counted exactly as a waiting
/// handler's panic.
#[inline(always)]
pub fn answer_now(run: impl FnOnce() -> Response) -> HandlerFuture {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(response) => HandlerFuture::ready(response),
        Err(panic) => HandlerFuture::new(resume(panic)),
    }
}

async fn resume(panic: Box<dyn std::any::Any + Send>) -> Response {
    std::panic::resume_unwind(panic)
}
