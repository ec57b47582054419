//! What happens to one request, in pipeline order:
//!
//! - `validate.rs`: the protocol checks every request passes first (target length, framing,
//!   `Host`);
//! - this file: the `App::layer` stack, then the lookup in the live table and where it leads
//!   (a handler, a route's layers, a nested service, the fallback, a canned answer);
//! - `run.rs`: running a handler (panic guard, handler timeout, `HEAD`);
//! - `answers.rs`: the framework's own answers (404, 405, `OPTIONS`, redirect, 500, 503).

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use http::request::Parts;
use routemark_path::Method;

pub(crate) mod answers;
pub(crate) mod run;
pub(crate) mod validate;

#[cfg(test)]
mod tests;

use crate::Body;
use crate::observe::metrics::ServerMetrics;
use crate::observe::{Builtin, Metrics, RouteMetrics, metrics, span};
use crate::request::RequestParts;
use crate::resilience::{Guard, Refusal, Ticket};
use crate::response::Response;
use crate::route::{HandlerFn, Route};
use crate::router::{Lookup, ParamRanges};
use crate::service::entry::{Entry, RouteEntry, RouteMatch, Table};
use crate::service::{MatchedRoute, OriginalUri, RouteFuture, RouteService, Router};
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
    fn caught(&self, mut response: Response) -> Response {
        self.catch(&mut response);
        response
    }

    /// [`caught`](Self::caught) in place.
    #[inline(always)]
    fn catch(&self, response: &mut Response) {
        match &self.inner.shared.recipe.config.catcher {
            // The answer's extensions are kept: a panic or timeout stays counted as one.
            Some(catcher) if !self.inner.behind_layers => {
                // A placeholder without allocation while the catcher has the answer.
                let answer = std::mem::replace(response, Response::new(Body::empty()));
                *response = catcher.render(answer);
            }
            _ => {}
        }
    }
}

impl Router {
    /// [`handle`](Self::handle) for the server and the tower `Service`: the request's body
    /// becomes a [`Body`] through `into_body`, and the answer comes in the `Result` hyper's
    /// service wants. One future from the request to the handler's answer, owning what it
    /// needs, so the server's service returns this future itself: each wrapping future would
    /// move the request in and the response out once more (a `memcpy` of a few hundred bytes
    /// each).
    ///
    /// Not an `async fn`: its arguments would stay in the future beside the locals made of
    /// them, and the request would take its space twice. The request is split here, and the
    /// `async` block owns the parts. The future is moved once per request over HTTP/2 (into a
    /// box or a task per stream, `server/stream_executor.rs`): its size is paid per request
    /// (`bench/src/bin/future_size.rs`).
    pub(crate) fn dispatch<B, F>(&self, request: http::Request<B>, into_body: F) -> RouteFuture
    where
        F: FnOnce(B) -> Body,
    {
        let (head, body) = request.into_parts();
        let body = into_body(body);
        self.route_request(head, body)
    }

    /// The rest of a handler's request that did not finish on its first poll (or was not
    /// polled yet, see [`run::poll_in_call`]), boxed: runs it to its answer, counted as
    /// active while it waits, and completes the answer. Not inlined (see
    /// [`through_global_layers`](Self::through_global_layers)).
    #[inline(never)]
    fn later_handler(
        &self,
        mut run: HandlerRun,
        started: Option<Instant>,
        method_index: usize,
    ) -> RouteFuture {
        let router = self.clone();
        RouteFuture::later(Box::pin(async move {
            let server = router.counting_metrics().map(|m| &m.server);
            let (response, handle, ended) = run.run(server).await;
            let timing = started.map(|started| (started, ended));
            Ok(router.answered(response, handle.as_ref(), false, timing, method_index))
        }))
    }

    /// The rest of a request that a service answers (a route's layers, a nested service,
    /// the fallback, the `App::layer` stack, a guard's refusal), boxed: `call`, counted as
    /// active from the start, then the answer completed. `caught`: the answer already went
    /// through the catcher.
    fn later_call(
        &self,
        call: impl Future<Output = (Response, Option<Arc<RouteMetrics>>)> + Send + 'static,
        caught: bool,
        started: Option<Instant>,
        method_index: usize,
    ) -> RouteFuture {
        let router = self.clone();
        RouteFuture::later(Box::pin(async move {
            let active = router.active(method_index);
            let (response, handle) = call.await;
            drop(active);
            let timing = started.map(|started| (started, None));
            Ok(router.answered(response, handle.as_ref(), caught, timing, method_index))
        }))
    }

