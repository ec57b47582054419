//! Resilience per route: the handler's own timeout, a concurrency limit and a circuit
//! breaker with a fallback (`timeout = "2s"`, `concurrency = 32`, `breaker`,
//! `fallback = f`), each overridable by the overlay's resilience keys
//! ([`ResilienceOverride`]).
//!
//! ```text
//! route entry -> route layers -> Guard: breaker admits? -> a concurrency permit? -> handler (timeout)
//!                                       no: fallback or 503   no: fallback or 503      timed out: fallback or 503
//! ```
//!
//! The guard decides synchronously ([`Guard::enter`]) and records the answer
//! synchronously ([`Ticket::leave`]): no lock, and nothing held across an `await`; between
//! the two the handler runs as on the fast path, its request built in place. Only a refused
//! request's answer is boxed.
//!
//! A route that sets none of these has no [`Guard`] and keeps the fast path. What must
//! outlive a table swap (requests in the handler, the breaker and its window, the counters)
//! is a [`RouteState`] kept per route by the [`Registry`]; a swap keeps the breaker unless
//! its thresholds changed.

pub(crate) mod breaker;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::StatusCode;
use http::header::{self, HeaderValue};
use routemark_path::Method;
use tokio::time::Instant;

pub use breaker::BreakerState;
use breaker::{Admission, Breaker, MillisClock, Transition};

use crate::dispatch::run::{self, OnTimeout};
use crate::overlay::{BreakerOverride, ResilienceOverride};
use crate::request::RequestParts;
use crate::response::{HttpError, IntoResponse, Response};
use crate::route::{BreakerConfig, FallbackFn, Route};

/// The operator's switch on a route's breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Switch {
    ForceOpen,
    ForceClosed,
}

/// The settings in force for one route: its attribute's options with the overlay's
/// overrides over them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    timeout: Option<Duration>,
    concurrency: Option<u32>,
    breaker: Option<BreakerConfig>,
    switch: Option<Switch>,
}

impl Settings {
    pub(crate) fn of(route: &Route, over: Option<&ResilienceOverride>) -> Settings {
        let options = route.options();
        let mut settings = Settings {
            timeout: options.timeout(),
            concurrency: options.concurrency(),
            breaker: options.breaker(),
            switch: None,
        };
        let Some(over) = over else {
            return settings;
        };
        if let Some(ms) = over.timeout_ms {
            settings.timeout = Some(Duration::from_millis(ms));
        }
        if let Some(limit) = over.concurrency {
            settings.concurrency = Some(limit);
        }
        match over.breaker {
            Some(BreakerOverride::ForceOpen) => settings.switch = Some(Switch::ForceOpen),
            Some(BreakerOverride::ForceClosed) => settings.switch = Some(Switch::ForceClosed),
            Some(BreakerOverride::Thresholds {
                errors_percent,
                min_requests,
                window_ms,
                open_ms,
            }) => {
                // A key left out keeps the route's own threshold (or the default).
                let base = settings.breaker.unwrap_or_default();
                settings.breaker = Some(BreakerConfig::__new(
                    errors_percent.unwrap_or(base.errors_percent()),
                    min_requests.unwrap_or(base.min_requests()),
                    window_ms.map_or(base.window(), Duration::from_millis),
                    open_ms.map_or(base.open_for(), Duration::from_millis),
                ));
            }
            None => {}
        }
        settings
    }

    fn is_empty(&self) -> bool {
        *self == Settings::default()
    }
}

/// Counters of one route, kept across table swaps, for the metrics.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Requests answered at once because `concurrency` requests were in the handler.
    pub(crate) shed: AtomicU64,
    /// Handlers that ran past their timeout.
    pub(crate) timed_out: AtomicU64,
    /// Requests answered without calling the handler because the breaker was open (or
    /// forced open, or a trial was running).
    pub(crate) rejected: AtomicU64,
    /// Transitions into `closed`, `open` and `half_open`, in [`BreakerState`] order.
    pub(crate) transitions: [AtomicU64; 3],
}

