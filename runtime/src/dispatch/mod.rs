//! What happens to one request, in pipeline order:
//!
//! - `validate.rs`: the protocol checks every request passes first (target length, framing,
//!   `Host`);
//! - this file: the `App::layer` stack, then the lookup in the live table and where it leads
//!   (a handler, a route's layers, a nested service, the fallback, a canned answer);
//! - `run.rs`: running a handler (panic guard, handler timeout, `HEAD`);
//! - `answers.rs`: the framework's own answers (404, 405, `OPTIONS`, redirect, 500, 503).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use http::request::Parts;
use routemark_path::Method;

pub(crate) mod answers;
pub(crate) mod run;
pub(crate) mod validate;

use crate::Body;
use crate::observe::{Builtin, Metrics, RouteMetrics, metrics, span};
use crate::request::RequestParts;
use crate::resilience::Guard;
use crate::response::Response;
use crate::route::Route;
use crate::router::{Lookup, ParamRanges};
use crate::service::entry::{Entry, RouteEntry, RouteMatch, Table};
use crate::service::{MatchedRoute, OriginalUri, RouteService, Router};
use crate::tenant::{Resolved, Scope, TenantContext, Tenants};
use answers::Failed;

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

/// The router's settings, from [`App`](crate::App).
#[derive(Clone, Debug)]
pub(crate) struct RouterConfig {
    pub(crate) body_limit: usize,
    pub(crate) trailing_slash: TrailingSlash,
    pub(crate) handler_timeout: Duration,
    pub(crate) max_uri_len: usize,
    /// `App::catch`: renders every `HttpError` answer; `None` leaves them as they are.
    pub(crate) catcher: Option<answers::Catcher>,
}

impl Default for RouterConfig {
    fn default() -> RouterConfig {
        RouterConfig {
            body_limit: 2 << 20,
            trailing_slash: TrailingSlash::Strict,
            handler_timeout: Duration::from_secs(30),
            max_uri_len: 8 << 10,
            catcher: None,
        }
    }
}

impl Router {
    /// The answer as it leaves the router: through the catcher, if the application has one
    /// and this is not the router inside the `App::layer` stack (the outer one catches, once,
    /// after the layers). Without a catcher, one branch.
    #[inline(always)]
    fn caught(&self, response: Response) -> Response {
        match &self.inner.shared.recipe.config.catcher {
            // The answer's extensions are kept: a panic or timeout stays counted as one.
            Some(catcher) if !self.inner.behind_layers => catcher.render(response),
            _ => response,
        }
    }
}

impl Router {
    /// [`handle`](Self::handle) for the server and the tower `Service`: the request's body
    /// becomes a [`Body`] through `into_body`, and the answer comes in the `Result` hyper's
    /// service wants. One future from the request to the handler's answer, owning its
    /// router, so the server's service returns this future itself: each wrapping future
    /// would move the request in and the response out once more (a `memcpy` of a few hundred
    /// bytes each).
    ///
    /// Not an `async fn`: its arguments would stay in the future beside the locals made of
    /// them, and the request would take its space twice. The request is split here, and the
    /// `async` block owns the parts. The future is moved once per request over HTTP/2 (a task
    /// per stream): its size is paid per request (`bench/src/bin/future_size.rs`).
    pub(crate) fn dispatch<B>(
        self,
        request: http::Request<B>,
        into_body: impl FnOnce(B) -> Body,
    ) -> impl Future<Output = Result<Response, Infallible>> + Send {
        let (head, body) = request.into_parts();
        let body = into_body(body);
        self.dispatch_parts(head, body)
    }