    /// Counts a request as active (`http_server_active_requests`) until dropped.
    fn active(&self, method_index: usize) -> Option<metrics::Active<'_>> {
        self.counting_metrics()
            .map(|m| m.server.active(method_index))
    }

    /// The metrics this router counts requests in: none behind the `App::layer` stack,
    /// where the router in front counts, and times the layers too (the route's handle comes
    /// with the answer).
    #[inline(always)]
    fn counting_metrics(&self) -> Option<&Metrics> {
        if self.inner.behind_layers {
            None
        } else {
            self.inner.shared.recipe.observe.metrics.as_deref()
        }
    }

    /// [`answered`](Self::answered), not inlined: for the answers of the router's own that
    /// leave from `route_request` (a refused request, `404`, `405`), so that the handlers' path
    /// there has the only inlined copy.
    #[inline(never)]
    fn answered_aside(
        &self,
        response: Response,
        handle: Option<&Arc<RouteMetrics>>,
        caught: bool,
        timing: Option<(Instant, Option<Instant>)>,
        method_index: usize,
    ) -> Response {
        self.answered(response, handle, caught, timing, method_index)
    }

    /// The answer as it leaves: through the catcher (unless `caught` already), then
    /// counted, or, behind the `App::layer` stack, with the route's handle for the router in
    /// front.
    #[inline(always)]
    fn answered(
        &self,
        mut response: Response,
        handle: Option<&Arc<RouteMetrics>>,
        caught: bool,
        timing: Option<(Instant, Option<Instant>)>,
        method_index: usize,
    ) -> Response {
        self.answer(&mut response, handle, caught, timing, method_index);
        response
    }

    /// [`answered`](Self::answered) in place: on the handlers' path, the answer is not
    /// moved once more in and out (a copy of it each way).
    #[inline(always)]
    fn answer(
        &self,
        response: &mut Response,
        handle: Option<&Arc<RouteMetrics>>,
        caught: bool,
        timing: Option<(Instant, Option<Instant>)>,
        method_index: usize,
    ) {
        // The catcher first: the metrics count the status the client gets.
        if !caught {
            self.catch(response);
        }
        if self.inner.behind_layers {
            if let Some(handle) = handle
                && self.inner.shared.recipe.observe.metrics.is_some()
            {
                response
                    .extensions_mut()
                    .insert(MetricsHandle(handle.clone()));
            }
        } else {
            record(
                self.counting_metrics(),
                timing,
                handle.map(|handle| &**handle),
                method_index,
                response,
            );
        }
    }

    /// Validates and looks the request up, and starts what answers it: all that runs
    /// without waiting, before the future is made. Most requests are answered then, and
    /// their future is the answer itself, ready ([`RouteFuture::ready`]): through the
    /// catcher and counted, while the table is held. A request that waits (a handler that
    /// did not finish on its first poll, a route's layers, a nested service) gets a boxed
    /// future of what is left ([`RouteFuture::later`]), which holds a handle on the router
    /// and completes the answer as this does for the others.
    ///
    /// The future is as small as an answer (96 bytes): it is moved and written per request
    /// (over HTTP/2 the executor boxes each stream's), and a future of all the ways of
    /// waiting, unboxed, was three times that size. A handler that waits had a box for
    /// its timer, and a layer's call one for its future: the box of what is left takes their
    /// place. An `async fn` handler not polled in `call` ([`run::polls_in_call`]) gets it
    /// even when it finishes on its first poll.
    ///
    /// One function from the request's head to the shim's call: the head is copied once,
    /// into the shim's argument. Each function it went through on the way (even inlined)
    /// copied it into its parameter first.
    fn route_request(&self, mut head: Parts, body: Body) -> RouteFuture {
        // For the metrics.
        let counting = self.counting_metrics().is_some();
        let started = counting.then(Instant::now);
        let method_index = match counting {
            true => metrics::method_index(&head.method),
            false => 0,
        };
        // `ended`: when the answer was complete, if a guard read the clock for it.
        let timing = |ended: Option<Instant>| started.map(|started| (started, ended));
        let inner = &*self.inner;
        let shared = &*inner.shared;
        let client_id = if inner.behind_layers {
            // Checked before the layers; what they changed since is theirs.
            validate::request_id(&head.headers)
        } else {
            match validate::check(&head, shared.recipe.config.max_uri_len) {
                Ok(client_id) => client_id,
                Err(rejected) => {
                    let response = self.caught(rejected.answer());
                    span::answered(&head, None, response.status());
                    return RouteFuture::ready(self.answered_aside(
                        response,
                        None,
                        true,
                        timing(None),
                        method_index,
                    ));
                }
            }
        };
        if let Some(global) = &inner.global {
            return self.through_global_layers(
                head,
                body,
                client_id,
                global,
                started,
                method_index,
            );
        }
        // Held until the answer made at once is counted, on the route's handle it holds.
        let table = shared.live.load();
        let routed = find(&table, &mut head, &shared.recipe.config);
        match routed {
            Routed::Handler {
                route,
                handler,
                method,
                params,
                body_limit,
                guard,
                reads_state,
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
                    Some(tenant) => Some(tenant.state),
                    None => reads_state.then(|| shared.recipe.state.clone()),
                };
                // A guarded route's guard decides at once; the handler then runs as on the
                // unguarded path.
                let mut timeout = shared.recipe.config.handler_timeout;
                let mut admitted = Ok(None);
                if let Some(guard) = guard {
                    timeout = guard.timeout(timeout);
                    admitted = guard
                        .enter()
                        .map(Some)
                        .map_err(|why| Refusal::new(guard, why));
                }
                if let Ok(Some(ticket)) = &mut admitted {
                    // A fallback runs extractors of its own: it gets the state.
                    ticket.keep_for_fallback(|| RequestParts {
                        head: head.clone(),
                        params: params.clone(),
                        state: state.clone().or_else(|| Some(shared.recipe.state.clone())),
                        route: Some(route),
                        body_limit,
                    });
                }
                let polls_in_call = run::polls_in_call(head.version);
                match admitted {
                    Ok(ticket) => {
                        // `run::start`, with the request built whole in the shim's argument.
                        let (body, progress) = run::watch_body(body);
                        // In the span only when a subscriber wants it.
                        let entered = (!request_span.is_disabled()).then(|| request_span.enter());
                        let called = handler(
                            RequestParts {
                                head,
                                params,
                                state,
                                route: Some(route),
                                body_limit,
                            },
                            body,
                        );
                        drop(entered);
                        // A handler that cannot wait answered in its shim; another may have
                        // finished on its first poll. The answer stays in one place from the
                        // shim's return to the request's future.
                        let mut response = match called.into_answer() {
                            Ok(response) => response,
                            Err(handler) => {
                                let mut begun = run::waiting(handler, progress, &request_span);
                                match polls_in_call.then(|| run::poll_in_call(&mut begun)) {
                                    Some(Some(outcome)) => {
                                        run::settle(outcome, route, method, client_id.as_ref())
                                    }
                                    _ => {
                                        return self.later_handler(
                                            HandlerRun {
                                                started: begun,
                                                route,
                                                method,
                                                timeout,
                                                client_id,
                                                // It waits past the table: it holds the guard.
                                                ticket: ticket
                                                    .zip(guard)
                                                    .map(|(t, g)| t.own(g.clone())),
                                                request_span,
                                                matched,
                                                handle: handle.cloned(),
                                            },
                                            started,
                                            method_index,
                                        );
                                    }
                                }
                            }
                        };
                        // Completed here: the request's future is then the answer.
                        let ended = complete(&mut response, method, ticket, &request_span, matched);
                        self.answer(&mut response, handle, false, timing(ended), method_index);
                        RouteFuture::ready(response)
                    }
                    Err(refusal) => self.refused(
                        refusal,
                        RequestParts {
                            head,
                            params,
                            state,
                            route: Some(route),
                            body_limit,
                        },
                        method,
                        client_id,
                        request_span,
                        matched,
                        handle,
                        started,
                        method_index,
                    ),
                }
            }
            Routed::Elsewhere(elsewhere) => {
                self.route_elsewhere(elsewhere, head, body, client_id, started, method_index)
            }
        }
    }

    /// A guarded route's request its guard turned away: its fallback's answer, or `503`.
    /// Not inlined (see [`through_global_layers`](Self::through_global_layers)).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn refused(
        &self,
        refusal: Refusal,
        parts: RequestParts,
        method: Method,
        client_id: Option<http::HeaderValue>,
        request_span: tracing::Span,
        matched: Option<MatchedRoute>,
        handle: Option<&Arc<RouteMetrics>>,
        started: Option<Instant>,
        method_index: usize,
    ) -> RouteFuture {
        let handle = handle.cloned();
        let call = async move {
            let mut response = refusal.answer(parts, method, client_id).await;
            span::record_status(&request_span, response.status());
            if let Some(matched) = matched {
                response.extensions_mut().insert(matched);
            }
            (response, handle)
        };
        self.later_call(call, false, started, method_index)
    }

    /// [`route_request`](Self::route_request) for the App::layer stack: the request goes
    /// through it whole. Not inlined, like the routes that do not lead to a plain handler
    /// ([`route_elsewhere`](Self::route_elsewhere)): the handlers' path stays dense, and
    /// the instruction cache holds less per request.
    #[inline(never)]
    fn through_global_layers(
        &self,
        head: Parts,
        body: Body,
        client_id: Option<http::HeaderValue>,
        (layers, what): &(RouteService, &'static str),
        started: Option<Instant>,
        method_index: usize,
    ) -> RouteFuture {
        let request_span = span::request_span(
            &head.method,
            None,
            &head.uri,
            &head.headers,
            client_id.as_ref(),
        );
        let request = http::Request::from_parts(head, body);
        let call = layers.clone().call_caught(request, Failed::Service(what));
        let router = self.clone();
        let call = async move {
            let mut response = if request_span.is_disabled() {
                call.await
            } else {
                call.instrument(request_span.clone()).await
            };
            let handle = response.extensions_mut().remove::<MetricsHandle>();
            let response = router.caught(response);
            span::record_status(&request_span, response.status());
            (response, handle.map(|handle| handle.0))
        };
        self.later_call(call, true, started, method_index)
    }

    /// Where a request goes when its route is not a plain handler: a route's layers, a
    /// nested service, the fallback, a probe, or an answer of the router's own. Not inlined
    /// (see [`through_global_layers`](Self::through_global_layers)).
    #[inline(never)]
    fn route_elsewhere(
        &self,
        elsewhere: Elsewhere<'_>,
        head: Parts,
        body: Body,
        client_id: Option<http::HeaderValue>,
        started: Option<Instant>,
        method_index: usize,
    ) -> RouteFuture {
        let inner = &*self.inner;
        match elsewhere {
            Elsewhere::Layered {
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
                let handle = handle.cloned();
                let call = async move {
                    let call = service.call_caught(request, failed);
                    let mut response = if request_span.is_disabled() {
                        call.await
                    } else {
                        call.instrument(request_span.clone()).await
                    };
                    span::record_status(&request_span, response.status());
                    response.extensions_mut().insert(matched);
                    (response, handle)
                };
                self.later_call(call, false, started, method_index)
            }
            Elsewhere::Nested {
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
                let handle = handle.cloned();
                let call = async move {
                    let call = service.call_caught(request, Failed::Service("a nested service"));
                    let response = call.instrument(request_span.clone()).await;
                    span::record_status(&request_span, response.status());
                    (response, handle)
                };
                self.later_call(call, false, started, method_index)
            }
            Elsewhere::Fallback(service) => {
                let request_span = span::request_span(
                    &head.method,
                    None,
                    &head.uri,
                    &head.headers,
                    client_id.as_ref(),
                );
                let request = http::Request::from_parts(head, body);
                let call = async move {
                    let call =
                        service.call_caught(request, Failed::Service("the fallback service"));
                    let response = call.instrument(request_span.clone()).await;
                    span::record_status(&request_span, response.status());
                    (response, None)
                };
                self.later_call(call, false, started, method_index)
            }
            Elsewhere::Builtin { builtin, check } => {
                let router = self.clone();
                // Not counted: a probe or a scrape is not the application's traffic.
                RouteFuture::later(Box::pin(async move {
                    let check = check.map(|range| &head.uri.path()[range]);
                    let answer = router
                        .inner
                        .shared
                        .recipe
                        .observe
                        .answer(
                            builtin,
                            &head.method,
                            head.uri.query(),
                            head.headers.get(http::header::ACCEPT),
                            check,
                            None,
                        )
                        .await;
                    Ok(answer)
                }))
            }
            Elsewhere::Answer(answer) => {
                if !inner.behind_layers {
                    span::answered(&head, client_id.as_ref(), answer.status());
                }
                // For the next answer: a flood of `404`s allocates no header maps either.
                crate::spare_headers::keep(head.headers);
                let timing = started.map(|started| (started, None));
                RouteFuture::ready(self.answered_aside(answer, None, false, timing, method_index))
            }
        }
    }
}