/// What a route keeps across table swaps.
#[derive(Debug, Default)]
pub(crate) struct RouteState {
    /// Requests in the handler now.
    in_flight: AtomicUsize,
    /// The breaker in force, or the last one (reused while the thresholds stay the same).
    breaker: Mutex<Option<Arc<Breaker>>>,
    pub(crate) counters: Counters,
}

/// One [`RouteState`] per route of the application, across every table built.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    states: Mutex<HashMap<usize, (&'static Route, Arc<RouteState>)>>,
    /// The breakers' clock, based when the first breaker is made.
    clock: OnceLock<MillisClock>,
}

/// A route's resilience as the metrics show it.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) route: &'static Route,
    /// The state of its breaker; `None` when it has none.
    pub(crate) breaker: Option<BreakerState>,
    pub(crate) state: Arc<RouteState>,
}

fn key(route: &'static Route) -> usize {
    std::ptr::from_ref(route) as usize
}

impl Registry {
    fn state(&self, route: &'static Route) -> Arc<RouteState> {
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states
            .entry(key(route))
            .or_insert_with(|| (route, Arc::default()))
            .1
            .clone()
    }

    /// Drops `route`'s breaker, if it had one.
    fn forget_breaker(&self, route: &'static Route) {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, state)) = states.get(&key(route)) {
            *state.breaker.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    /// The state of `route`'s breaker, if it has one.
    pub(crate) fn breaker_state(&self, route: &'static Route) -> Option<BreakerState> {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, state) = states.get(&key(route))?;
        let breaker = state.breaker.lock().unwrap_or_else(PoisonError::into_inner);
        breaker.as_ref().map(|b| b.state())
    }

    /// Every route that has had resilience options, for the metrics: breaker state per
    /// route (a gauge), transitions, shed, rejected and timed-out requests (counters).
    pub(crate) fn snapshot(&self) -> Vec<Snapshot> {
        let states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        states
            .values()
            .map(|(route, state)| Snapshot {
                route,
                breaker: state
                    .breaker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_ref()
                    .map(|b| b.state()),
                state: state.clone(),
            })
            .collect()
    }
}

/// The resilience of one route entry, which the request runs through on its way to the
/// handler.
pub(crate) struct Guard {
    route: &'static Route,
    timeout: Option<Duration>,
    limit: Option<usize>,
    /// The breaker that admits and counts the route's requests: `None` without one, and
    /// while the operator's switch decides instead (the registry keeps it meanwhile).
    breaker: Option<Arc<Breaker>>,
    /// Under the operator's `force_open`: the `Retry-After` of every refusal.
    forced_open: Option<Duration>,
    fallback: Option<FallbackFn>,
    state: Arc<RouteState>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("route", &self.route.path())
            .field("timeout", &self.timeout)
            .field("limit", &self.limit)
            .field("breaker", &self.breaker)
            .field("forced_open", &self.forced_open)
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// The guard of `route` with `settings`, or `None` when they ask for nothing (the fast
    /// path). The breaker of the route's previous table is kept when its thresholds are the
    /// same, so a swap neither resets its window nor closes it.
    pub(crate) fn new(
        route: &'static Route,
        settings: Settings,
        registry: &Registry,
    ) -> Option<Arc<Guard>> {
        if settings.is_empty() {
            // An override took the options away: the breaker goes (and starts afresh if
            // it comes back).
            registry.forget_breaker(route);
            return None;
        }
        let state = registry.state(route);
        let breaker = {
            let mut kept = state.breaker.lock().unwrap_or_else(PoisonError::into_inner);
            match (settings.breaker, &*kept) {
                (Some(config), Some(breaker)) if breaker.config() == config => {
                    Some(breaker.clone())
                }
                (Some(config), _) => {
                    let clock = *registry
                        .clock
                        .get_or_init(|| MillisClock::new(Instant::now()));
                    let breaker = Arc::new(Breaker::new(config, clock));
                    *kept = Some(breaker.clone());
                    Some(breaker)
                }
                (None, _) => {
                    *kept = None;
                    None
                }
            }
        };
        Some(Arc::new(Guard {
            route,
            timeout: settings.timeout,
            limit: settings
                .concurrency
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            forced_open: (settings.switch == Some(Switch::ForceOpen)).then(|| {
                breaker
                    .as_ref()
                    .map_or(BreakerConfig::DEFAULT.open_for(), |b| b.config().open_for())
            }),
            breaker: breaker.filter(|_| settings.switch.is_none()),
            fallback: route.options().fallback(),
            state,
        }))
    }

