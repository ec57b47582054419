//! Not public API. The one module generated code names; its contents may change in any
//! release.

// The shim returns a `Response` as soon as an argument fails to extract; these helpers hand
// it back in `Err`, which is moved once per failed request. Boxing it would cost an
// allocation on a path that is already an error.
#![allow(clippy::result_large_err)]

mod borrowed;
mod call;
mod call_n;
mod call_now;
mod fallback;

pub use core::any::{TypeId, type_name};
pub use inventory;
pub use routemark_path::{Method, MethodSet};

/// The `MethodSet` of a route of one method, as `#[route]` writes it: a constant is cheaper
/// for `cargo check` than a `MethodSet::EMPTY.with(Method::Get)` call in every route.
pub const ONLY_GET: MethodSet = MethodSet::single(Method::Get);
pub const ONLY_HEAD: MethodSet = MethodSet::single(Method::Head);
pub const ONLY_POST: MethodSet = MethodSet::single(Method::Post);
pub const ONLY_PUT: MethodSet = MethodSet::single(Method::Put);
pub const ONLY_PATCH: MethodSet = MethodSet::single(Method::Patch);
pub const ONLY_DELETE: MethodSet = MethodSet::single(Method::Delete);
pub const ONLY_OPTIONS: MethodSet = MethodSet::single(Method::Options);
pub const ONLY_TRACE: MethodSet = MethodSet::single(Method::Trace);

pub use crate::extract::marker::{HeadPosition, ViaBody, ViaParts};
pub use crate::route::{
    BreakerConfig, FallbackFn, HandlerFuture, NO_OPTIONS, OptionsDecl, Route, RouteDecl,
    StateRequirement,
};
pub use crate::{Body, RequestParts, Response};
pub use borrowed::*;
pub use call::*;
pub use call_n::*;
pub use call_now::*;
pub use core::time::Duration;
pub use fallback::*;

use std::borrow::Cow;

use crate::extract::{DecodeError, FromParam, decode_param, type_label, unsafe_path};
use crate::response::{HttpError, IntoResponse};

fn parse_param<T: FromParam>(kind: &str, name: &str, decoded: &str) -> Result<T, Response> {
    T::from_param(decoded).map_err(|e| {
        HttpError::bad_request(format!(
            "{kind} parameter `{name}` must be `{}`: {e}",
            type_label::<T>()
        ))
        .into_response()
    })
}

/// The `index`-th path parameter, decoded once and parsed. A `PathBuf` must also be a safe
/// relative path ([`unsafe_path`]); the check is on the type, so a constant per
/// instantiation, free for every other type.
pub fn path_param<T: FromParam + 'static>(
    parts: &RequestParts,
    index: usize,
    name: &'static str,
) -> Result<T, Response> {
    let raw = parts.raw_param(index).unwrap_or_default();
    let decoded = decode_param(raw).map_err(|e| {
        HttpError::bad_request(format!("path parameter `{name}` {e}")).into_response()
    })?;
    if TypeId::of::<T>() == TypeId::of::<std::path::PathBuf>() {
        if let Some(why) = unsafe_path(&decoded) {
            return Err(HttpError::bad_request(format!(
                "path parameter `{name}` {why}; a `PathBuf` parameter must be a relative path that stays inside its directory"
            ))
            .into_response());
        }
    }
    parse_param("path", name, &decoded)
}

/// The first value of query parameter `name` in `query`, decoded with form rules (`+` is a
/// space); borrowed from `query` when it needs no decoding.
pub(super) fn find_query<'q>(
    query: Option<&'q str>,
    name: &str,
) -> Result<Option<Cow<'q, str>>, Response> {
    let Some(query) = query else {
        return Ok(None);
    };
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if matches!(decode_form(key), Ok(key) if key == name) {
            return decode_form(value).map(Some).map_err(|e| {
                HttpError::bad_request(format!("query parameter `{name}` {e}")).into_response()
            });
        }
    }
    Ok(None)
}

/// A query key or value decoded with form rules: `+` is a space, then percent-decoding.
fn decode_form(text: &str) -> Result<Cow<'_, str>, DecodeError> {
    if text.contains('+') {
        decode_param(&text.replace('+', " ")).map(|decoded| Cow::Owned(decoded.into_owned()))
    } else {
        decode_param(text)
    }
}

/// A required query parameter: `400` when it is missing or does not parse.
pub fn query_param<T: FromParam>(parts: &RequestParts, name: &'static str) -> Result<T, Response> {
    match find_query(parts.uri().query(), name)? {
        Some(value) => parse_param("query", name, &value),
        None => Err(HttpError::bad_request(format!(
            "missing query parameter `{name}` of type `{}`",
            type_label::<T>()
        ))
        .into_response()),
    }
}

/// An optional query parameter (`Option<T>` argument): `None` when absent, or empty
/// (`?page=`) and `T` cannot parse the empty string (an `Option<String>` is `Some("")`);
/// `400` when present but unparsable. Forms and links send `?page=` for a blank field.
pub fn query_param_opt<T: FromParam>(
    parts: &RequestParts,
    name: &'static str,
) -> Result<Option<T>, Response> {
    match find_query(parts.uri().query(), name)? {
        None => Ok(None),
        Some(value) if value.is_empty() => Ok(T::from_param("").ok()),
        Some(value) => parse_param("query", name, &value).map(Some),
    }
}
