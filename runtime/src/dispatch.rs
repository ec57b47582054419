//! [`Router`]: the built application, dispatching requests to handlers.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{self, HeaderName, HeaderValue};
use http::{StatusCode, Version};
use routemark_path::{Method, MethodSet};

use crate::request::{RequestParts, StateMap};
use crate::response::{HttpError, IntoResponse, Response};
use crate::route::Route;
use crate::router::{Lookup, RouteTable};
use crate::{Body, BoxError};

/// What to do with a request whose path has no route, but would have one with its trailing
/// slash added or removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrailingSlash {
    /// `404 Not Found`: `/users/` and `/users` are different paths. The default.
    #[default]
    Strict,
    /// `308 Permanent Redirect` to the other form, query kept. The `Location` is built only
    /// when the other form matches a route, and never for a path starting with `//` or
    /// containing `\`, so it cannot point off-site.
    Redirect,
}

#[derive(Clone, Debug)]
pub(crate) struct RouterConfig {
    pub(crate) body_limit: usize,
    pub(crate) trailing_slash: TrailingSlash,
    pub(crate) handler_timeout: Duration,
    pub(crate) max_uri_len: usize,
}

impl Default for RouterConfig {
    fn default() -> RouterConfig {
        RouterConfig {
            body_limit: 2 << 20,
            trailing_slash: TrailingSlash::Strict,
            handler_timeout: Duration::from_secs(30),
            max_uri_len: 8 << 10,
        }
    }
}

/// The built application: an immutable route table with the state, cheap to clone
/// (one `Arc`).
///
/// It is a [`tower::Service`](tower_service::Service) over `http::Request<B>` for any body
/// `B`, so tower layers wrap it and any hyper setup serves it; [`Server`](crate::Server)
/// serves it with production defaults.
///
/// # Dispatch
///
/// 1. A request target longer than the limit is `414`; an HTTP/1.1 request without exactly
///    one `Host` header is `400`.
/// 2. The raw path is looked up (see [`router`](crate::router) for matching and priority).
/// 3. Found: the handler runs, with its parameters percent-decoded once. A `HEAD` request
///    answered by a `GET` route gets the headers of the `GET` response and no body. A panic
///    in the handler is caught: `500`, logged with the route, method and request id, and
///    the connection is closed (`connection: close`). A handler that runs longer than the
///    handler timeout is answered `503`.
/// 4. The path matches but not with this method: `OPTIONS` is answered `204` with `Allow`;
///    any other method `405` with `Allow`. `OPTIONS *` is `204` with every method the table
///    serves.
/// 5. Nothing matches: `404`, or a redirect under [`TrailingSlash::Redirect`].
#[derive(Clone)]
pub struct Router {
    inner: Arc<RouterInner>,
}

struct RouterInner {
    table: RouteTable<&'static Route>,
    state: Arc<StateMap>,
    config: RouterConfig,
    all_methods: MethodSet,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.inner.table.len())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// The client's request id, echoed in the logs and answers of failed requests. A constant
/// name: a string key would be parsed and lower-cased on every request.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The name the framing guard gives a `Content-Length` sent with `Transfer-Encoding`.
static CONFLICT_MARKER: HeaderName = HeaderName::from_static(crate::server::CONFLICT_MARKER);

impl Router {
    pub(crate) fn new(
        table: RouteTable<&'static Route>,
        state: Arc<StateMap>,
        config: RouterConfig,
    ) -> Router {
        let mut all_methods = table
            .iter()
            .fold(MethodSet::EMPTY, |acc, r| acc.union(r.methods()));
        if all_methods.contains(Method::Get) {
            all_methods = all_methods.with(Method::Head);
        }
        Router {
            inner: Arc::new(RouterInner {
                table,
                state,
                config,
                all_methods,
            }),
        }
    }

    /// The routes of the table, in the order of [`App::routes`](crate::App::routes).
    pub fn routes(&self) -> impl Iterator<Item = &'static Route> + '_ {
        self.inner.table.iter().copied()
    }