    /// The handler's time limit: the route's own, else the application's.
    #[inline]
    pub(crate) fn timeout(&self, app_timeout: Duration) -> Duration {
        self.timeout.unwrap_or(app_timeout)
    }

    /// Whether a request may reach the handler, decided at once and without locking: the
    /// breaker (or the operator's switch), then a place among the `concurrency` allowed.
    /// A request let through gets a [`Ticket`] borrowing the guard, to be
    /// [`Ticket::leave`]d with its answer (or [`own`](Ticket::own)ed to wait); one refused
    /// gets the reason, which a [`Refusal`] answers.
    #[inline(always)]
    pub(crate) fn enter(&self) -> Result<Ticket<&Guard>, Refused> {
        let admission = if let Some(breaker) = &self.breaker {
            let (admission, transition) = breaker.admit(Instant::now);
            if let Some(transition) = transition {
                self.log(transition);
            }
            admission
        } else if let Some(retry_after) = self.forced_open {
            Admission::Reject(retry_after)
        } else {
            Admission::Pass
        };
        if let Admission::Reject(retry_after) = admission {
            self.state.counters.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Open(retry_after));
        }
        let mut ticket = Ticket {
            trial: admission == Admission::Trial,
            permit: false,
            recorded: false,
            timed_out: false,
            fallback: None,
            guard: self,
        };
        if let Some(limit) = self.limit {
            if !acquire(&self.state.in_flight, limit) {
                self.state.counters.shed.fetch_add(1, Ordering::Relaxed);
                ticket.record(true, Instant::now());
                return Err(Refused::Shed);
            }
            ticket.permit = true;
        }
        Ok(ticket)
    }

    fn log(&self, transition: Transition) {
        let route = self.route.path_without_query();
        let counters = &self.state.counters;
        let to = transition.to();
        counters.transitions[to.index()].fetch_add(1, Ordering::Relaxed);
        match transition {
            Transition::Opened { failures, requests } => tracing::warn!(
                route,
                handler = self.route.name(),
                from = "closed",
                to = to.as_str(),
                failures,
                requests,
                failure_rate = format_args!("{}%", failures * 100 / requests.max(1)),
                "circuit breaker opened"
            ),
            Transition::HalfOpened => tracing::info!(
                route,
                handler = self.route.name(),
                from = "open",
                to = to.as_str(),
                "circuit breaker half-open: one trial request"
            ),
            Transition::Closed => tracing::info!(
                route,
                handler = self.route.name(),
                from = "half_open",
                to = to.as_str(),
                "circuit breaker closed: the trial request succeeded"
            ),
            Transition::Reopened { failed } => tracing::warn!(
                route,
                handler = self.route.name(),
                from = "half_open",
                to = to.as_str(),
                trial = if failed { "failed" } else { "abandoned" },
                "circuit breaker opened again"
            ),
        }
    }
}

impl BreakerState {
    fn index(self) -> usize {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }
}

/// Why a guard turned a request away: the handler is not called.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refused {
    /// The breaker is open (or forced open, or a trial is running): retry after this long.
    Open(Duration),
    /// `concurrency` requests are in the handler.
    Shed,
}

impl Refused {
    /// `503` with `retry-after` (whole seconds, at least 1) and the JSON error.
    #[cold]
    fn answer(self, route: &'static Route, method: Method) -> Response {
        let (message, retry_after) = match self {
            Refused::Open(after) => (
                format!(
                    "`{method} {}` is unavailable: its circuit breaker is open",
                    route.path_without_query()
                ),
                after,
            ),
            Refused::Shed => (
                format!(
                    "`{method} {}` is at its concurrency limit; try again",
                    route.path_without_query()
                ),
                Duration::from_secs(1),
            ),
        };
        let mut response = HttpError::new(StatusCode::SERVICE_UNAVAILABLE, message).into_response();
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        response
    }
}

