//! The framework's own answers: 404, 405 with `Allow`, `OPTIONS`, the trailing-slash
//! redirect, and the 500/503 of a handler (or layer) that panicked or ran too long. All
//! `#[cold]`: they stay out of the found route's path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;
use http::header::{self, HeaderValue};
use routemark_path::{Method, MethodSet};

use super::TrailingSlash;
use crate::observe::metrics::ServerMetrics;
use crate::response::{HttpError, IntoResponse, Response};
use crate::router::{Lookup, RouteTable};

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// The function of `App::catch`, type-erased: renders an `HttpError` as the application's
/// own error format.
#[derive(Clone)]
pub(crate) struct Catcher(Arc<dyn Fn(HttpError) -> Response + Send + Sync>);

impl std::fmt::Debug for Catcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catcher")
    }
}

/// Headers of the framework's answer that say something about the connection or the
/// resource, not the error's format: a catcher's answer keeps them unless it sets them.
const KEPT_HEADERS: [header::HeaderName; 3] =
    [header::CONNECTION, header::ALLOW, header::RETRY_AFTER];

impl Catcher {
    pub(crate) fn new(render: Arc<dyn Fn(HttpError) -> Response + Send + Sync>) -> Catcher {
        Catcher(render)
    }

    /// `response` rendered by the catcher when it is an `HttpError` answer (which carries
    /// the error in its extensions, see `HttpError::into_response`); anything else as it is.
    #[inline]
    pub(crate) fn render(&self, response: Response) -> Response {
        if response.status().as_u16() < 400 {
            return response;
        }
        self.render_error(response)
    }

    #[cold]
    fn render_error(&self, mut response: Response) -> Response {
        let Some(mut error) = response.extensions_mut().remove::<HttpError>() else {
            return response;
        };
        // `(StatusCode::CONFLICT, HttpError::bad_request(..))`: the status sent wins.
        if error.status() != response.status() {
            error = HttpError::new(response.status(), error.message().to_owned());
        }
        let mut rendered = (self.0)(error);
        // A catcher that answers a plain body (`String`, `Json`) keeps the error's status, as
        // Rocket's catchers do; one that sets a status of its own gets it.
        if rendered.status() == StatusCode::OK {
            *rendered.status_mut() = response.status();
        }
        let headers = rendered.headers_mut();
        for name in KEPT_HEADERS {
            if let Some(value) = response.headers().get(&name) {
                headers.entry(name).or_insert_with(|| value.clone());
            }
        }
        // `MatchedRoute` and whatever layers put there stay visible to outer layers.
        let mut extensions = std::mem::take(response.extensions_mut());
        extensions.extend(std::mem::take(rendered.extensions_mut()));
        *rendered.extensions_mut() = extensions;
        rendered
    }
}

/// The id of a failed request in the logs and its answer: the client's `x-request-id`, or
/// the next number of this process.
fn request_id(client_id: Option<&HeaderValue>) -> String {
    client_id
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| REQUEST_IDS.fetch_add(1, Ordering::Relaxed).to_string())
}

/// What failed, for the log line of a panic or a timeout.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Failed<'a> {
    /// A route's handler (or one of its route layers).
    Route {
        /// The template, as written in the attribute.
        path: &'static str,
        /// The handler's name.
        handler: &'static str,
    },
    /// A layer of `App::layer`, or a service (nested, fallback, served directly).
    Service(&'a str),
}

/// `500` for a handler or layer that panicked, with `connection: close`; logged with what
/// panicked, the method and the request id.
#[cold]
pub(crate) fn panicked(
    what: Failed<'_>,
    method: &dyn std::fmt::Display,
    client_id: Option<&HeaderValue>,
    panic: &(dyn std::any::Any + Send),
) -> Response {
    let request_id = request_id(client_id);
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    match what {
        Failed::Route { path, handler } => tracing::error!(
            route = path,
            handler,
            %method,
            request_id,
            panic = message,
            "handler panicked"
        ),
        Failed::Service(service) => tracing::error!(
            service,
            %method,
            request_id,
            panic = message,
            "layer or service panicked"
        ),
    }
    let mut response = HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the handler failed (request id {request_id})"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response.extensions_mut().insert(Failure::Panic);
    response
}

/// What the framework's own `500`/`503` answered, for the server's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    Panic,
    Timeout,
}

/// Counts a `5xx` answer the framework made (a panic, a handler timeout).
#[cold]
pub(crate) fn count_failure(response: &Response, server: &ServerMetrics) {
    match response.extensions().get::<Failure>() {
        Some(Failure::Panic) => server.panics.fetch_add(1, Ordering::Relaxed),
        Some(Failure::Timeout) => server.handler_timeouts.fetch_add(1, Ordering::Relaxed),
        None => return,
    };
}