    /// The route table as [`App::serve`](crate::App::serve) prints it at start-up: grouped
    /// by crate, one line per route with its methods, path, handler and `file:line`.
    pub fn route_table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let routes: Vec<&Route> = self.routes().collect();
        let width = routes.iter().map(|r| r.path().len()).max().unwrap_or(0);
        let _ = writeln!(out, "routemark: {} routes", routes.len());
        let mut current_crate = "";
        for route in routes {
            if route.crate_name() != current_crate {
                current_crate = route.crate_name();
                let _ = writeln!(out, "  crate {current_crate}");
            }
            let _ = writeln!(
                out,
                "    {:<14} {:<width$}  {:<24} {}",
                route.methods().to_string(),
                route.path(),
                route.name(),
                route.location(),
            );
        }
        out
    }

    /// Answers one request.
    pub async fn handle(&self, request: http::Request<Body>) -> Response {
        match self.clone().dispatch(request, std::convert::identity).await {
            Ok(response) => response,
        }
    }

    /// [`handle`](Self::handle) for the server and the tower `Service`: the request's body
    /// becomes a [`Body`] through `into_body`, and the answer comes in the `Result` hyper's
    /// service wants. One `async fn` from the request to the handler's answer, owning its
    /// router, so the server's service returns this future itself: each wrapping future
    /// would move the request in and the response out once more (a `memcpy` of a few hundred
    /// bytes each).
    pub(crate) async fn dispatch<B>(
        self,
        request: http::Request<B>,
        into_body: impl FnOnce(B) -> Body,
    ) -> Result<Response, Infallible> {
        let (head, body) = request.into_parts();
        let body = into_body(body);
        let inner = &*self.inner;
        if uri_len(&head.uri) > inner.config.max_uri_len {
            return Ok(uri_too_long(inner.config.max_uri_len));
        }
        let fields = HeaderFacts::scan(&head.headers);
        if let Some(problem) = framing_problem(head.version, &fields) {
            let mut response = HttpError::bad_request(problem).into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return Ok(response);
        }

        let method = to_route_method(&head.method);
        let path = head.uri.path();
        if path == "*" {
            return Ok(if head.method == http::Method::OPTIONS {
                options_response(inner.all_methods.with(Method::Options))
            } else {
                HttpError::bad_request("the target `*` is only valid for `OPTIONS`").into_response()
            });
        }
        if head.method == http::Method::CONNECT {
            return Ok(HttpError::new(
                StatusCode::NOT_IMPLEMENTED,
                "`CONNECT` is not supported: this server routes resources, not tunnels",
            )
            .into_response());
        }
        let Some(method) = method else {
            return Ok(match allowed_methods(&inner.table, path) {
                Some(allow) => method_not_allowed(&head.method, allow),
                None => not_found(path),
            });
        };

        let (route, params) = match inner.table.lookup(method, path) {
            Lookup::Found {
                value: route,
                params,
            } => (route, params),
            Lookup::MethodNotAllowed { allow } if method == Method::Options => {
                return Ok(options_response(allow));
            }
            Lookup::MethodNotAllowed { allow } => {
                return Ok(method_not_allowed(&head.method, allow));
            }
            Lookup::NotFound => {
                return Ok(match self.trailing_slash_redirect(&head.uri) {
                    Some(response) => response,
                    None => not_found(path),
                });
            }
        };
        let base = path.as_ptr() as usize;
        let mut ranges = crate::request::ParamRanges::default();
        for param in params.iter() {
            let start = param.as_ptr() as usize - base;
            ranges.push(start..start + param.len());
        }
        // Kept for the logs and answers of failed requests (the id is built only then).
        let client_id = fields.request_id.cloned();
        let mut parts = RequestParts::new(
            head,
            inner.state.clone(),
            route.body_limit().unwrap_or(inner.config.body_limit),
        );
        parts.params = ranges;
        parts.route = Some(route);

        let timeout = inner.config.handler_timeout;
        // Only a request with a body needs its reading watched (an allocation per request).
        let progress = (!http_body::Body::is_end_stream(&body)).then(Arc::<BodyProgress>::default);
        let body = match &progress {
            Some(progress) => Body::new(WatchedBody {
                inner: body,
                progress: progress.clone(),
            }),
            None => body,
        };
        let handler = AssertUnwindSafe((route.handler())(parts, body)).catch_unwind();
        let mut handler = std::pin::pin!(handler);
        // Most handlers finish on their first poll: poll once before reading the clock or
        // building a timer, so that such a request costs neither. The deadline counts from
        // that first poll's end; it could not have interrupted that poll anyway.
        let first = std::future::poll_fn(|cx| Poll::Ready(handler.as_mut().poll(cx))).await;
        let outcome = match first {
            Poll::Ready(outcome) => Some(outcome),
            Poll::Pending => {
                // The handler timeout counts the time spent outside reading the request
                // body, which the server's body timeouts bound on their own (and report as
                // 408).
                let mut deadline = tokio::time::Instant::now() + timeout;
                loop {
                    tokio::select! {
                        biased;
                        outcome = &mut handler => break Some(outcome),
                        () = tokio::time::sleep_until(deadline) => match progress.as_ref().and_then(|p| p.deadline(timeout)) {
                            Some(later) if later > deadline => deadline = later,
                            _ => break None,
                        },
                    }
                }
            }
        };
        let mut response = match outcome {
            Some(Ok(response)) => response,
            Some(Err(panic)) => panicked(route, method, client_id.as_ref(), &*panic),
            None => timed_out(route, method, client_id.as_ref(), timeout),
        };
        if method == Method::Head {
            // Keep the length the GET would have sent, drop the bytes.
            let length = http_body::Body::size_hint(response.body()).exact();
            if let Some(length) = length {
                response
                    .headers_mut()
                    .entry(header::CONTENT_LENGTH)
                    .or_insert(HeaderValue::from(length));
            }
            *response.body_mut() = Body::empty();
        }
        Ok(response)
    }

    #[cold]
    fn trailing_slash_redirect(&self, uri: &http::Uri) -> Option<Response> {
        if self.inner.config.trailing_slash != TrailingSlash::Redirect {
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
        allowed_methods(&self.inner.table, &other)?;
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
}

/// The id of a failed request in the logs and its answer: the client's `x-request-id`, or
/// the next number of this process.
fn request_id(client_id: Option<&HeaderValue>) -> String {
    client_id
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| REQUEST_IDS.fetch_add(1, Ordering::Relaxed).to_string())
}