    // Not an `async fn`, for the reason `dispatch` gives: the parts are the block's own.
    #[allow(clippy::manual_async_fn)]
    fn dispatch_parts(
        self,
        mut head: Parts,
        body: Body,
    ) -> impl Future<Output = Result<Response, Infallible>> + Send {
        async move {
            let inner = &*self.inner;
            let shared = &*inner.shared;
            let observe = &*shared.recipe.observe;
            // The router behind the `App::layer` stack leaves the counting to the one in front,
            // which times the layers too; it hands over the route's handle with the answer.
            let metrics = if inner.behind_layers {
                None
            } else {
                observe.metrics.as_deref()
            };
            let started = metrics.map(|_| Instant::now());
            let method_index = match metrics {
                Some(_) => metrics::method_index(&head.method),
                None => 0,
            };
            let active = metrics.map(|m| m.server.active(method_index));
            let client_id = if inner.behind_layers {
                // Checked before the layers; what they changed since is theirs.
                validate::request_id(&head.headers)
            } else {
                match validate::check(&head, shared.recipe.config.max_uri_len) {
                    Ok(client_id) => client_id,
                    Err(rejected) => {
                        let response = self.caught(rejected.answer());
                        span::answered(&head, None, response.status());
                        record(metrics, started, None, method_index, &response);
                        return Ok(response);
                    }
                }
            };
            if let Some((layers, what)) = &inner.global {
                let request_span = span::request_span(
                    &head.method,
                    None,
                    &head.uri,
                    &head.headers,
                    client_id.as_ref(),
                );
                let request = http::Request::from_parts(head, body);
                let call = Box::pin(layers.clone().call_caught(request, Failed::Service(what)));
                let mut response = if request_span.is_disabled() {
                    call.await
                } else {
                    call.instrument(request_span.clone()).await
                };
                let handle = response.extensions_mut().remove::<MetricsHandle>();
                let response = self.caught(response);
                span::record_status(&request_span, response.status());
                record(
                    metrics,
                    started,
                    handle.as_ref().map(|h| &*h.0),
                    method_index,
                    &response,
                );
                return Ok(response);
            }
            // Routing and what follows, inline: each `async fn` called here would move the
            // request into its own future once more.
            let routed = find(&shared.live.load(), &mut head, &shared.recipe.config);
            let (response, handle) = match routed {
                Routed::Handler {
                    route,
                    method,
                    params,
                    body_limit,
                    guard,
                    metrics: handle,
                    tenant,
                } => {
                    let request_span = span::request_span(
                        &head.method,
                        Some(route),
                        &head.uri,
                        &head.headers,
                        client_id.as_ref(),
                    );
                    span::record_tenant(&request_span, tenant.as_ref());
                    if inner.behind_layers {
                        span::name_current(&head.method, route);
                    }
                    let matched = shared
                        .layered
                        .then(|| MatchedRoute::new(route, tenant.as_ref()));
                    let state = match tenant {
                        Some(tenant) => tenant.state,
                        None => shared.recipe.state.clone(),
                    };
                    // A guarded route's guard decides at once; the handler then runs as on the
                    // unguarded path. One path for both: a second copy of the handler's run in
                    // this future made every request's future larger and slower to move.
                    let mut timeout = shared.recipe.config.handler_timeout;
                    let mut admitted = Ok(None);
                    if let Some(guard) = guard {
                        timeout = guard.timeout(timeout);
                        admitted = guard.enter().map(Some);
                    }
                    if let Ok(Some(ticket)) = &mut admitted {
                        ticket.keep_for_fallback(|| RequestParts {
                            head: head.clone(),
                            params: params.clone(),
                            state: state.clone(),
                            route: Some(route),
                            body_limit,
                        });
                    }
                    // Built whole, in place: the parameters are not written twice.
                    let parts = RequestParts {
                        head,
                        params,
                        state,
                        route: Some(route),
                        body_limit,
                    };
                    let mut response = match admitted {
                        Ok(mut ticket) => {
                            // In the span only when a subscriber wants it: then the handler's
                            // boxed future is wrapped, and the path without one stays as it was.
                            let started = run::start(route, parts, body).in_span(&request_span);
                            let id = client_id.as_ref();
                            let on_timeout = ticket.as_mut();
                            let response =
                                run::finish(started, route, method, timeout, id, on_timeout).await;
                            if let Some(ticket) = ticket {
                                ticket.leave(&response);
                            }
                            response
                        }
                        Err(refusal) => Box::pin(refusal.answer(parts, method, client_id)).await,
                    };
                    span::record_status(&request_span, response.status());
                    if let Some(matched) = matched {
                        response.extensions_mut().insert(matched);
                    }
                    (response, handle)
                }
                Routed::Layered {
                    route,
                    method,
                    params,
                    service,
                    metrics: handle,
                    tenant,
                } => {
                    let request_span = span::request_span(
                        &head.method,
                        Some(route),
                        &head.uri,
                        &head.headers,
                        client_id.as_ref(),
                    );
                    span::record_tenant(&request_span, tenant.as_ref());
                    if inner.behind_layers {
                        span::name_current(&head.method, route);
                    }
                    let matched = MatchedRoute::new(route, tenant.as_ref());
                    let mut request = http::Request::from_parts(head, body);
                    let extensions = request.extensions_mut();
                    extensions.insert(RouteMatch {
                        method,
                        params,
                        state: tenant.map(|tenant| tenant.state),
                    });
                    extensions.insert(matched);
                    let failed = Failed::Route {
                        path: route.path(),
                        handler: route.name(),
                    };
                    let call = Box::pin(service.call_caught(request, failed));
                    let mut response = if request_span.is_disabled() {
                        call.await
                    } else {
                        call.instrument(request_span.clone()).await
                    };
                    span::record_status(&request_span, response.status());
                    response.extensions_mut().insert(matched);
                    (response, handle)
                }
                Routed::Nested {
                    prefix_len,
                    service,
                    metrics: handle,
                } => {
                    let request_span = span::request_span(
                        &head.method,
                        None,
                        &head.uri,
                        &head.headers,
                        client_id.as_ref(),
                    );
                    let mut request = http::Request::from_parts(head, body);
                    let original = request.uri().clone();
                    *request.uri_mut() = strip_prefix(&original, prefix_len);
                    request.extensions_mut().insert(OriginalUri(original));
                    let call =
                        Box::pin(service.call_caught(request, Failed::Service("a nested service")));
                    let response = call.instrument(request_span.clone()).await;
                    span::record_status(&request_span, response.status());
                    (response, handle)
                }
                Routed::Fallback(service) => {
                    let request_span = span::request_span(
                        &head.method,
                        None,
                        &head.uri,
                        &head.headers,
                        client_id.as_ref(),
                    );
                    let request = http::Request::from_parts(head, body);
                    let call = Box::pin(
                        service.call_caught(request, Failed::Service("the fallback service")),
                    );
                    let response = call.instrument(request_span.clone()).await;
                    span::record_status(&request_span, response.status());
                    (response, None)
                }
                Routed::Builtin { builtin, check } => {
                    // Probes and scrapes are not the application's traffic: not counted.
                    drop(active);
                    let check = check.map(|range| &head.uri.path()[range]);
                    let response = observe
                        .answer(
                            builtin,
                            &head.method,
                            head.uri.query(),
                            head.headers.get(http::header::ACCEPT),
                            check,
                            None,
                        )
                        .await;
                    return Ok(response);
                }
                Routed::Answer(answer) => {
                    if !inner.behind_layers {
                        span::answered(&head, client_id.as_ref(), answer.status());
                    }
                    (answer, None)
                }
            };
            drop(active);
            // The catcher first: the metrics count the status the client gets.
            let mut response = self.caught(response);
            if inner.behind_layers {
                if let Some(handle) = handle
                    && observe.metrics.is_some()
                {
                    response.extensions_mut().insert(MetricsHandle(handle));
                }
            } else {
                record(metrics, started, handle.as_deref(), method_index, &response);
            }
            Ok(response)
        }
    }
}

