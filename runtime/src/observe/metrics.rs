//! Request and server metrics, exposed through `prometheus-client`.
//!
//! The per-request path touches only atomics that were resolved before the request came:
//! each route entry holds its [`RouteMetrics`] (made once, in `App::build`, and kept across
//! table swaps), indexed by method and by a fixed list of common status codes. A status
//! outside that list takes a short lock the first time per route, method and status. No
//! request formats a label, looks up a map or allocates, and no request can add a series
//! that is not named by the route table: `http_route` is the template, or empty when
//! nothing matched, and a method outside the standard set is `_OTHER`.
//!
//! `prometheus-client`'s own `Histogram` takes a lock per observation; ours are atomics,
//! encoded through the crate's `Collector` API, so the exposition format is still the
//! crate's.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use routemark_path::Method;

use crate::route::Route;

/// OpenTelemetry's boundaries for `http.server.request.duration`, in seconds.
pub(crate) const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// [`BUCKETS`] in nanoseconds, which a request's duration is compared with: no division
/// into seconds per request.
const BUCKET_NANOS: [u64; BUCKETS.len()] = [
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    75_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    750_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    7_500_000_000,
    10_000_000_000,
];

/// The status whose timing sits beside its method's slot ([`MethodSlot::ok`]).
const OK: u16 = 200;

/// The other statuses with a slot of their own; others go to [`Series::rare`].
const COMMON_STATUSES: [u16; 23] = [
    201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 413, 415,
    422, 429, 500, 503,
];

fn common_slot(status: u16) -> Option<usize> {
    COMMON_STATUSES.iter().position(|&s| s == status)
}

/// The method labels: the standard methods, then `_OTHER`. `CONNECT` has its label though
/// no route serves it (the conventions list it).
const METHOD_LABELS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "_OTHER",
];

/// The label index of a request's method. `http`'s standard methods compare by their tag,
/// without reading their text.
pub(crate) fn method_index(method: &http::Method) -> usize {
    use http::Method as M;
    let standard = [
        M::GET,
        M::HEAD,
        M::POST,
        M::PUT,
        M::PATCH,
        M::DELETE,
        M::OPTIONS,
        M::TRACE,
        M::CONNECT,
    ];
    standard
        .iter()
        .position(|m| m == method)
        .unwrap_or(METHOD_LABELS.len() - 1)
}

/// The label index of a standard method, as [`method_index`] gives it.
pub(crate) fn standard_method_index(method: Method) -> usize {
    Method::ALL.iter().position(|&a| a == method).unwrap_or(9)
}

/// A duration histogram of atomics: one count per bucket (not cumulative; the encoder sums
/// them, and their total is the count) and the sum in nanoseconds. The sum first, beside the
/// first bucket: a quick request writes one cache line.
#[derive(Default)]
#[repr(C)]
pub(crate) struct Timing {
    sum_nanos: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len() + 1],
}