/// `500` for a handler that panicked, with `connection: close`; logged.
#[cold]
fn panicked(
    route: &Route,
    method: Method,
    client_id: Option<&HeaderValue>,
    panic: &(dyn std::any::Any + Send),
) -> Response {
    let request_id = request_id(client_id);
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    tracing::error!(
        route = route.path(),
        handler = route.name(),
        %method,
        request_id,
        panic = message,
        "handler panicked"
    );
    let mut response = HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the handler failed (request id {request_id})"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `503` for a handler that ran past the handler timeout; logged.
#[cold]
fn timed_out(
    route: &Route,
    method: Method,
    client_id: Option<&HeaderValue>,
    timeout: Duration,
) -> Response {
    let request_id = request_id(client_id);
    tracing::warn!(route = route.path(), %method, request_id, "handler timed out");
    HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the handler did not finish within {timeout:?} (request id {request_id})"),
    )
    .into_response()
}

#[cold]
fn uri_too_long(max_uri_len: usize) -> Response {
    HttpError::new(
        StatusCode::URI_TOO_LONG,
        format!("request target is longer than {max_uri_len} bytes"),
    )
    .into_response()
}

/// What dispatch reads from the request's header fields, found in one pass over them: a
/// request has few fields, and walking them costs less than hashing the names of the
/// lookups (the custom ones especially).
struct HeaderFacts<'a> {
    /// The framing guard marked a `Content-Length` sent with `Transfer-Encoding`.
    conflict: bool,
    hosts: usize,
    first_host: Option<&'a HeaderValue>,
    request_id: Option<&'a HeaderValue>,
}

impl<'a> HeaderFacts<'a> {
    fn scan(headers: &'a http::HeaderMap) -> HeaderFacts<'a> {
        let mut facts = HeaderFacts {
            conflict: false,
            hosts: 0,
            first_host: None,
            request_id: None,
        };
        for (name, value) in headers {
            if name == header::HOST {
                facts.hosts += 1;
                facts.first_host.get_or_insert(value);
            } else if *name == CONFLICT_MARKER {
                facts.conflict = true;
            } else if *name == REQUEST_ID {
                facts.request_id.get_or_insert(value);
            }
        }
        facts
    }
}

/// Rule: a request whose framing or `Host` is ambiguous never reaches a handler.
///
/// - `Content-Length` together with `Transfer-Encoding` (hyper strips the length; the
///   server's framing guard marks such requests, see `server/framing.rs`);
/// - on HTTP/1.1, anything but exactly one `Host` header holding a valid authority without
///   user information (RFC 9112 §3.2); on HTTP/1.0, more than one.
fn framing_problem(version: Version, fields: &HeaderFacts<'_>) -> Option<&'static str> {
    if fields.conflict {
        return Some("a request must not have both `Content-Length` and `Transfer-Encoding`");
    }
    match version {
        Version::HTTP_11 if fields.hosts != 1 => {
            Some("an HTTP/1.1 request must have exactly one `Host` header")
        }
        Version::HTTP_10 if fields.hosts > 1 => {
            Some("a request must not have several `Host` headers")
        }
        // At most one `Host` is left to check.
        Version::HTTP_10 | Version::HTTP_11 if !fields.first_host.is_none_or(is_valid_host) => {
            Some("the `Host` header is not a valid host")
        }
        _ => None,
    }
}

/// Whether a `Host` value is a valid authority without user information.
///
/// Parsing it as an `Authority` copies it to the heap, for every request; a client sends the
/// same `Host` on all its requests, so the last valid value on this thread is remembered
/// and a request with the same bytes skips the parse.
fn is_valid_host(value: &HeaderValue) -> bool {
    /// Longer values are checked every time rather than kept.
    const REMEMBERED_MAX: usize = 256;
    thread_local! {
        static LAST_VALID: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let bytes = value.as_bytes();
    if !bytes.is_empty() && LAST_VALID.with_borrow(|last| last.as_slice() == bytes) {
        return true;
    }
    let valid = value.to_str().is_ok_and(|text| {
        !text.is_empty() && !text.contains('@') && text.parse::<http::uri::Authority>().is_ok()
    });
    if valid && bytes.len() <= REMEMBERED_MAX {
        LAST_VALID.with_borrow_mut(|last| {
            last.clear();
            last.extend_from_slice(bytes);
        });
    }
    valid
}

/// Where the handler is with the request body: the handler timeout pauses while it reads.
#[derive(Default)]
struct BodyProgress(std::sync::Mutex<BodyPhase>);

#[derive(Default, Clone, Copy)]
enum BodyPhase {
    #[default]
    Untouched,
    /// Polled last at this instant.
    Reading(tokio::time::Instant),
    Done(tokio::time::Instant),
}

impl BodyProgress {
    fn phase(&self) -> std::sync::MutexGuard<'_, BodyPhase> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The handler's deadline as of now: `timeout` after the body was last polled or
    /// ended, or `None` when the body was never touched (the deadline from the start
    /// stands). A handler that stops reading half-way is timed out from its last read.
    fn deadline(&self, timeout: Duration) -> Option<tokio::time::Instant> {
        match *self.phase() {
            BodyPhase::Untouched => None,
            BodyPhase::Reading(at) | BodyPhase::Done(at) => Some(at + timeout),
        }
    }
}

/// The request body, reporting to [`BodyProgress`].
struct WatchedBody {
    inner: Body,
    progress: Arc<BodyProgress>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_))))
            || (polled.is_ready() && self.inner.is_end_stream());
        let now = tokio::time::Instant::now();
        *self.progress.phase() = if ended {
            BodyPhase::Done(now)
        } else {
            BodyPhase::Reading(now)
        };
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The length of `uri`'s `Display` form (`scheme://authority/path?query`), without
/// formatting it.
fn uri_len(uri: &http::Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| "?".len() + q.len())
}