/// A route's metrics handle, from the router behind the `App::layer` stack to the one in
/// front, which counts the request.
#[derive(Clone)]
struct MetricsHandle(Arc<RouteMetrics>);

/// Counts an answered request: on `handle`, the route's series, else as unmatched; panics
/// and timeouts on the server's counters too.
#[inline]
fn record(
    metrics: Option<&Metrics>,
    started: Option<Instant>,
    handle: Option<&RouteMetrics>,
    method_index: usize,
    response: &Response,
) {
    let (Some(metrics), Some(started)) = (metrics, started) else {
        return;
    };
    let status = response.status();
    let handle = handle.unwrap_or(&metrics.unmatched);
    handle.observe(method_index, status.as_u16(), started.elapsed());
    if status.is_server_error() {
        answers::count_failure(response, &metrics.server);
    }
}

/// Where the lookup leads, found while the table is held (a block without `await`): the
/// request then runs on what it found, whatever table is swapped in meanwhile.
enum Routed {
    /// A route without layers: the fast path.
    Handler {
        route: &'static Route,
        method: Method,
        params: ParamRanges,
        body_limit: usize,
        /// Its timeout, concurrency limit or breaker, when it has any.
        guard: Option<Arc<Guard>>,
        metrics: Option<Arc<RouteMetrics>>,
        /// The request's tenant, under tenancy.
        tenant: Option<TenantContext>,
    },
    /// A route with its layers.
    Layered {
        route: &'static Route,
        method: Method,
        params: ParamRanges,
        service: RouteService,
        metrics: Option<Arc<RouteMetrics>>,
        tenant: Option<TenantContext>,
    },
    Nested {
        prefix_len: usize,
        service: RouteService,
        metrics: Option<Arc<RouteMetrics>>,
    },
    Fallback(RouteService),
    /// A probe or `/metrics`, with the range of its `<check>` in the path.
    Builtin {
        builtin: Builtin,
        check: Option<std::ops::Range<usize>>,
    },
    Answer(Response),
}