/// A route's handler, called and not yet polled, with what its answer needs.
struct HandlerRun {
    started: run::Started,
    route: &'static Route,
    method: Method,
    timeout: Duration,
    client_id: Option<http::HeaderValue>,
    /// The guard's admission, for a route with a guard.
    ticket: Option<Ticket>,
    request_span: tracing::Span,
    matched: Option<MatchedRoute>,
    handle: Option<Arc<RouteMetrics>>,
}

impl HandlerRun {
    /// Runs the handler to its answer: a panic is caught (`500`, logged, `connection:
    /// close`), a handler that runs past its timeout is answered `503` (or by the guard's
    /// fallback), a `HEAD` request keeps the `GET` answer's headers and drops its body.
    ///
    /// Polls the handler first with the task's waker: it may not have been polled yet, or
    /// only where it was called ([`run::poll_in_call`]). Then, if it waits, the timer.
    ///
    /// `server`: the metrics that count the request as active while its handler waits.
    async fn run(
        &mut self,
        server: Option<&ServerMetrics>,
    ) -> (Response, Option<Arc<RouteMetrics>>, Option<Instant>) {
        if let Some(outcome) = run::first_poll(&mut self.started).await {
            let response = run::settle(outcome, self.route, self.method, self.client_id.as_ref());
            return self.complete(response);
        }
        let _active = server.map(|s| s.active(metrics::standard_method_index(self.method)));
        let response = run::wait(
            &mut self.started,
            self.route,
            self.method,
            self.timeout,
            self.client_id.as_ref(),
            self.ticket.as_mut(),
        )
        .await;
        self.complete(response)
    }