fn to_route_method(method: &http::Method) -> Option<Method> {
    Some(match *method {
        http::Method::GET => Method::Get,
        http::Method::HEAD => Method::Head,
        http::Method::POST => Method::Post,
        http::Method::PUT => Method::Put,
        http::Method::PATCH => Method::Patch,
        http::Method::DELETE => Method::Delete,
        http::Method::OPTIONS => Method::Options,
        http::Method::TRACE => Method::Trace,
        _ => return None,
    })
}

/// The methods some route serves at `path`, with HEAD and OPTIONS implied; `None` when no
/// route matches the path at all. For methods routes cannot declare (CONNECT, extensions).
#[cold]
fn allowed_methods(table: &RouteTable<&'static Route>, path: &str) -> Option<MethodSet> {
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

#[cold]
fn options_response(allow: MethodSet) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, allow_header(allow));
    response
}

#[cold]
fn method_not_allowed(method: &http::Method, allow: MethodSet) -> Response {
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

#[cold]
fn not_found(path: &str) -> Response {
    let shown: String = path.chars().take(200).collect();
    HttpError::new(StatusCode::NOT_FOUND, format!("no route matches `{shown}`")).into_response()
}

impl<B> tower_service::Service<http::Request<B>> for Router
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        Box::pin(self.clone().dispatch(request, Body::new))
    }
}

#[cfg(test)]
mod tests {
    use super::uri_len;

    #[test]
    fn host_validity_does_not_depend_on_the_remembered_value() {
        let cases: [(&[u8], bool); 7] = [
            (b"example.com", true),
            (b"example.com:8080", true),
            (b"user@example.com", false),
            (b"", false),
            (b"exa mple.com", false),
            (b"example.com", true),
            (b"\xff", false),
        ];
        // Each value checked after every other one, so after each possible remembered value.
        let header = |bytes: &[u8]| http::HeaderValue::from_bytes(bytes).unwrap();
        for (before, _) in cases {
            for (value, valid) in cases {
                super::is_valid_host(&header(before));
                assert_eq!(
                    super::is_valid_host(&header(value)),
                    valid,
                    "{value:?} after {before:?}"
                );
            }
        }
    }

    #[test]
    fn uri_len_is_the_length_of_the_displayed_uri() {
        for text in [
            "/",
            "/a/b?x=1&y",
            "/?",
            "*",
            "http://example.com",
            "http://example.com/a?b",
            "https://user@example.com:8080/a/b?c=d",
            "example.com:443",
        ] {
            let uri: http::Uri = text.parse().unwrap();
            assert_eq!(uri_len(&uri), uri.to_string().len(), "{text}");
        }
    }
}