/// A request the guard let through: its breaker admission, its place among the
/// `concurrency` allowed, and the fallback's copy of the request. Its outcome is recorded
/// once, by [`Ticket::leave`]; dropped without one (the client went away), it gives its place
/// back, and a trial lets the next request be the trial.
pub(crate) struct Ticket<G: Deref<Target = Guard> = Arc<Guard>> {
    guard: G,
    /// The breaker's one trial request (else a request it let through closed).
    trial: bool,
    permit: bool,
    recorded: bool,
    timed_out: bool,
    /// Boxed: only routes with a fallback pay for the copy, and the request's future stays
    /// small for the others.
    fallback: Option<Box<(FallbackFn, RequestParts)>>,
}

impl<G: Deref<Target = Guard>> Ticket<G> {
    /// Keeps a copy of the request for the fallback, which answers a timeout with the
    /// request as the handler got it. Borrows the parts before they are put together, so
    /// that the request is still built in place for the handler.
    #[inline(always)]
    pub(crate) fn keep_for_fallback(&mut self, copy: impl FnOnce() -> RequestParts) {
        if let Some(fallback) = self.guard.fallback {
            self.fallback = Some(Box::new((fallback, copy())));
        }
    }

    /// Records the handler's answer, complete at `now`: a failure when it is a 5xx (a
    /// panic's 500 included) or the handler timed out. `now` is the caller's, which the
    /// request's metrics use too: one clock read for both.
    #[inline(always)]
    pub(crate) fn leave(mut self, response: &Response, now: Instant) {
        if self.timed_out {
            let counters = &self.guard.state.counters;
            counters.timed_out.fetch_add(1, Ordering::Relaxed);
        }
        let failed = self.timed_out || response.status().is_server_error();
        self.record(failed, now);
        if self.permit {
            self.permit = false;
            self.guard.state.in_flight.fetch_sub(1, Ordering::Release);
        }
        let kept = self.fallback.take();
        // Nothing is left for the drop to do, and a borrowed ticket holds nothing else to
        // drop: not calling it spares the request a call to the drop glue, which the
        // fallback's copy of the request makes too big to inline.
        if !std::mem::needs_drop::<G>() {
            std::mem::forget(self);
        }
        drop(kept);
    }

    #[inline(always)]
    fn record(&mut self, failed: bool, now: Instant) {
        self.recorded = true;
        let guard = &*self.guard;
        // Under the operator's switch, there is no breaker to tell.
        let Some(breaker) = &guard.breaker else {
            return;
        };
        let admission = if self.trial {
            Admission::Trial
        } else {
            Admission::Pass
        };
        if let Some(transition) = breaker.record(now, admission, failed) {
            guard.log(transition);
        }
    }
}

impl Ticket<&Guard> {
    /// The ticket of a request that goes on waiting, past the table it was admitted from:
    /// holding its guard.
    pub(crate) fn own(mut self, guard: Arc<Guard>) -> Ticket {
        let owned = Ticket {
            guard,
            trial: self.trial,
            permit: self.permit,
            recorded: self.recorded,
            timed_out: self.timed_out,
            fallback: self.fallback.take(),
        };
        // What the permit and the trial oblige the ticket to do is now the owned one's.
        self.permit = false;
        self.recorded = true;
        owned
    }
}

impl<G: Deref<Target = Guard>> Drop for Ticket<G> {
    fn drop(&mut self) {
        if self.permit {
            self.guard.state.in_flight.fetch_sub(1, Ordering::Release);
        }
        if !self.recorded && self.trial {
            self.abandon_trial();
        }
    }
}

impl<G: Deref<Target = Guard>> Ticket<G> {
    /// A trial request that ended without an answer (its future dropped): the breaker opens
    /// again.
    #[cold]
    #[inline(never)]
    fn abandon_trial(&self) {
        if let Some(transition) = self.guard.breaker.as_ref().and_then(|b| b.abandon_trial()) {
            self.guard.log(transition);
        }
    }
}