    /// The handler's answer as the request's: `HEAD` trimmed, the guard told, the span's
    /// status, the matched route for the layers. With a guard, also when the answer was
    /// complete: the guard's clock read, which the metrics reuse.
    fn complete(
        &mut self,
        mut response: Response,
    ) -> (Response, Option<Arc<RouteMetrics>>, Option<Instant>) {
        let ended = complete(
            &mut response,
            self.method,
            self.ticket.take(),
            &self.request_span,
            self.matched.take(),
        );
        (response, self.handle.take(), ended)
    }
}

/// [`HandlerRun::complete`], for a run or for a handler that answered in its shim: in
/// place, and returns the guard's clock read, if any.
#[inline(always)]
fn complete<G: Deref<Target = Guard>>(
    response: &mut Response,
    method: Method,
    ticket: Option<Ticket<G>>,
    request_span: &tracing::Span,
    matched: Option<MatchedRoute>,
) -> Option<Instant> {
    run::head_only(method, response);
    let ended = ticket.map(|ticket| {
        // The runtime's clock, as the guard's timing is (paused in tests that pause it);
        // outside such tests it is the same clock as `std`'s.
        let now = tokio::time::Instant::now();
        ticket.leave(response, now);
        now.into_std()
    });
    span::record_status(request_span, response.status());
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    ended
}