impl Timing {
    fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKET_NANOS
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    fn encode(
        &self,
        encoder: &mut prometheus_client::encoding::MetricEncoder<'_>,
        labels: &[(&str, &str)],
    ) -> fmt::Result {
        // Per bucket, not cumulative: the encoder adds them up.
        let buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .copied()
            // `f64::MAX` is how the crate spells the `+Inf` bucket.
            .chain([f64::MAX])
            .zip(&self.buckets)
            .map(|(bound, count)| (bound, count.load(Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        encoder
            .encode_family(&labels)?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, count, &buckets, None)
    }
}

/// One method of a route: its `200` timing, and the series of its other statuses.
///
/// The `200` timing is here, not in [`Series`]: a common request then reads this slot (the
/// route's metrics) and its timing, and not the series' line between them.
#[derive(Default)]
struct MethodSlot {
    ok: OnceLock<Box<Timing>>,
    /// `None` for a method the route cannot see.
    series: Option<Box<Series>>,
}

impl MethodSlot {
    /// Every status seen, in order, with its timing.
    fn each(&self, f: impl FnMut(u16, &Timing) -> fmt::Result) -> fmt::Result {
        match &self.series {
            Some(series) => series.each(self.ok.get().map(|ok| &**ok), f),
            None => Ok(()),
        }
    }
}

/// One method's series of a route, by status, but `200` ([`MethodSlot::ok`]).
#[derive(Default)]
struct Series {
    common: [OnceLock<Box<Timing>>; COMMON_STATUSES.len()],
    rare: Mutex<Vec<(u16, Arc<Timing>)>>,
}

impl Series {
    #[inline(always)]
    fn observe(&self, status: u16, elapsed: Duration) {
        match common_slot(status) {
            Some(slot) => self.common[slot].get_or_init(Box::default).observe(elapsed),
            None => self.observe_rare(status, elapsed),
        }
    }

    /// [`observe`](Self::observe) for a status without a slot of its own.
    #[cold]
    fn observe_rare(&self, status: u16, elapsed: Duration) {
        let timing = {
            let mut rare = self.rare.lock().unwrap_or_else(PoisonError::into_inner);
            match rare.iter().find(|(s, _)| *s == status) {
                Some((_, timing)) => timing.clone(),
                None => {
                    let timing = Arc::<Timing>::default();
                    rare.push((status, timing.clone()));
                    timing
                }
            }
        };
        timing.observe(elapsed);
    }

    /// Every status seen, in order, with its timing; `ok` is the method's `200` timing.
    fn each(
        &self,
        ok: Option<&Timing>,
        mut f: impl FnMut(u16, &Timing) -> fmt::Result,
    ) -> fmt::Result {
        let mut rare: Vec<(u16, Arc<Timing>)> = self
            .rare
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut all: Vec<(u16, &Timing)> = COMMON_STATUSES
            .iter()
            .zip(&self.common)
            .filter_map(|(&status, timing)| timing.get().map(|t| (status, &**t)))
            .collect();
        all.extend(ok.map(|ok| (OK, ok)));
        all.extend(rare.iter_mut().map(|(status, timing)| (*status, &**timing)));
        all.sort_by_key(|(status, _)| *status);
        all.into_iter()
            .try_for_each(|(status, timing)| f(status, timing))
    }
}

/// The request metrics of one route (or of what no route matched: an empty template).
pub(crate) struct RouteMetrics {
    template: Box<str>,
    /// The `tenant` label of a tenant route's series: one of the declared tenants, so the
    /// label set stays bounded. Shared routes have none, whoever reaches them.
    tenant: Option<&'static str>,
    /// By [`METHOD_LABELS`] index; series only for the methods this route can see.
    methods: [MethodSlot; METHOD_LABELS.len()],
}

impl RouteMetrics {
    fn new(template: &str, methods: impl IntoIterator<Item = usize>) -> RouteMetrics {
        let mut slots: [MethodSlot; METHOD_LABELS.len()] = Default::default();
        for index in methods {
            slots[index].series = Some(Box::default());
        }
        RouteMetrics {
            template: template.into(),
            tenant: None,
            methods: slots,
        }
    }

    /// Counts one answered request.
    #[inline]
    pub(crate) fn observe(&self, method: usize, status: u16, elapsed: Duration) {
        // A method the route does not serve cannot reach it; counted as unmatched would
        // need the other handle, so it is dropped (never a new series).
        let slot = &self.methods[method];
        if let Some(series) = &slot.series {
            if status == OK {
                slot.ok.get_or_init(Box::default).observe(elapsed);
            } else {
                series.observe(status, elapsed);
            }
        }
    }
}

/// Why a connection was closed, a label of `routemark_connection_closes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client closed it, or it ended after `connection: close`.
    Normal,
    /// No byte either way for the idle timeout.
    Idle,
    /// A request head not complete within the header read timeout.
    HeaderTimeout,
    /// A request body not complete within its timeouts.
    BodyTimeout,
    /// The client stopped reading the answer.
    WriteStall,
    /// A request head over the size limits (`431`).
    TooLarge,
    /// A request that does not parse, or fails the framing checks (`400`).
    BadRequest,
    /// The server shut down.
    Shutdown,
    /// Any other I/O error.
    Error,
}

impl CloseReason {
    const ALL: [CloseReason; 9] = [
        CloseReason::Normal,
        CloseReason::Idle,
        CloseReason::HeaderTimeout,
        CloseReason::BodyTimeout,
        CloseReason::WriteStall,
        CloseReason::TooLarge,
        CloseReason::BadRequest,
        CloseReason::Shutdown,
        CloseReason::Error,
    ];

