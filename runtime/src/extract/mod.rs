//! Extractors: how handler arguments are built from a request.
//!
//! A handler argument named like a path or query parameter is parsed by [`FromParam`]. Every
//! other argument is an *extractor*, found by its type:
//!
//! | extractor | reads | fails with |
//! |---|---|---|
//! | [`State<T>`] | the value given to [`App::state`](crate::App::state) | 500 (and `App` refuses to start without it) |
//! | [`Query<T>`] | the whole query string, through serde | 400 |
//! | `HeaderMap`, `Method`, `Uri`, `Version` | the request head | — |
//! | [`RequestParts`] | the head plus routing information | — |
//! | [`Json<T>`] *(body)* | the body as JSON, through serde | 415, 400, 422, 413 |
//! | [`Text`] *(body)* | the body as UTF-8 | 400, 413 |
//! | `Bytes` *(body)* | the raw body | 413 |
//! | [`Request`](crate::Request) *(body)* | the whole request, body unread | — |
//!
//! Extractors marked *body* read the request body: a handler has at most one, and it is the
//! last argument. The compiler enforces both.
//!
//! # Writing an extractor
//!
//! Implement [`FromRequestParts`] for a type built from the head, or [`FromRequest`] for
//! one that reads the body:
//!
//! ```
//! use routemark::{http::StatusCode, FromRequestParts, HttpError, RequestParts};
//!
//! /// The caller's API key, from the `x-api-key` header.
//! struct ApiKey(String);
//!
//! impl FromRequestParts for ApiKey {
//!     type Rejection = HttpError;
//!
//!     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
//!         parts
//!             .headers()
//!             .get("x-api-key")
//!             .and_then(|v| v.to_str().ok())
//!             .map(|key| ApiKey(key.to_owned()))
//!             .ok_or_else(|| HttpError::new(StatusCode::UNAUTHORIZED, "missing `x-api-key` header"))
//!     }
//! }
//!
//! #[routemark::route(GET "/whoami")]
//! fn whoami(ApiKey(key): ApiKey) -> String {
//!     format!("key {key}")
//! }
//! ```

mod body;
mod extension;
mod head;
mod param;
mod trace;

use std::future::Future;

pub use body::{Json, Text};
pub use extension::{AddExtension, Extension};
pub use head::{Query, State};
pub use param::FromParam;
pub(crate) use param::{DecodeError, decode_param, type_label, unsafe_path};
pub use trace::TraceContext;

use crate::Body;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};
use crate::route::StateRequirement;

/// An extractor built from the request head, without reading the body. Any number of them
/// may appear among a handler's arguments, in any position.
// Worded exactly like `FromRequest`: rustc reports a non-extractor argument against both
// traits at the same span, and identical reports are shown once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither an extractor nor a parameter, so it cannot be a handler argument",
    label = "`{Self}` does not implement `FromRequestParts` or `FromRequest`",
    note = "an argument named like a `<param>` of the route receives that parameter; every other argument must be an extractor such as `State<T>`, `Query<T>`, `HeaderMap`, `Json<T>`, `Text` or `Bytes`",
    note = "for a value given to `App::state`, write `State(value): State<{Self}>`"
)]
pub trait FromRequestParts: Sized {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// The state this extractor reads with [`RequestParts::state`], which the application
    /// must be given before it starts ([`StateRequirement::of`]); none by default.
    const STATE: &'static [StateRequirement] = &[];

    /// Builds the value from the request head.
    fn from_request_parts(
        parts: &mut RequestParts,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// An extractor that may read the request body: only the last argument of a handler.
///
/// Every [`FromRequestParts`] type is also a `FromRequest` (through the `M` marker, which
/// users never name), so the last argument may be either kind.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither an extractor nor a parameter, so it cannot be a handler argument",
    label = "`{Self}` does not implement `FromRequestParts` or `FromRequest`",
    note = "an argument named like a `<param>` of the route receives that parameter; every other argument must be an extractor such as `State<T>`, `Query<T>`, `HeaderMap`, `Json<T>`, `Text` or `Bytes`",
    note = "for a value given to `App::state`, write `State(value): State<{Self}>`"
)]
pub trait FromRequest<M = marker::ViaBody>: Sized {
    /// The response sent when extraction fails.
    type Rejection: IntoResponse;

    /// As [`FromRequestParts::STATE`].
    const STATE: &'static [StateRequirement] = &[];

    /// Builds the value from the head and the body.
    fn from_request(
        parts: RequestParts,
        body: Body,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

impl<T: FromRequestParts + Send> FromRequest<marker::ViaParts> for T {
    type Rejection = <T as FromRequestParts>::Rejection;
    const STATE: &'static [StateRequirement] = <T as FromRequestParts>::STATE;

    async fn from_request(mut parts: RequestParts, _body: Body) -> Result<Self, Self::Rejection> {
        let extracted = T::from_request_parts(&mut parts).await;
        // The last use of the request: its header map goes to the next response.
        crate::__private::keep_headers(parts);
        extracted
    }
}

#[doc(hidden)]
pub mod marker {
    //! Not public API. Marker types that let one type be both kinds of extractor.

    use std::future::Future;

    /// The extractor reads the request head only.
    #[derive(Debug)]
    pub enum ViaParts {}
    /// The extractor reads the body.
    #[derive(Debug)]
    pub enum ViaBody {}

    /// Implemented by the marker of extractors that may stand before the last argument.
    #[diagnostic::on_unimplemented(
        message = "`{T}` reads the request body, so it must be the last argument of the handler",
        label = "reads the body, but is not the last argument",
        note = "a handler reads the body at most once, through its last argument (`Json<T>`, `Text`, `Bytes`, `Request` or your own `FromRequest` type); move it last, and keep only one"
    )]
    pub trait HeadPosition<T> {
        /// Extracts `T` from the head.
        fn extract(
            parts: &mut super::RequestParts,
        ) -> impl Future<Output = Result<T, super::Response>> + Send;
    }

    impl<T: super::FromRequestParts> HeadPosition<T> for ViaParts {
        async fn extract(parts: &mut super::RequestParts) -> Result<T, super::Response> {
            T::from_request_parts(parts)
                .await
                .map_err(super::IntoResponse::into_response)
        }
    }
}

impl FromRequestParts for http::HeaderMap {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts.headers().clone())
    }
}

impl FromRequestParts for http::Method {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts.method().clone())
    }
}

impl FromRequestParts for http::Uri {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts.uri().clone())
    }
}

impl FromRequestParts for http::Version {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts.version())
    }
}

/// The whole request, head and routing information included: a `RequestParts` argument.
impl FromRequestParts for RequestParts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        Ok(RequestParts {
            head: parts.head.clone(),
            params: parts.params.clone(),
            state: parts.state.clone(),
            route: parts.route,
            body_limit: parts.body_limit,
        })
    }
}

/// The whole request, body unread.
impl FromRequest for http::Request<Body> {
    type Rejection = std::convert::Infallible;

    async fn from_request(parts: RequestParts, body: Body) -> Result<Self, Self::Rejection> {
        Ok(http::Request::from_parts(parts.head, body))
    }
}

/// The request body as a stream, unread.
impl FromRequest for Body {
    type Rejection = std::convert::Infallible;

    async fn from_request(_parts: RequestParts, body: Body) -> Result<Self, Self::Rejection> {
        Ok(body)
    }
}
