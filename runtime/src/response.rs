//! Turning handler results into HTTP responses.
//!
//! A handler returns anything that implements [`IntoResponse`]:
//!
//! | type | response |
//! |---|---|
//! | `()` | `200`, empty body |
//! | `String`, `&'static str`, `Cow<'static, str>` | `200`, `text/plain; charset=utf-8` |
//! | `Bytes`, `Vec<u8>` | `200`, `application/octet-stream` |
//! | [`Json<T>`](crate::Json) | `200`, `application/json` |
//! | [`Html<T>`] | `200`, `text/html; charset=utf-8` |
//! | `StatusCode` | that status, empty body |
//! | `(StatusCode, T)` | `T`'s response with that status |
//! | `(StatusCode, HeaderMap, T)`, `(HeaderMap, T)` | the same, with those headers added |
//! | `([(K, V); N], T)`, `(StatusCode, [(K, V); N], T)` | the same, with those headers set: `([(header::CONTENT_TYPE, "image/png")], bytes)` |
//! | `Result<T, E>` | `T`'s or `E`'s response; both implement `IntoResponse` |
//! | `http::Response<B>` | as it is |
//! | [`HttpError`] | the framework's error format (below) |
//!
//! # The error format
//!
//! Every response routemark itself answers once a request is parsed (400, 404, 405, 408,
//! 413, 414, 415, 422, 500, 501, 503) is an [`HttpError`]: status plus a JSON body of one
//! shape,
//!
//! ```json
//! {"status": 404, "error": "Not Found", "message": "no route matches `/nope`"}
//! ```
//!
//! with `content-type: application/json`. `error` is the status's reason phrase; `message`
//! says what was wrong, in the voice of a compiler message, naming the parameter or header
//! at fault. [`App::catch`](crate::App::catch) renders every one of them, and those handlers
//! return, in the application's own format instead.
//!
//! Requests that cannot be parsed at all (malformed request line or headers: 400; header
//! section too large or too many headers: 431; target over 64 KiB: 414) are answered by
//! hyper's parser before routing, with an empty body, and the connection is closed.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderMap, HeaderValue};

use crate::body::{Body, BoxError};

/// The response type of every handler and of the router: `http::Response<Body>`.
pub type Response = http::Response<Body>;

/// Converts a handler's return value into a [`Response`]. Implemented for:
///
/// | type | response |
/// |---|---|
/// | `()` | `200`, empty body |
/// | `String`, `&'static str`, `Cow<'static, str>` | `200`, `text/plain; charset=utf-8` |
/// | `Bytes`, `Vec<u8>` | `200`, `application/octet-stream` |
/// | [`Json<T>`](crate::Json) | `200`, `application/json` |
/// | [`Html<T>`] | `200`, `text/html; charset=utf-8` |
/// | `StatusCode` | that status, empty body |
/// | `(StatusCode, T)` | `T`'s response with that status |
/// | `(StatusCode, HeaderMap, T)`, `(HeaderMap, T)` | the same, with those headers added |
/// | `([(K, V); N], T)`, `(StatusCode, [(K, V); N], T)` | the same, with those headers set (replacing `T`'s) |
/// | `Result<T, E>` | `T`'s or `E`'s response; both implement `IntoResponse` |
/// | `http::Response<B>` | as it is |
/// | [`HttpError`] | the framework's error format: status and a JSON message |
///
/// Implement it for your own error type to return it from handlers:
///
/// ```
/// use routemark::{http::StatusCode, IntoResponse, Response};
///
/// enum ApiError { NotFound(u64) }
///
/// impl IntoResponse for ApiError {
///     fn into_response(self) -> Response {
///         match self {
///             ApiError::NotFound(id) => (StatusCode::NOT_FOUND, format!("no user {id}")).into_response(),
///         }
///     }
/// }
///
/// assert_eq!(ApiError::NotFound(7).into_response().status(), StatusCode::NOT_FOUND);
/// ```
// Worded for every place a response is required; a handler's return type is reported
// against `__private::HandlerReturn`, worded for it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a response: it does not implement `routemark::IntoResponse`",
    label = "`{Self}` must implement `routemark::IntoResponse` to be sent as a response",
    note = "an extractor's `type Rejection` is sent as the response when extraction fails: use `HttpError`, `StatusCode` or `(StatusCode, String)`, or implement `IntoResponse` for `{Self}`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

#[inline]
fn with_content_type(body: impl Into<Body>, content_type: HeaderValue) -> Response {
    // A request's map, passed on: no allocation (`spare_headers.rs`).
    let mut headers = crate::spare_headers::take();
    // `append`, not `insert`: the map is empty, so there is no value to replace, and
    // `insert` would look for one and drain it.
    headers.append(header::CONTENT_TYPE, content_type);
    let mut res = Response::new(body.into());
    // `Response::new`'s map is `HeaderMap::new()`, which holds no allocation (documented:
    // it "will not allocate"): forgotten rather than dropped, it frees nothing either way,
    // and its drop's walk over the empty map is skipped.
    std::mem::forget(std::mem::replace(res.headers_mut(), headers));
    res
}