    fn label(self) -> &'static str {
        match self {
            CloseReason::Normal => "normal",
            CloseReason::Idle => "idle",
            CloseReason::HeaderTimeout => "header_timeout",
            CloseReason::BodyTimeout => "body_timeout",
            CloseReason::WriteStall => "write_stall",
            CloseReason::TooLarge => "too_large",
            CloseReason::BadRequest => "bad_request",
            CloseReason::Shutdown => "shutdown",
            CloseReason::Error => "error",
        }
    }
}

/// Why a connection is being closed, when the server decided it (a timeout, a stall):
/// set by the connection's I/O guard or request body, read when the connection ends.
/// hyper reports some of these closes as a clean end, so the error alone cannot tell.
#[derive(Debug, Default)]
pub(crate) struct Fate(std::sync::atomic::AtomicU8);

impl Fate {
    pub(crate) fn set(&self, reason: CloseReason) {
        self.0.store(reason as u8 + 1, Relaxed);
    }

    pub(crate) fn get(&self) -> Option<CloseReason> {
        match self.0.load(Relaxed) {
            0 => None,
            n => CloseReason::ALL.get(usize::from(n - 1)).copied(),
        }
    }
}

/// The server's own counters.
#[derive(Default)]
pub(crate) struct ServerMetrics {
    pub(crate) open_connections: AtomicI64,
    closes: [AtomicU64; CloseReason::ALL.len()],
    pub(crate) panics: AtomicU64,
    pub(crate) handler_timeouts: AtomicU64,
    pub(crate) overlay_applied: AtomicU64,
    pub(crate) overlay_rejected: AtomicU64,
    active: [AtomicI64; METHOD_LABELS.len()],
}

impl ServerMetrics {
    pub(crate) fn closed(&self, reason: CloseReason) {
        self.open_connections.fetch_sub(1, Relaxed);
        self.closes[reason as usize].fetch_add(1, Relaxed);
    }

    pub(crate) fn closes(&self, reason: CloseReason) -> u64 {
        self.closes[reason as usize].load(Relaxed)
    }

    /// A request of method index `method` is waiting; the guard ends it.
    #[inline]
    pub(crate) fn active(&self, method: usize) -> Active<'_> {
        self.active[method].fetch_add(1, Relaxed);
        Active {
            gauge: &self.active[method],
        }
    }
}

/// Counts a request as active until dropped (also when its future is dropped midway).
pub(crate) struct Active<'a> {
    gauge: &'a AtomicI64,
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.gauge.fetch_sub(1, Relaxed);
    }
}

/// Every metric of one application: the route handles (kept across table swaps, so a
/// route's counts survive a reload), the unmatched requests' handle, the server's counters.
pub(crate) struct Metrics {
    routes: Mutex<HashMap<usize, Arc<RouteMetrics>>>,
    /// Extra handles (nested services by prefix), by key.
    named: Mutex<HashMap<String, Arc<RouteMetrics>>>,
    pub(crate) unmatched: Arc<RouteMetrics>,
    pub(crate) server: ServerMetrics,
    /// The routes' resilience state (breakers, shed and timed-out requests), set when the
    /// application is built.
    pub(crate) resilience: OnceLock<Arc<crate::resilience::Registry>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            routes: Mutex::default(),
            named: Mutex::default(),
            unmatched: Arc::new(RouteMetrics::new("", 0..METHOD_LABELS.len())),
            server: ServerMetrics::default(),
            resilience: OnceLock::new(),
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The handle of `route`, made on first use and the same for every table afterwards.
    pub(crate) fn route(&self, route: &'static Route) -> Arc<RouteMetrics> {
        let key = std::ptr::from_ref(route) as usize;
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        routes
            .entry(key)
            .or_insert_with(|| {
                let mut methods = route.methods();
                if methods.contains(Method::Get) {
                    methods = methods.with(Method::Head);
                }
                let indexes = methods
                    .iter()
                    .filter_map(|m| Method::ALL.iter().position(|&a| a == m));
                let mut handle = RouteMetrics::new(route.path_without_query(), indexes);
                handle.tenant = route.tenant();
                Arc::new(handle)
            })
            .clone()
    }