/// `503` for a handler that ran past the handler timeout; logged.
#[cold]
pub(crate) fn timed_out(
    route: &'static str,
    method: Method,
    client_id: Option<&HeaderValue>,
    timeout: Duration,
) -> Response {
    let request_id = log_timed_out(route, method, client_id);
    let mut response = HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the handler did not finish within {timeout:?} (request id {request_id})"),
    )
    .into_response();
    response.extensions_mut().insert(Failure::Timeout);
    response
}

/// Logs a handler that ran past the handler timeout; returns the request id.
#[cold]
pub(crate) fn log_timed_out(
    route: &'static str,
    method: Method,
    client_id: Option<&HeaderValue>,
) -> String {
    let request_id = request_id(client_id);
    tracing::warn!(route, %method, request_id, "handler timed out");
    request_id
}

/// `400` for `*` with another method than `OPTIONS`, `501` for `CONNECT`.
#[cold]
pub(crate) fn unroutable(method: &http::Method) -> Response {
    if *method == http::Method::CONNECT {
        HttpError::new(
            StatusCode::NOT_IMPLEMENTED,
            "`CONNECT` is not supported: this server routes resources, not tunnels",
        )
        .into_response()
    } else {
        HttpError::bad_request("the target `*` is only valid for `OPTIONS`").into_response()
    }
}

/// The methods some route serves at `path`, with HEAD and OPTIONS implied; `None` when no
/// route matches the path at all. For methods routes cannot declare (CONNECT, extensions).
#[cold]
pub(crate) fn allowed_methods<T>(table: &RouteTable<T>, path: &str) -> Option<MethodSet> {
    match table.lookup(Method::Options, path) {
        Lookup::MethodNotAllowed { allow } => Some(allow),
        Lookup::Found { .. } => Some(
            Method::ALL
                .into_iter()
                .filter(|&m| matches!(table.lookup(m, path), Lookup::Found { .. }))
                .collect(),
        ),
        Lookup::NotFound => None,
    }
}

fn allow_header(allow: MethodSet) -> HeaderValue {
    let text = allow
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `204` with `Allow`.
#[cold]
pub(crate) fn options(allow: MethodSet) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, allow_header(allow));
    response
}

/// `405` with `Allow`.
#[cold]
pub(crate) fn method_not_allowed(method: &http::Method, allow: MethodSet) -> Response {
    let mut response = HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method `{method}` is not allowed here; allowed: {}",
            allow
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, allow_header(allow));
    response
}

/// `404`, naming the path (its first 200 characters).
#[cold]
pub(crate) fn not_found(path: &str) -> Response {
    // A slice, not a copy: one string is built, the message.
    let shown = path
        .char_indices()
        .nth(200)
        .map_or(path, |(end, _)| &path[..end]);
    HttpError::new(StatusCode::NOT_FOUND, format!("no route matches `{shown}`")).into_response()
}

/// `308` to the path with its trailing slash added or removed, when the policy asks for it
/// and that path has a route.
#[cold]
pub(crate) fn trailing_slash_redirect<T>(
    policy: TrailingSlash,
    table: &RouteTable<T>,
    uri: &http::Uri,
) -> Option<Response> {
    if policy != TrailingSlash::Redirect {
        return None;
    }
    let path = uri.path();
    let other = match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        Some(_) => return None,
        None => format!("{path}/"),
    };
    // Never build an off-site `Location` (`//evil.com`, `/\evil.com`).
    if other.starts_with("//") || other.contains('\\') {
        return None;
    }
    allowed_methods(table, &other)?;
    let location = match uri.query() {
        Some(q) => format!("{other}?{q}"),
        None => other,
    };
    let mut response = StatusCode::PERMANENT_REDIRECT.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_str(&location).ok()?);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(response: Response) -> String {
        let error = response
            .extensions()
            .get::<HttpError>()
            .expect("an HttpError");
        let json: serde_json::Value = serde_json::from_str(&error.to_json()).unwrap();
        json["message"].as_str().unwrap().to_owned()
    }

    #[test]
    fn not_found_names_the_path_whole_when_short() {
        let response = not_found("/no/such/route");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(message(response), "no route matches `/no/such/route`");
    }

    #[test]
    fn not_found_names_the_first_200_characters_of_a_long_path() {
        // Two-byte characters: the cut falls between characters, never inside one.
        let path = format!("/{}", "é".repeat(300));
        let shown: String = path.chars().take(200).collect();
        assert_eq!(
            message(not_found(&path)),
            format!("no route matches `{shown}`")
        );
        let exactly_200 = format!("/{}", "a".repeat(199));
        assert_eq!(
            message(not_found(&exactly_200)),
            format!("no route matches `{exactly_200}`")
        );
    }
}