fn acquire(in_flight: &AtomicUsize, limit: usize) -> bool {
    let mut current = in_flight.load(Ordering::Relaxed);
    loop {
        if current >= limit {
            return false;
        }
        match in_flight.compare_exchange_weak(
            current,
            current + 1,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => return true,
            Err(now) => current = now,
        }
    }
}

/// A guarded handler's timeout: noted, and answered by the fallback when there is one.
/// `None`: the route has no guard, and its timeout gets the canned `503`.
impl OnTimeout for Option<&mut Ticket> {
    fn fallback(self) -> Option<crate::route::HandlerFuture> {
        let ticket = self?;
        ticket.timed_out = true;
        ticket
            .fallback
            .take()
            .map(|fallback| (fallback.0)(fallback.1))
    }
}

/// A request the guard refused: the breaker is open, or the route is at its concurrency
/// limit.
pub(crate) struct Refusal {
    guard: Arc<Guard>,
    why: Refused,
}

impl Refusal {
    pub(crate) fn new(guard: &Arc<Guard>, why: Refused) -> Refusal {
        Refusal {
            guard: guard.clone(),
            why,
        }
    }

    /// The answer: the fallback's, else `503` with `retry-after`. Boxed by the caller: it
    /// is the rare path, and its state should not weigh on the handler's future.
    pub(crate) async fn answer(
        self,
        parts: RequestParts,
        method: Method,
        client_id: Option<HeaderValue>,
    ) -> Response {
        let route = self.guard.route;
        let mut response = match self.guard.fallback {
            Some(fallback) => run::caught(fallback(parts), route, method, client_id.as_ref()).await,
            None => self.why.answer(route, method),
        };
        run::head_only(method, &mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::BreakerState;
    use crate::{App, Router, route};

    #[route(GET "/__resilience_counters/shed", concurrency = 1)]
    async fn one_at_a_time() -> &'static str {
        tokio::time::sleep(Duration::from_millis(50)).await;
        "done"
    }

    #[route(GET "/__resilience_counters/slow", timeout = "10ms", breaker(min_requests = 1))]
    async fn too_slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "never"
    }

    fn router() -> Router {
        App::with_routes(crate::routes().filter(|r| r.path().starts_with("/__resilience_counters")))
            .build()
            .unwrap()
    }

    fn get(path: &str) -> http::Request<crate::Body> {
        http::Request::get(path)
            .header("host", "test")
            .body(crate::Body::empty())
            .unwrap()
    }

    /// What the metrics read: shed, timed-out and refused requests, transitions and the
    /// breaker's state, per route.
    #[tokio::test]
    async fn counters_and_states_for_the_metrics() {
        let router = router();
        let (first, second) = tokio::join!(
            router.handle(get("/__resilience_counters/shed")),
            router.handle(get("/__resilience_counters/shed")),
        );
        let mut statuses = [first.status().as_u16(), second.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 503]);
        assert_eq!(
            router
                .handle(get("/__resilience_counters/slow"))
                .await
                .status(),
            503
        );
        assert_eq!(
            router
                .handle(get("/__resilience_counters/slow"))
                .await
                .status(),
            503
        );

        let snapshot = router.inner.shared.recipe.resilience.snapshot();
        let of = |name: &str| {
            snapshot
                .iter()
                .find(|s| s.route.name() == name)
                .expect("the route has resilience state")
        };
        let shed = of("one_at_a_time");
        assert_eq!(shed.breaker, None);
        assert_eq!(shed.state.counters.shed.load(Ordering::Relaxed), 1);
        let slow = of("too_slow");
        let counters = &slow.state.counters;
        assert_eq!(slow.breaker, Some(BreakerState::Open));
        assert_eq!(counters.timed_out.load(Ordering::Relaxed), 1);
        assert_eq!(counters.rejected.load(Ordering::Relaxed), 1);
        let transitions: Vec<u64> = counters
            .transitions
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .collect();
        assert_eq!(transitions, [0, 1, 0], "closed, open, half_open");
    }
}