// Constants, so that `from_static` checks their bytes at compile time: called with a
// `&str` argument, it would check them again for every response.
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(self, TEXT)
    }
}

impl IntoResponse for &'static str {
    #[inline]
    fn into_response(self) -> Response {
        with_content_type(self, TEXT)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(s) => s.into_response(),
            Cow::Owned(s) => s.into_response(),
        }
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(self, OCTETS)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(self, OCTETS)
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self;
        res
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        *res.status_mut() = self.0;
        res
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut res = self.2.into_response();
        *res.status_mut() = self.0;
        res.headers_mut().extend(self.1);
        res
    }
}

impl<T: IntoResponse> IntoResponse for (HeaderMap, T) {
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        res.headers_mut().extend(self.0);
        res
    }
}

/// Headers written inline, as in `([(header::CONTENT_TYPE, "image/png")], bytes)`; each
/// replaces a header of the same name that `T` set. A name or value that is not valid in a
/// header is a bug of the handler: `500`, naming it.
impl<K, V, const N: usize, T> IntoResponse for ([(K, V); N], T)
where
    K: TryInto<header::HeaderName>,
    K::Error: fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        let mut res = self.1.into_response();
        match insert_headers(res.headers_mut(), self.0) {
            Ok(()) => res,
            Err(err) => err.into_response(),
        }
    }
}

/// A status and headers written inline: `(StatusCode::CREATED, [(header::LOCATION, url)], body)`.
impl<K, V, const N: usize, T> IntoResponse for (StatusCode, [(K, V); N], T)
where
    K: TryInto<header::HeaderName>,
    K::Error: fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Display,
    T: IntoResponse,
{
    fn into_response(self) -> Response {
        let mut res = self.2.into_response();
        if let Err(err) = insert_headers(res.headers_mut(), self.1) {
            return err.into_response();
        }
        *res.status_mut() = self.0;
        res
    }
}

fn insert_headers<K, V, const N: usize>(
    headers: &mut HeaderMap,
    pairs: [(K, V); N],
) -> Result<(), HttpError>
where
    K: TryInto<header::HeaderName>,
    K::Error: fmt::Display,
    V: TryInto<HeaderValue>,
    V::Error: fmt::Display,
{
    for (name, value) in pairs {
        let name = name.try_into().map_err(|e| {
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the handler set an invalid header name: {e}"),
            )
        })?;
        let value = value.try_into().map_err(|e| {
            HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the handler set an invalid value for header `{name}`: {e}"),
            )
        })?;
        headers.insert(name, value);
    }
    Ok(())
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(err) => err.into_response(),
        }
    }
}

impl<B> IntoResponse for http::Response<B>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn into_response(self) -> Response {
        self.map(Body::new)
    }
}

/// An HTML response body: `text/html; charset=utf-8`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(self.0, HTML)
    }
}

/// An error response in routemark's one format: a status and a message, sent as
/// `{"status": 400, "error": "Bad Request", "message": "..."}` with
/// `content-type: application/json`. `error` is the status's reason phrase; `message` says
/// what was wrong, naming the parameter or header at fault.
///
/// The framework answers every request it rejects once the request is parsed (400, 404, 405,
/// 408, 413, 414, 415, 422, 500, 501, 503) with one, and handlers may return it too. Requests
/// hyper's parser cannot read at all (malformed request line or headers: 400; header section
/// too large: 431; target over 64 KiB: 414) are answered before routing, with an empty body.
///
/// ```
/// use routemark::{http::StatusCode, HttpError};
///
/// let err = HttpError::new(StatusCode::CONFLICT, "user `ada` already exists");
/// assert_eq!(err.status(), StatusCode::CONFLICT);
/// assert_eq!(err.message(), "user `ada` already exists");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    status: StatusCode,
    message: Cow<'static, str>,
}

impl HttpError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError {
            status,
            message: message.into(),
        }
    }

    /// `400 Bad Request`.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body this error is sent with.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Wire<'a> {
            status: u16,
            error: &'a str,
            message: &'a str,
        }
        let wire = Wire {
            status: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Unknown"),
            message: &self.message,
        };
        // Serialising three plain fields cannot fail.
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for HttpError {}

/// The error stays in the response's extensions, where [`App::catch`](crate::App::catch)
/// finds it to render it in the application's own format (and a layer may read it).
impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut res = with_content_type(self.to_json(), JSON);
        *res.status_mut() = self.status;
        // After a 408 or 413 the rest of the body is unread or in an unknown state; reading
        // it to keep the connection would defeat the limit, so the connection closes.
        if self.status == StatusCode::REQUEST_TIMEOUT
            || self.status == StatusCode::PAYLOAD_TOO_LARGE
        {
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        res.extensions_mut().insert(self);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_error_has_one_json_shape() {
        let err = HttpError::bad_request("path parameter `id` must be `u64`");
        assert_eq!(
            err.to_json(),
            r#"{"status":400,"error":"Bad Request","message":"path parameter `id` must be `u64`"}"#
        );
        let res = err.into_response();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn tuple_sets_status_and_keeps_content_type() {
        let res = (StatusCode::CREATED, "made").into_response();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.headers()[header::CONTENT_TYPE], TEXT);
    }
}