/// A route's metrics handle, from the router behind the `App::layer` stack to the one in
/// front, which counts the request.
#[derive(Clone)]
struct MetricsHandle(Arc<RouteMetrics>);

/// Counts an answered request: on `handle`, the route's series, else as unmatched; panics
/// and timeouts on the server's counters too. `timing`: when the request started and, if a
/// guard read the clock at its answer, when it ended (else the clock is read here).
#[inline(always)]
fn record(
    metrics: Option<&Metrics>,
    timing: Option<(Instant, Option<Instant>)>,
    handle: Option<&RouteMetrics>,
    method_index: usize,
    response: &Response,
) {
    let (Some(metrics), Some((started, ended))) = (metrics, timing) else {
        return;
    };
    let status = response.status();
    let handle = handle.unwrap_or(&metrics.unmatched);
    let elapsed = ended.unwrap_or_else(Instant::now).duration_since(started);
    handle.observe(method_index, status.as_u16(), elapsed);
    if status.is_server_error() {
        answers::count_failure(response, &metrics.server);
    }
}

/// Where the lookup leads, found while the table is held (a block without `await`): the
/// request then runs on what it found, whatever table is swapped in meanwhile.
enum Routed<'t> {
    /// A route without layers: the fast path.
    Handler {
        route: &'static Route,
        handler: HandlerFn,
        method: Method,
        params: ParamRanges,
        body_limit: usize,
        /// Its timeout, concurrency limit or breaker, when it has any.
        guard: Option<&'t Arc<Guard>>,
        /// Whether its handler's request carries the application state.
        reads_state: bool,
        metrics: Option<&'t Arc<RouteMetrics>>,
        /// The request's tenant, under tenancy.
        tenant: Option<TenantContext>,
    },
    /// Anywhere else: routed out of line ([`Router::route_elsewhere`]).
    Elsewhere(Elsewhere<'t>),
}