/// Looks the request up in `table`: as shared, unless the application has tenancy.
#[inline]
fn find(table: &Table, head: &mut Parts, config: &RouterConfig) -> Routed {
    match &table.tenants {
        None => find_in(table, head, config, None, head.uri.path()),
        Some(tenants) => find_tenant(table, tenants, head, config),
    }
}

/// Looks up the request of an application with tenancy: resolves its tenant, then looks
/// `path` up among the tenant's routes and the shared ones, with the tenant's prefix
/// stripped (path-prefix tenancy). The request then carries its tenant, and its target
/// without the prefix (the original in [`OriginalUri`]).
fn find_tenant(
    table: &Table,
    tenants: &Tenants,
    head: &mut Parts,
    config: &RouterConfig,
) -> Routed {
    let (scope, strip) = match tenants.resolve(head) {
        Resolved::Shared => return find_in(table, head, config, None, head.uri.path()),
        Resolved::Refused(response) => return Routed::Answer(response),
        Resolved::Tenant { scope, strip } => (scope, strip),
    };
    let path = match head.uri.path().get(strip..) {
        Some("") | None => "/",
        Some(rest) => rest,
    };
    let mut routed = find_in(table, head, config, Some(scope), path);
    if strip > 0 {
        let original = head.uri.clone();
        head.uri = strip_prefix(&original, strip);
        head.extensions.insert(OriginalUri(original));
    }
    let context = TenantContext {
        name: scope.name,
        stripped: strip > 0,
        state: scope.state.clone(),
    };
    // For the `Tenant` and `MatchedRoute` extractors, and the route's layers.
    head.extensions.insert(context.clone());
    if let Routed::Handler { tenant, .. } | Routed::Layered { tenant, .. } = &mut routed {
        *tenant = Some(context);
    }
    routed
}