    /// The handle of a nested service, by its prefix: every method.
    pub(crate) fn nested(&self, prefix: &str) -> Arc<RouteMetrics> {
        let mut named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
        named
            .entry(prefix.to_owned())
            .or_insert_with(|| Arc::new(RouteMetrics::new(prefix, 0..METHOD_LABELS.len())))
            .clone()
    }

    /// The registry to encode: the request and server metrics, through collectors that
    /// read the atomics at scrape time.
    pub(crate) fn registry(self: &Arc<Metrics>) -> Registry {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(MetricsCollector(self.clone())));
        registry
    }
}

#[derive(Debug)]
struct MetricsCollector(Arc<Metrics>);

impl Collector for MetricsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let metrics = &*self.0;
        let mut handles: Vec<Arc<RouteMetrics>> = metrics
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        handles.extend(
            metrics
                .named
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .cloned(),
        );
        handles.push(metrics.unmatched.clone());
        handles.sort_by(|a, b| (&a.template, a.tenant).cmp(&(&b.template, b.tenant)));
        {
            let mut family = encoder.encode_descriptor(
                "http_server_request_duration_seconds",
                "Duration of HTTP server requests, until the answer's head is ready.",
                None,
                MetricType::Histogram,
            )?;
            for handle in &handles {
                for (index, slot) in handle.methods.iter().enumerate() {
                    slot.each(|status, timing| {
                        let status = status.to_string();
                        let mut labels = vec![
                            ("http_request_method", METHOD_LABELS[index]),
                            ("http_route", &*handle.template),
                            ("http_response_status_code", status.as_str()),
                        ];
                        if let Some(tenant) = handle.tenant {
                            labels.push(("tenant", tenant));
                        }
                        timing.encode(&mut family, &labels)
                    })?;
                }
            }
        }
        let server = &metrics.server;
        {
            let mut family = encoder.encode_descriptor(
                "http_server_active_requests",
                "Number of active HTTP server requests.",
                None,
                MetricType::Gauge,
            )?;
            for (label, gauge) in METHOD_LABELS.iter().zip(&server.active) {
                let labels = [("http_request_method", *label)];
                ConstGauge::new(gauge.load(Relaxed)).encode(family.encode_family(&labels)?)?;
            }
        }
        let open = ConstGauge::new(server.open_connections.load(Relaxed));
        open.encode(encoder.encode_descriptor(
            "routemark_open_connections",
            "Number of open client connections.",
            None,
            open.metric_type(),
        )?)?;
        {
            let mut family = encoder.encode_descriptor(
                "routemark_connection_closes",
                "Client connections closed, by reason.",
                None,
                MetricType::Counter,
            )?;
            for reason in CloseReason::ALL {
                let labels = [("reason", reason.label())];
                ConstCounter::new(server.closes(reason)).encode(family.encode_family(&labels)?)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "routemark_overlay_reloads",
                "Overlay changes, applied or rejected (the table in force kept serving).",
                None,
                MetricType::Counter,
            )?;
            for (result, value) in [
                ("applied", &server.overlay_applied),
                ("rejected", &server.overlay_rejected),
            ] {
                ConstCounter::new(value.load(Relaxed))
                    .encode(family.encode_family(&[("result", result)])?)?;
            }
        }
        for (name, help, value) in [
            (
                "routemark_panics",
                "Panics caught in handlers, layers and services.",
                &server.panics,
            ),
            (
                "routemark_handler_timeouts",
                "Requests answered 503 because the handler ran past its timeout.",
                &server.handler_timeouts,
            ),
        ] {
            let counter = ConstCounter::new(value.load(Relaxed));
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        if let Some(resilience) = metrics.resilience.get() {
            encode_resilience(resilience, &mut encoder)?;
        }
        Ok(())
    }
}