/// Where a request goes when its route is not a plain handler.
enum Elsewhere<'t> {
    /// A route with its layers.
    Layered {
        route: &'static Route,
        method: Method,
        params: ParamRanges,
        service: RouteService,
        metrics: Option<&'t Arc<RouteMetrics>>,
        tenant: Option<TenantContext>,
    },
    Nested {
        prefix_len: usize,
        service: RouteService,
        metrics: Option<&'t Arc<RouteMetrics>>,
    },
    Fallback(RouteService),
    /// A probe or `/metrics`, with the range of its `<check>` in the path.
    Builtin {
        builtin: Builtin,
        check: Option<std::ops::Range<usize>>,
    },
    Answer(Response),
}

impl Routed<'_> {
    /// An answer of the router's own (`404`, `405`, `OPTIONS`, a redirect, a refusal).
    fn answer(response: Response) -> Self {
        Routed::Elsewhere(Elsewhere::Answer(response))
    }
}

/// Looks the request up in `table`: as shared, unless the application has tenancy.
#[inline]
fn find<'t>(table: &'t Table, head: &mut Parts, config: &RouterConfig) -> Routed<'t> {
    match &table.tenants {
        None => find_in(table, head, config, None, head.uri.path()),
        Some(tenants) => find_tenant(table, tenants, head, config),
    }
}

/// Looks up the request of an application with tenancy: resolves its tenant, then looks
/// `path` up among the tenant's routes and the shared ones, with the tenant's prefix
/// stripped (path-prefix tenancy). The request then carries its tenant, and its target
/// without the prefix (the original in [`OriginalUri`]).
fn find_tenant<'t>(
    table: &'t Table,
    tenants: &'t Tenants,
    head: &mut Parts,
    config: &RouterConfig,
) -> Routed<'t> {
    let (scope, strip) = match tenants.resolve(head) {
        Resolved::Shared => return find_in(table, head, config, None, head.uri.path()),
        Resolved::Refused(response) => return Routed::answer(response),
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
    if let Routed::Handler { tenant, .. } | Routed::Elsewhere(Elsewhere::Layered { tenant, .. }) =
        &mut routed
    {
        *tenant = Some(context);
    }
    routed
}

