//! **A web framework where a route is declared once, on its handler, and checked by the
//! compiler.**
//!
//! ```no_run
//! use routemark::{route, App, Json, State};
//! # #[derive(Clone)] struct Db;
//! # #[derive(serde::Serialize)] struct User { id: u64 }
//! # impl Db { async fn user(&self, id: u64) -> Option<User> { Some(User { id }) } }
//!
//! #[route(GET "/api/v1/users/<id>")]
//! async fn get_user(id: u64, State(db): State<Db>) -> Result<Json<User>, routemark::http::StatusCode> {
//!     db.user(id).await.map(Json).ok_or(routemark::http::StatusCode::NOT_FOUND)
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), routemark::Error> {
//!     App::new().state(Db).serve("127.0.0.1:3000").await
//! }
//! ```
//!
//! There is no route list to keep in sync: `#[route]` checks the route when the crate
//! compiles and registers the handler in a program-wide table; [`App::new`] collects every
//! route of the program, checks the table as a whole, and serves it on hyper.
//!
//! # Path syntax
//!
//! ```text
//! #[route(METHODS "PATH" [, option = value]*)]
//! METHODS := METHOD ( "|" METHOD )*        GET | HEAD | POST | PUT | PATCH | DELETE | OPTIONS | TRACE
//! PATH    := "/" segment ( "/" segment )* [ "?" query ]
//! segment := static text | "<" ident ">" | "<" ident ".." ">"   (catch-all, last segment only)
//! query   := "<" ident ">" ( "&" "<" ident ">" )*
//! ```
//!
//! - Static text matches the raw request path byte for byte; write characters outside
//!   RFC 3986's `pchar` set percent-encoded.
//! - `<name>` matches one non-empty segment; `<name..>` matches the rest of the path, one
//!   segment or more, slashes included.
//! - A trailing slash is significant: `/users/` and `/users` are two routes.
//! - Options follow the path, each at most once, read back through [`Route::options`]:
//!   - `body_limit = BYTES`, the route's own request body limit;
//!   - `tags = ["admin", "internal"]`, names that group routes, as in
//!     `#[route(GET "/admin/stats", tags = ["admin"])]` ([`Route::tags`]). A tag is ASCII
//!     letters, digits, `_` and `-`, starting with a letter, and a route lists it once;
//!   - `timeout = "2s"`, the handler's own time limit, over
//!     [`App::handler_timeout`] (durations are a whole number and a unit: `ms`, `s`, `m`,
//!     `h`);
//!   - `concurrency = N`, at most N requests in the handler, the next answered `503` at once;
//!   - `breaker`, or `breaker(errors_percent = 50, min_requests = 20, window = "10s",
//!     open_for = "5s")`, a circuit breaker ([`BreakerConfig`]; Hystrix's defaults);
//!   - `fallback = f`, a function of no arguments or of the handler's own (a borrowed
//!     parameter taken as `String`), which answers while the breaker is open, while the
//!     route sheds, or when the handler times out.
//!
//!   The resilience options are overridable at run time by the overlay's resilience keys
//!   ([`overlay::ResilienceOverride`]).
//!
//! # Binding arguments
//!
//! Handler arguments are bound by **name**, then by **type**:
//!
//! - an argument named like a path parameter receives it, percent-decoded once and parsed
//!   by [`FromParam`] (any `FromStr` type); a value that does not parse is
//!   `400 Bad Request` naming the parameter and the expected type;
//! - an argument named like a query parameter receives it: `T` is required (400 when
//!   missing), `Option<T>` optional (`None` when absent, or empty as in `?page=` for a type
//!   that cannot parse `""`);
//! - a path or query parameter may also **borrow the request** as `&str` or `Cow<'_, str>`
//!   (and `Option<&str>`, `Option<Cow<'_, str>>` for a query parameter): the text as sent
//!   when it needs no decoding, without a copy, else decoded into a buffer the borrow points
//!   into; a value that does not decode is `400` as for a `String`. Other references are
//!   compile errors that name the type to take instead: `&mut str`, `&String` (take `&str`),
//!   `&'static str`, `&u64`, `&Path` (take `PathBuf`) and the like;
//! - a raw identifier binds the parameter without `r#`: `<ref>` binds `r#ref`;
//! - every other argument is an extractor, found by type and written with any pattern
//!   (`State(db): State<Db>`); see [`extract`]. At most one extractor reads the body, and it
//!   is the last argument.
//!
//! Arguments are extracted **in argument order**, and the first that fails answers: write a
//! guard (an authentication extractor, say) before the parameters, and a request without a
//! token is `401` whatever its `<id>`; written after them, a bad `<id>` answers `400` first.
//! An argument named `_name` binds `<name>` (the Rust spelling of a binding that may go
//! unused) unless another argument is named `name`.
//!
//! Plain value types (`String`, numbers, `bool`, `char`) are never extractors: an argument
//! `nmae: String` in a route with `<name>` is a compile error, not a silently read body.
//!
//! The handler is an `async fn` or a `fn` returning anything that implements
//! [`IntoResponse`]. It stays an ordinary function that tests can call directly. A sync
//! handler runs on the server's worker thread: keep it short, or make it `async` and use
//! `tokio::task::spawn_blocking`. A `fn` handler whose arguments are all borrowed
//! parameters (or that has none) cannot wait, so it costs least: it runs as soon as its
//! route is found, and no future is allocated for it. For a handler that does not `.await`,
//! prefer `fn`. Its panics are answered `500` and counted as any other handler's. Over
//! HTTP/1, an `async fn` handler is also polled a first time as soon as its route is found
//! (in a task of the runtime): one that finishes then costs no more than its own future.
//!
//! # Compile errors
//!
//! `#[route]` rejects, each with a message at the offending token:
//!
//! - a malformed attribute: unknown method (with "did you mean"), the method called like a
//!   function (Rocket's `get("/books")`, with the fix `GET "/books"`), missing or non-string
//!   path, unknown option (with "did you mean"), an option given twice, a `body_limit`
//!   that is not a `usize`, a `tags` value that is not a non-empty list of string literals,
//!   a tag that is empty, not a valid name or listed twice; a duration that is not a
//!   whole number with a unit (`"2 s"`, `"-1s"`, `"2sec"`), a zero limit, a percent outside
//!   1–100, a `fallback` that is not a function name or has nothing to answer for;
//! - a `fallback` whose arguments are neither none nor the handler's own, or that reads the
//!   body: a type error at the fallback's name;
//! - a malformed path: no leading `/`, an empty segment (`//`), unbalanced `<`/`>`, a
//!   parameter that is not a whole segment, a parameter name that is not an identifier, a
//!   parameter used twice, a catch-all that is not last, a query item that is not `<name>`,
//!   a parameter in braces (`{id}`, with the fix `<id>`);
//! - a parameter with no argument of that name (with the closest argument as a hint), and a
//!   plain-value argument that names no parameter;
//! - a parameter that borrows other than as `&str` or `Cow<'_, str>`: mutably, for
//!   `'static`, as `&String`, or a type with no text to point into (`&u64`, `&Path`), with
//!   the type to take instead;
//! - a handler that is not a free function: `self`, generics, `const`, `unsafe`, `extern`,
//!   variadic, more than 16 arguments, or not a function at all;
//! - two arguments that read the body (`Json`, `Text`, `Bytes`, `Body`, `Request`), at the
//!   second;
//! - an argument type that is neither a parameter type nor an extractor (a bare state type
//!   gets the hint `State(value): State<T>`), a parameter type that is not `FromParam`, a
//!   return type that is not a response, a body extractor that is not last, an extractor
//!   whose `Rejection` is not a response: these are trait errors worded by
//!   `#[diagnostic::on_unimplemented]`, at the argument's, return type's or `Rejection`'s
//!   own span;
//! - **the same method and path declared twice in one crate**, in any module: rustc's error
//!   E0428 names the hidden `duplicate_route_<METHOD>_<path>` item and points at both
//!   routes. Parameter names do not matter: `/users/<id>` and `/users/<name>` are the same
//!   path.
//!
//! ```compile_fail
//! #[routemark::route(GET "/users/<id>")]
//! async fn get_user(idd: u64) -> String {
//!     // error: path parameter `<id>` has no matching function argument; did you mean `idd`?
//!     idd.to_string()
//! }
//! ```
//!
//! A route that fails these checks still expands to the function as written, so the rest of
//! the crate keeps compiling and the IDE keeps working.
//!
//! # Routes in other crates
//!
//! Routes declared in a library crate register themselves like any other, **provided the
//! library is linked**: rustc does not link a dependency the program never names, so a crate
//! that is only listed in `Cargo.toml` contributes no routes. Name it once:
//!
//! ```ignore
//! use users_api as _; // links the crate, and with it its routes
//! ```
//!
//! Two routes of different crates with the same method and path are found when the
//! [`App`] is built, which then refuses to start, naming both with `file:line`.

#![doc(test(attr(deny(warnings))))]

// Generated code names `::routemark`, which must resolve in this crate's own tests too.
#[allow(unused_extern_crates)]
extern crate self as routemark;

mod app;
mod body;
mod dispatch;
mod error;
pub mod extract;
mod observe;
pub mod overlay;
mod request;
mod resilience;
mod response;
mod route;
pub mod router;
mod server;
mod service;
mod spare_headers;
mod tenant;
pub mod testing;

/// OpenTelemetry export of the request spans (feature `otel`): see [`otel::layer`] and the
/// README's "Operating in production".
#[cfg(feature = "otel")]
pub mod otel {
    pub use crate::observe::otel::layer;
}

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;

pub use app::{App, check};
pub use body::{Body, BoxError};
/// The raw request body as an extractor, and a byte buffer as a response
/// (`application/octet-stream`): the `bytes` crate's `Bytes`, re-exported.
pub use bytes::Bytes;
pub use dispatch::TrailingSlash;
pub use error::{BuildError, Error, Problem};
pub use extract::{
    Extension, FromParam, FromRequest, FromRequestParts, Json, Query, State, Text, TraceContext,
};
pub use http;
pub use request::RequestParts;
pub use resilience::BreakerState;
pub use response::{Html, HttpError, IntoResponse, Response};
pub use route::{
    BreakerConfig, FallbackFn, HandlerFn, HandlerFuture, Route, RouteOptions, StateRequirement,
    routes,
};
pub use routemark_path::{Method, MethodSet, PathTemplate};
pub use server::{Server, ServerConfig};
pub use service::{
    HttpService, MatchedRoute, OriginalUri, RouteFilter, RouteFuture, RouteService, Router,
};
pub use tenant::{Tenancy, Tenant};

/// Declares an HTTP route on its handler; see the [crate documentation](crate) for the path
/// syntax, the binding rules and the compile errors.
///
/// ```
/// use routemark::route;
///
/// #[route(GET | HEAD "/users/<id>/files/<path..>?<download>")]
/// async fn file(id: u64, path: &str, download: Option<bool>) -> String {
///     format!("user {id}, file {path}, download {download:?}")
/// }
/// ```
pub use routemark_macros::route;

/// Prefixes the path of every route declared in a module, nested modules and function
/// bodies included: `#[scope("/api/v1")]` on `mod v1` turns `#[route(GET "/books")]` inside
/// into `GET /api/v1/books`. Scopes nest, prefixes joined outer first.
///
/// The route is then everything a route written with the full path is: the compile-time
/// duplicate check, the start-up table, [`Route::path`] and [`MatchedRoute`] see
/// `/api/v1/books`. The route `/` of a scope is the prefix itself (`/api/v1`).
///
/// ```
/// #[routemark::scope("/api/v1")]
/// mod v1 {
///     use routemark::route;
///
///     #[route(GET "/books")]
///     pub fn books() -> &'static str {
///         "books"
///     }
///
///     #[routemark::scope("/admin")]
///     mod admin {
///         #[routemark::route(GET "/stats/<day>")]
///         fn stats(day: u32) -> String {
///             day.to_string()
///         }
///     }
/// }
///
/// let paths: Vec<&str> = routemark::routes().map(|r| r.path()).collect();
/// assert!(paths.contains(&"/api/v1/books"));
/// assert!(paths.contains(&"/api/v1/admin/stats/<day>"));
/// ```
///
/// The prefix is static text starting with `/`, without a trailing `/`, parameter or
/// query. The module is inline (`mod v1 { … }`), as an attribute cannot see into another
/// file, and its routes are written `#[route(...)]` or `#[routemark::route(...)]` (the
/// scope finds them by that name).
pub use routemark_macros::scope;

/// The whole request with its body unread, as a handler argument (the last one).
pub type Request = http::Request<Body>;