/// Looks `path` up in `table`, among the shared routes and, for a tenant's request, the
/// tenant's (`scope`).
#[inline]
fn find_in(
    table: &Table,
    head: &Parts,
    config: &RouterConfig,
    scope: Option<&Scope>,
    path: &str,
) -> Routed {
    if path == "*" {
        return Routed::Answer(if head.method == http::Method::OPTIONS {
            answers::options(table.all_methods.with(Method::Options))
        } else {
            answers::unroutable(&head.method)
        });
    }
    if head.method == http::Method::CONNECT {
        return Routed::Answer(answers::unroutable(&head.method));
    }
    let Some(method) = Method::from_token(head.method.as_str()) else {
        return match answers::allowed_methods(&table.routes, path) {
            Some(allow) => Routed::Answer(answers::method_not_allowed(&head.method, allow)),
            None => not_found(table, head, config, scope.is_some()),
        };
    };
    let lookup = match scope {
        None => table.routes.lookup(method, path),
        Some(scope) => table.routes.lookup_scoped(scope.subtree, method, path),
    };
    match lookup {
        Lookup::Found {
            value: Entry::Route(entry),
            params,
        } => {
            // A split route's request may go to another route's handler (same parameters).
            let (route, metrics) = if entry.splits.is_empty() {
                (entry.route, entry.metrics.clone())
            } else {
                split(entry, method, &head.headers)
            };
            match (&entry.layered, &entry.guard) {
                (None, guard) => Routed::Handler {
                    route,
                    method,
                    params: params.into_ranges(),
                    body_limit: entry.body_limit,
                    guard: guard.clone(),
                    metrics,
                    tenant: None,
                },
                (Some(service), _) => Routed::Layered {
                    route,
                    method,
                    params: params.into_ranges(),
                    service: service.clone(),
                    metrics,
                    tenant: None,
                },
            }
        }
        Lookup::Found {
            value: Entry::Nested(nested),
            ..
        } => Routed::Nested {
            prefix_len: nested.prefix.len(),
            service: nested.service.clone(),
            metrics: nested.metrics.clone(),
        },
        Lookup::Found {
            value: Entry::Builtin(builtin),
            params,
        } => Routed::Builtin {
            builtin: *builtin,
            check: params.into_ranges().get(0),
        },
        Lookup::MethodNotAllowed { allow } if method == Method::Options => {
            Routed::Answer(answers::options(allow))
        }
        Lookup::MethodNotAllowed { allow } => {
            Routed::Answer(answers::method_not_allowed(&head.method, allow))
        }
        Lookup::NotFound => not_found(table, head, config, scope.is_some()),
    }
}

/// The route (and metrics handle) a split entry's request goes to.
#[cold]
fn split(
    entry: &RouteEntry,
    method: Method,
    headers: &http::HeaderMap,
) -> (&'static Route, Option<Arc<RouteMetrics>>) {
    match entry.splits.iter().find(|(m, _)| *m == method) {
        Some((_, splitter)) => splitter.pick(headers),
        None => (entry.route, entry.metrics.clone()),
    }
}

/// No route: the redirect policy, else the fallback service, else `404`. A tenant's
/// request is not redirected: the other form would be looked up among the shared routes
/// only, and its `Location` would lose a path prefix.
#[cold]
fn not_found(table: &Table, head: &Parts, config: &RouterConfig, tenant: bool) -> Routed {
    if !tenant
        && let Some(redirect) =
            answers::trailing_slash_redirect(config.trailing_slash, &table.routes, &head.uri)
    {
        return Routed::Answer(redirect);
    }
    match &table.fallback {
        Some(service) => Routed::Fallback(service.clone()),
        None => Routed::Answer(answers::not_found(head.uri.path())),
    }
}

/// `uri` without the first `prefix_len` bytes of its path (`/legacy/a?b` → `/a?b`,
/// `/legacy` → `/`), for a nested service.
fn strip_prefix(uri: &http::Uri, prefix_len: usize) -> http::Uri {
    let rest = uri.path().get(prefix_len..).unwrap_or_default();
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    http::Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}