/// Looks `path` up in `table`, among the shared routes and, for a tenant's request, the
/// tenant's (`scope`).
#[inline(always)]
fn find_in<'t>(
    table: &'t Table,
    head: &Parts,
    config: &RouterConfig,
    scope: Option<&Scope>,
    path: &str,
) -> Routed<'t> {
    if path == "*" {
        return Routed::answer(if head.method == http::Method::OPTIONS {
            answers::options(table.all_methods.with(Method::Options))
        } else {
            answers::unroutable(&head.method)
        });
    }
    if head.method == http::Method::CONNECT {
        return Routed::answer(answers::unroutable(&head.method));
    }
    let Some(method) = route_method(&head.method) else {
        return match answers::allowed_methods(&table.routes, path) {
            Some(allow) => Routed::answer(answers::method_not_allowed(&head.method, allow)),
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
            // A split's routes are not asked: their requests carry the state.
            let (route, handler, metrics, reads_state) = if entry.splits.is_none() {
                let metrics = entry.metrics.as_ref();
                (entry.route, entry.handler, metrics, entry.reads_state)
            } else {
                let (route, metrics) = split(entry, method, &head.headers);
                (route, route.handler(), metrics, true)
            };
            match (&entry.layered, &entry.guard) {
                (None, guard) => Routed::Handler {
                    route,
                    handler,
                    method,
                    params: params.into_ranges(),
                    body_limit: entry.body_limit,
                    guard: guard.as_ref(),
                    reads_state,
                    metrics,
                    tenant: None,
                },
                (Some(service), _) => Routed::Elsewhere(Elsewhere::Layered {
                    route,
                    method,
                    params: params.into_ranges(),
                    service: (**service).clone(),
                    metrics,
                    tenant: None,
                }),
            }
        }
        Lookup::Found {
            value: Entry::Nested(nested),
            ..
        } => Routed::Elsewhere(Elsewhere::Nested {
            prefix_len: nested.prefix.len(),
            service: nested.service.clone(),
            metrics: nested.metrics.as_ref(),
        }),
        Lookup::Found {
            value: Entry::Builtin(builtin),
            params,
        } => Routed::Elsewhere(Elsewhere::Builtin {
            builtin: *builtin,
            check: params.into_ranges().get(0),
        }),
        Lookup::MethodNotAllowed { allow } if method == Method::Options => {
            Routed::answer(answers::options(allow))
        }
        Lookup::MethodNotAllowed { allow } => {
            Routed::answer(answers::method_not_allowed(&head.method, allow))
        }
        Lookup::NotFound => not_found(table, head, config, scope.is_some()),
    }
}

/// The route method of a request's method, as `Method::from_token` reads its text (`None`
/// for `CONNECT` and extension methods): `http`'s standard methods compare by their tag.
#[inline]
fn route_method(method: &http::Method) -> Option<Method> {
    use http::Method as M;
    Some(if *method == M::GET {
        Method::Get
    } else if *method == M::POST {
        Method::Post
    } else if *method == M::PUT {
        Method::Put
    } else if *method == M::DELETE {
        Method::Delete
    } else if *method == M::PATCH {
        Method::Patch
    } else if *method == M::HEAD {
        Method::Head
    } else if *method == M::OPTIONS {
        Method::Options
    } else if *method == M::TRACE {
        Method::Trace
    } else {
        return None;
    })
}

/// The route (and metrics handle) a split entry's request goes to.
#[cold]
fn split<'t>(
    entry: &'t RouteEntry,
    method: Method,
    headers: &http::HeaderMap,
) -> (&'static Route, Option<&'t Arc<RouteMetrics>>) {
    let splits = entry
        .splits
        .as_deref()
        .map_or(&[][..], |splits| &splits[..]);
    match splits.iter().find(|(m, _)| *m == method) {
        Some((_, splitter)) => splitter.pick(headers),
        None => (entry.route, entry.metrics.as_ref()),
    }
}

/// No route: the redirect policy, else the fallback service, else `404`. A tenant's
/// request is not redirected: the other form would be looked up among the shared routes
/// only, and its `Location` would lose a path prefix.
#[cold]
fn not_found<'t>(
    table: &'t Table,
    head: &Parts,
    config: &RouterConfig,
    tenant: bool,
) -> Routed<'t> {
    if !tenant
        && let Some(redirect) =
            answers::trailing_slash_redirect(config.trailing_slash, &table.routes, &head.uri)
    {
        return Routed::answer(redirect);
    }
    match &table.fallback {
        Some(service) => Routed::Elsewhere(Elsewhere::Fallback(service.clone())),
        None => Routed::answer(answers::not_found(head.uri.path())),
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