/// Per route with resilience options: the breaker's state (a gauge per state, 1 for the
/// current one), its transitions by the state entered, and the requests shed, refused by
/// the breaker and timed out. Series exist only for routes that declare (or were given)
/// these options: no request adds one.
fn encode_resilience(
    registry: &crate::resilience::Registry,
    encoder: &mut DescriptorEncoder<'_>,
) -> fmt::Result {
    use crate::resilience::{BreakerState, Counters};

    let mut routes = registry.snapshot();
    routes.sort_by_key(|r| (r.route.path_without_query(), r.route.line()));
    let states = [
        BreakerState::Closed,
        BreakerState::Open,
        BreakerState::HalfOpen,
    ];
    {
        let mut family = encoder.encode_descriptor(
            "routemark_breaker_state",
            "State of each route's circuit breaker: 1 for the state it is in.",
            None,
            MetricType::Gauge,
        )?;
        for route in routes.iter().filter(|r| r.breaker.is_some()) {
            for state in states {
                let labels = [
                    ("http_route", route.route.path_without_query()),
                    ("state", state.as_str()),
                ];
                let value = i64::from(route.breaker == Some(state));
                ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
    }
    {
        let mut family = encoder.encode_descriptor(
            "routemark_breaker_transitions",
            "Circuit breaker transitions, by the state entered.",
            None,
            MetricType::Counter,
        )?;
        for route in routes.iter().filter(|r| r.breaker.is_some()) {
            for (state, count) in states.iter().zip(&route.state.counters.transitions) {
                let labels = [
                    ("http_route", route.route.path_without_query()),
                    ("to", state.as_str()),
                ];
                ConstCounter::new(count.load(Relaxed)).encode(family.encode_family(&labels)?)?;
            }
        }
    }
    /// A counter of a route's resilience state.
    type Read = fn(&Counters) -> &AtomicU64;
    let counters: [(&str, &str, Read); 3] = [
        (
            "routemark_shed_requests",
            "Requests answered at once because the route's concurrency limit was reached.",
            |c| &c.shed,
        ),
        (
            "routemark_breaker_rejected_requests",
            "Requests answered without calling the handler: breaker open or forced open.",
            |c| &c.rejected,
        ),
        (
            "routemark_route_timeouts",
            "Requests whose handler ran past the route's own timeout option.",
            |c| &c.timed_out,
        ),
    ];
    for (name, help, read) in counters {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
        for route in &routes {
            let labels = [("http_route", route.route.path_without_query())];
            let value = read(&route.state.counters).load(Relaxed);
            ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
        }
    }
    Ok(())
}

/// The registry in OpenMetrics text (`prometheus-client`'s own encoding).
pub(crate) fn openmetrics(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a `String` cannot fail; a collector's error would show as a cut answer.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

/// The registry in the Prometheus text format 0.0.4. The crate encodes OpenMetrics only;
/// for the metric types used here the two formats differ in two points, adjusted here: a
/// counter's family is named with its `_total` suffix (OpenMetrics names the family
/// without it), and there is no `# EOF` line.
pub(crate) fn prometheus_text(registry: &Registry) -> String {
    let mut open = String::new();
    let _ = prometheus_client::encoding::text::encode_registry(&mut open, registry);
    let mut counters = std::collections::HashSet::new();
    for line in open.lines() {
        if let Some(name) = line
            .strip_prefix("# TYPE ")
            .and_then(|rest| rest.strip_suffix(" counter"))
        {
            counters.insert(name.to_owned());
        }
    }
    let mut out = String::with_capacity(open.len() + 64);
    for line in open.lines() {
        let renamed = ["# TYPE ", "# HELP "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(line) => out.push_str(&line),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_lands_in_the_first_bucket_that_holds_it() {
        let timing = Timing::default();
        timing.observe(Duration::from_millis(5)); // on the bound: `le` is inclusive
        timing.observe(Duration::from_millis(6));
        timing.observe(Duration::from_secs(11)); // past the last bound: +Inf only
        let counts: Vec<u64> = timing.buckets.iter().map(|b| b.load(Relaxed)).collect();
        assert_eq!(counts[0], 1);
        assert_eq!(counts[1], 1);
        assert_eq!(counts[BUCKETS.len()], 1);
        assert_eq!(counts.iter().sum::<u64>(), 3);
        assert_eq!(timing.sum_nanos.load(Relaxed), 11_011_000_000);
    }

    #[test]
    fn the_bounds_in_nanoseconds_are_the_bounds_in_seconds() {
        for (nanos, seconds) in BUCKET_NANOS.iter().zip(BUCKETS) {
            assert_eq!(*nanos as f64 / 1e9, seconds);
        }
        let timing = Timing::default();
        // Just past a bound: the next bucket.
        timing.observe(Duration::from_nanos(10_000_001));
        assert_eq!(timing.buckets[2].load(Relaxed), 1);
    }

    #[test]
    fn the_method_index_is_the_label_and_the_route_table_order() {
        for (index, method) in Method::ALL.iter().enumerate() {
            let token = http::Method::from_bytes(method.as_str().as_bytes()).unwrap();
            assert_eq!(method_index(&token), index);
            assert_eq!(standard_method_index(*method), index);
            assert_eq!(METHOD_LABELS[index], method.as_str());
        }
    }

    #[test]
    fn method_labels_are_the_standard_set_or_other() {
        let label =
            |m: &str| METHOD_LABELS[method_index(&http::Method::from_bytes(m.as_bytes()).unwrap())];
        assert_eq!(label("GET"), "GET");
        assert_eq!(label("PATCH"), "PATCH");
        assert_eq!(label("CONNECT"), "CONNECT");
        assert_eq!(label("get"), "_OTHER");
        assert_eq!(label("PROPFIND"), "_OTHER");
    }

    #[test]
    fn the_text_format_names_counters_with_their_suffix_and_has_no_eof() {
        let metrics = Arc::new(Metrics::default());
        metrics.server.panics.fetch_add(2, Relaxed);
        let registry = metrics.registry();
        let open = openmetrics(&registry);
        assert!(
            open.contains("# TYPE routemark_panics counter\nroutemark_panics_total 2\n"),
            "{open}"
        );
        assert!(open.ends_with("# EOF\n"));
        let text = prometheus_text(&registry);
        assert!(
            text.contains("# HELP routemark_panics_total Panics caught"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE routemark_panics_total counter\nroutemark_panics_total 2\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF"));
        // Gauges and histograms keep their names.
        assert!(text.contains("# TYPE routemark_open_connections gauge\n"));
        assert!(text.contains("# TYPE http_server_request_duration_seconds histogram\n"));
    }

    #[test]
    fn a_rare_status_gets_its_series_once() {
        let route = RouteMetrics::new("/x", [0]);
        route.observe(0, 418, Duration::from_millis(1));
        route.observe(0, 418, Duration::from_millis(1));
        route.observe(0, 200, Duration::from_millis(1));
        route.observe(0, 204, Duration::from_millis(1));
        // A method the route cannot see is dropped, not added.
        route.observe(2, 200, Duration::from_millis(1));
        let mut seen = Vec::new();
        route.methods[0]
            .each(|status, timing| {
                seen.push((
                    status,
                    timing.buckets.iter().map(|b| b.load(Relaxed)).sum::<u64>(),
                ));
                Ok(())
            })
            .unwrap();
        // `200` (beside the slot), a common status and a rare one, in order.
        assert_eq!(seen, [(200, 1), (204, 1), (418, 2)]);
        assert!(route.methods[2].series.is_none());
        assert!(route.methods[2].ok.get().is_none());
    }
}
