//! Resilience per route over real TCP, with fault-injecting handlers and a count of handler
//! calls as the oracle: the breaker trips on the exact request that crosses its threshold,
//! never calls the handler while open, lets one trial through when half-open, recovers;
//! the operator's switches; the concurrency limit sheds at once; the route's timeout; the
//! fallback with the route's parameters; overrides applied on the next request.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use routemark::http::StatusCode;
use routemark::{App, BreakerState, Router};
use support::spawn;

/// A route's fault switch and its handler-call counter.
struct Fault {
    failing: AtomicBool,
    calls: AtomicUsize,
}

impl Fault {
    const fn new() -> Fault {
        Fault {
            failing: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        }
    }

    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Called by the handler: counts the call, answers `500` while failing.
    fn answer(&self) -> (StatusCode, &'static str) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            (StatusCode::INTERNAL_SERVER_ERROR, "dependency failed")
        } else {
            (StatusCode::OK, "fresh")
        }
    }
}

fn router_of(module: &str) -> Router {
    let module = format!("resilience::{module}");
    App::with_routes(routemark::routes().filter(move |r| r.module_path() == module))
        .build()
        .expect("the table builds")
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Option<String>, String) {
    let res = client.get(url).send().await.expect("request");
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, res.text().await.expect("body"))
}

// ---- the breaker trips on the exact request that crosses the threshold ----

mod trip {
    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();

    #[route(GET "/flaky", breaker(errors_percent = 50, min_requests = 4, window = "10s", open_for = "60s"))]
    fn flaky() -> (StatusCode, &'static str) {
        FAULT.answer()
    }
}

#[tokio::test]
async fn breaker_opens_on_the_request_that_brings_the_window_to_min_requests() {
    let router = router_of("trip");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    trip::FAULT.fail(true);
    // Three failures of three: 100 %, but under `min_requests`: the handler keeps being
    // called.
    for n in 1..=3 {
        let (status, _, _) = get(&client, server.url("/flaky")).await;
        assert_eq!(status, 500, "request {n}");
        assert_eq!(trip::FAULT.calls(), n);
        assert_eq!(
            router.breaker_state("GET /flaky"),
            Some(BreakerState::Closed)
        );
    }
    // The fourth completes the window: it reached the handler, and it opened the breaker.
    let (status, _, _) = get(&client, server.url("/flaky")).await;
    assert_eq!(status, 500);
    assert_eq!(trip::FAULT.calls(), 4);
    assert_eq!(router.breaker_state("GET /flaky"), Some(BreakerState::Open));
    // Open: `503` with `retry-after` and the JSON error, and the handler is not called.
    for _ in 0..5 {
        let (status, retry_after, body) = get(&client, server.url("/flaky")).await;
        assert_eq!(status, 503);
        assert_eq!(retry_after.as_deref(), Some("60"));
        assert_eq!(
            body,
            r#"{"status":503,"error":"Service Unavailable","message":"`GET /flaky` is unavailable: its circuit breaker is open"}"#
        );
    }
    assert_eq!(trip::FAULT.calls(), 4);
    server.shutdown().await;
}

// ---- 4xx answers are not failures ----

mod client_errors {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use routemark::{http::StatusCode, route};

    pub(super) static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[route(GET "/items/<id>", breaker(min_requests = 2))]
    fn item(id: u32) -> (StatusCode, String) {
        CALLS.fetch_add(1, Ordering::SeqCst);
        (StatusCode::NOT_FOUND, format!("no item {id}"))
    }
}

#[tokio::test]
async fn client_errors_and_bad_parameters_do_not_open_the_breaker() {
    let router = router_of("client_errors");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        assert_eq!(get(&client, server.url("/items/7")).await.0, 404);
        assert_eq!(get(&client, server.url("/items/not-a-number")).await.0, 400);
    }
    assert_eq!(
        router.breaker_state("GET /items/<id>"),
        Some(BreakerState::Closed)
    );
    assert_eq!(client_errors::CALLS.load(Ordering::SeqCst), 5);
    server.shutdown().await;
}

// ---- open: the fallback answers, with the route's parameters ----

mod with_fallback {
    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();

    #[route(GET "/reports/<id>?<format>", breaker(min_requests = 2, open_for = "60s"), fallback = cached_report)]
    async fn report(id: u64, format: Option<String>) -> (StatusCode, String) {
        let (status, body) = FAULT.answer();
        (status, format!("{body} report {id} {format:?}"))
    }

    fn cached_report(id: u64, format: Option<String>) -> (StatusCode, String) {
        (StatusCode::OK, format!("cached report {id} {format:?}"))
    }
}

#[tokio::test]
async fn open_breaker_answers_with_the_fallback_given_the_route_parameters() {
    let router = router_of("with_fallback");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    with_fallback::FAULT.fail(true);
    // While closed, the handler's own 5xx passes through.
    for n in 1..=2 {
        let (status, _, body) = get(&client, server.url("/reports/7?format=csv")).await;
        assert_eq!(
            (status, body.as_str()),
            (500, "dependency failed report 7 Some(\"csv\")"),
            "{n}"
        );
    }
    assert_eq!(
        router.breaker_state("GET /reports/<id>"),
        Some(BreakerState::Open)
    );
    let (status, retry_after, body) = get(&client, server.url("/reports/42?format=pdf")).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "cached report 42 Some(\"pdf\")")
    );
    assert_eq!(retry_after, None);
    assert_eq!(with_fallback::FAULT.calls(), 2);
    server.shutdown().await;
}

// ---- half-open: one trial at a time; recovery ----

mod recovery {
    use std::time::Duration;

    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();

    #[route(GET "/recovering", breaker(min_requests = 2, open_for = "300ms"))]
    async fn recovering() -> (StatusCode, &'static str) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        FAULT.answer()
    }
}

#[tokio::test]
async fn half_open_lets_one_trial_through_under_concurrent_requests_then_closes() {
    let router = router_of("recovery");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    recovery::FAULT.fail(true);
    for _ in 0..2 {
        assert_eq!(get(&client, server.url("/recovering")).await.0, 500);
    }
    assert_eq!(
        router.breaker_state("GET /recovering"),
        Some(BreakerState::Open)
    );
    recovery::FAULT.fail(false);
    tokio::time::sleep(Duration::from_millis(350)).await;
    // Ten at once: the first takes the trial (200 after 200 ms), the nine others are
    // answered `503` at once.
    let requests = (0..10).map(|_| get(&client, server.url("/recovering")));
    let mut statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|(status, _, _)| status)
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 503, 503, 503, 503, 503, 503, 503, 503, 503]);
    assert_eq!(recovery::FAULT.calls(), 3);
    // The trial succeeded: closed, with a clear window.
    assert_eq!(
        router.breaker_state("GET /recovering"),
        Some(BreakerState::Closed)
    );
    assert_eq!(get(&client, server.url("/recovering")).await.0, 200);
    assert_eq!(recovery::FAULT.calls(), 4);
    server.shutdown().await;
}

mod failed_trial {
    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();

    #[route(GET "/still-down", breaker(min_requests = 1, open_for = "200ms"))]
    fn still_down() -> (StatusCode, &'static str) {
        FAULT.answer()
    }
}

#[tokio::test]
async fn a_failed_trial_opens_the_breaker_again() {
    let router = router_of("failed_trial");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    failed_trial::FAULT.fail(true);
    assert_eq!(get(&client, server.url("/still-down")).await.0, 500);
    assert_eq!(get(&client, server.url("/still-down")).await.0, 503);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // The trial reaches the handler and fails: open again, for another `open_for`.
    assert_eq!(get(&client, server.url("/still-down")).await.0, 500);
    assert_eq!(
        router.breaker_state("GET /still-down"),
        Some(BreakerState::Open)
    );
    assert_eq!(get(&client, server.url("/still-down")).await.0, 503);
    assert_eq!(failed_trial::FAULT.calls(), 2);
    server.shutdown().await;
}

mod abandoned {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();
    /// While set, the handler never answers.
    pub(super) static HANG: AtomicBool = AtomicBool::new(false);

    #[route(GET "/abandoned", concurrency = 1, breaker(min_requests = 1, open_for = "100ms"))]
    async fn abandoned() -> (StatusCode, &'static str) {
        if HANG.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        FAULT.answer()
    }
}

/// A request that waits in its handler keeps its ticket past the table it was admitted
/// from; dropped there (its client gone), the ticket still gives its place back, and ends
/// the trial: the breaker is open again, and lets the next request be the trial.
#[tokio::test]
async fn a_trial_dropped_while_waiting_opens_the_breaker_again_and_gives_its_place_back() {
    use futures_util::FutureExt;

    let router = router_of("abandoned");
    let request = || {
        routemark::http::Request::get("/abandoned")
            .header("host", "test")
            .body(routemark::Body::empty())
            .unwrap()
    };
    let state = || router.breaker_state("GET /abandoned");
    abandoned::FAULT.fail(true);
    assert_eq!(router.handle(request()).await.status(), 500);
    assert_eq!(state(), Some(BreakerState::Open));
    tokio::time::sleep(Duration::from_millis(150)).await;
    abandoned::FAULT.fail(false);
    abandoned::HANG.store(true, Ordering::SeqCst);
    let mut trial = Box::pin(router.handle(request()));
    assert!((&mut trial).now_or_never().is_none(), "the trial waits");
    assert_eq!(state(), Some(BreakerState::HalfOpen));
    assert_eq!(abandoned::FAULT.calls(), 1);
    drop(trial);
    // Open, and the next request is the trial at once: it gets the one place the dropped
    // request held, and closes the breaker.
    assert_eq!(state(), Some(BreakerState::Open));
    abandoned::HANG.store(false, Ordering::SeqCst);
    assert_eq!(router.handle(request()).await.status(), 200);
    assert_eq!(state(), Some(BreakerState::Closed));
    assert_eq!(abandoned::FAULT.calls(), 2);
}

// ---- the operator's switches, and overrides applied on the next request ----

mod switched {
    use super::Fault;
    use routemark::{http::StatusCode, route};

    pub(super) static FAULT: Fault = Fault::new();

    #[route(POST "/payments", breaker(min_requests = 2, open_for = "60s"))]
    fn pay() -> (StatusCode, &'static str) {
        FAULT.answer()
    }
}

#[tokio::test]
async fn force_open_and_force_closed_apply_on_the_next_request() {
    let router = router_of("switched");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let post = |path: &str| client.post(server.url(path)).send();
    assert_eq!(post("/payments").await.unwrap().status(), 200);

    let overlay = |entry: &str| {
        let json = format!(r#"{{ "routes": {{ "POST /payments": {entry} }} }}"#);
        router.apply_overlay(&json, "test").unwrap();
    };
    overlay(r#"{ "breaker": "force_open" }"#);
    let res = post("/payments").await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "60");
    assert_eq!(switched::FAULT.calls(), 1);

    // Forced closed: failures reach the handler however many there are.
    overlay(r#"{ "breaker": "force_closed" }"#);
    switched::FAULT.fail(true);
    for _ in 0..5 {
        assert_eq!(post("/payments").await.unwrap().status(), 500);
    }
    assert_eq!(switched::FAULT.calls(), 6);

    // Back to the attribute's options. The swaps kept the breaker's window, which holds
    // the success before the switches and none of the forced requests: one failure makes
    // two requests at 50 %, and opens it.
    router.apply_overlay("{}", "empty").unwrap();
    assert_eq!(
        router.breaker_state("POST /payments"),
        Some(BreakerState::Closed)
    );
    assert_eq!(post("/payments").await.unwrap().status(), 500);
    assert_eq!(
        router.breaker_state("POST /payments"),
        Some(BreakerState::Open)
    );
    assert_eq!(post("/payments").await.unwrap().status(), 503);
    assert_eq!(switched::FAULT.calls(), 7);

    // A swap that keeps the thresholds keeps the breaker open; new thresholds reset it.
    overlay(r#"{ "timeout_ms": 5000 }"#);
    assert_eq!(
        router.breaker_state("POST /payments"),
        Some(BreakerState::Open)
    );
    overlay(r#"{ "breaker": { "min_requests": 3, "open_ms": 1000 } }"#);
    assert_eq!(
        router.breaker_state("POST /payments"),
        Some(BreakerState::Closed)
    );
    assert_eq!(post("/payments").await.unwrap().status(), 500);
    assert_eq!(switched::FAULT.calls(), 8);
    server.shutdown().await;

    // A route an overlay gives a breaker, then takes it away.
    let timeouts = router_of("timeouts");
    assert_eq!(timeouts.breaker_state("GET /slow"), None);
    let json = r#"{ "routes": { "GET /slow": { "breaker": { "min_requests": 3 } } } }"#;
    timeouts.apply_overlay(json, "breaker").unwrap();
    assert_eq!(
        timeouts.breaker_state("GET /slow"),
        Some(BreakerState::Closed)
    );
    timeouts.apply_overlay("{}", "empty").unwrap();
    assert_eq!(timeouts.breaker_state("GET /slow"), None);
}

#[test]
fn an_overlay_with_a_zero_limit_is_rejected_and_the_breaker_left_as_it_was() {
    let router = router_of("switched");
    let json =
        r#"{ "routes": { "POST /payments": { "concurrency": 0, "breaker": "force_open" } } }"#;
    assert!(router.apply_overlay(json, "bad").is_err());
    assert_eq!(
        router.breaker_state("POST /payments"),
        Some(BreakerState::Closed)
    );
}

// ---- concurrency: N in the handler, the next answered at once ----

mod limited {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use routemark::route;
    use tokio::sync::Semaphore;

    pub(super) static ENTERED: AtomicUsize = AtomicUsize::new(0);
    pub(super) static RELEASE: Semaphore = Semaphore::const_new(0);

    #[route(GET "/limited", concurrency = 3)]
    async fn limited() -> &'static str {
        ENTERED.fetch_add(1, Ordering::SeqCst);
        RELEASE.acquire().await.unwrap().forget();
        "done"
    }
}

#[tokio::test]
async fn the_request_past_the_concurrency_limit_is_answered_503_at_once() {
    let server = spawn(router_of("limited")).await;
    let client = reqwest::Client::new();
    let mut running = Vec::new();
    for _ in 0..3 {
        let (client, url) = (client.clone(), server.url("/limited"));
        running.push(tokio::spawn(async move { get(&client, url).await }));
    }
    while limited::ENTERED.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The fourth, with three in the handler: answered at once, never queued.
    let started = Instant::now();
    let (status, retry_after, body) = get(&client, server.url("/limited")).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")));
    assert_eq!(
        body,
        r#"{"status":503,"error":"Service Unavailable","message":"`GET /limited` is at its concurrency limit; try again"}"#
    );
    assert_eq!(limited::ENTERED.load(Ordering::SeqCst), 3);
    limited::RELEASE.add_permits(3);
    for task in running {
        assert_eq!(task.await.unwrap().0, 200);
    }
    // Places are given back: the next request runs.
    limited::RELEASE.add_permits(1);
    assert_eq!(get(&client, server.url("/limited")).await.0, 200);
    server.shutdown().await;
}

// ---- the route's timeout, and the fallback answering it ----

mod timeouts {
    use std::time::Duration;

    use routemark::route;

    #[route(GET "/slow", timeout = "100ms")]
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "too late"
    }

    #[route(GET "/slow/<id>", timeout = "100ms", fallback = stale)]
    async fn slow_with_fallback(id: u32) -> &'static str {
        let _ = id;
        tokio::time::sleep(Duration::from_secs(5)).await;
        "too late"
    }

    async fn stale(id: u32) -> String {
        format!("stale {id}")
    }
}

#[tokio::test]
async fn the_route_timeout_overrides_the_application_timeout() {
    let router =
        App::with_routes(routemark::routes().filter(|r| r.module_path() == "resilience::timeouts"))
            .handler_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let (status, _, body) = get(&client, server.url("/slow")).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 503);
    assert!(body.contains("did not finish within 100ms"), "{body}");
    let (status, _, body) = get(&client, server.url("/slow/9")).await;
    assert_eq!((status, body.as_str()), (200, "stale 9"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_timeout_override_applies_on_the_next_request() {
    let router = router_of("timeouts");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let json = r#"{ "routes": { "GET /slow": { "timeout_ms": 10 } } }"#;
    router.apply_overlay(json, "timeout").unwrap();
    let (status, _, body) = get(&client, server.url("/slow")).await;
    assert_eq!(status, 503);
    assert!(body.contains("did not finish within 10ms"), "{body}");
    server.shutdown().await;
}

#[test]
fn the_attribute_options_are_readable_on_the_route() {
    let route = routemark::routes().find(|r| r.name() == "report").unwrap();
    let options = route.options();
    let breaker = options.breaker().unwrap();
    assert_eq!(breaker.min_requests(), 2);
    assert_eq!(breaker.open_for(), Duration::from_secs(60));
    assert_eq!(breaker.errors_percent(), 50);
    assert_eq!(breaker.window(), Duration::from_secs(10));
    assert!(options.has_fallback());
    let slow = routemark::routes().find(|r| r.name() == "slow").unwrap();
    assert_eq!(slow.options().timeout(), Some(Duration::from_millis(100)));
    assert_eq!(slow.options().concurrency(), None);
}

// ---- route layers wrap the route's resilience ----

mod layered {
    use routemark::{http::StatusCode, route};

    #[route(GET "/layered", breaker(min_requests = 1, open_for = "60s"))]
    fn layered() -> (StatusCode, &'static str) {
        (StatusCode::SERVICE_UNAVAILABLE, "down")
    }
}

#[tokio::test]
async fn route_layers_wrap_the_breaker_and_see_its_answers() {
    use routemark::http::HeaderValue;
    use tower::util::MapResponseLayer;

    let router =
        App::with_routes(routemark::routes().filter(|r| r.module_path() == "resilience::layered"))
            .route_layer(MapResponseLayer::new(|mut res: routemark::Response| {
                res.headers_mut()
                    .insert("x-layer", HeaderValue::from_static("1"));
                res
            }))
            .build()
            .unwrap();
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let first = client.get(server.url("/layered")).send().await.unwrap();
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["x-layer"], "1");
    assert_eq!(first.text().await.unwrap(), "down");
    assert_eq!(
        router.breaker_state("GET /layered"),
        Some(BreakerState::Open)
    );
    let second = client.get(server.url("/layered")).send().await.unwrap();
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["x-layer"], "1");
    assert_eq!(second.headers()["retry-after"], "60");
    server.shutdown().await;
}

// ---- HEAD, and a fallback that panics ----

mod heads {
    use routemark::route;

    #[route(GET "/headed", concurrency = 1, breaker(min_requests = 1), fallback = broken)]
    fn headed() -> routemark::Response {
        panic!("the dependency panicked")
    }

    fn broken() -> &'static str {
        panic!("so did the fallback")
    }
}

#[tokio::test]
async fn a_panic_counts_as_a_failure_and_a_panicking_fallback_is_answered_500() {
    let router = router_of("heads");
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    assert_eq!(get(&client, server.url("/headed")).await.0, 500);
    assert_eq!(
        router.breaker_state("GET /headed"),
        Some(BreakerState::Open)
    );
    // Open: the fallback answers, and it panics: caught like a handler's panic.
    let res = client.head(server.url("/headed")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.text().await.unwrap(), "");
    server.shutdown().await;
}

mod limited_at_once {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use routemark::route;
    use tokio::sync::Semaphore;

    pub(super) static ENTERED: AtomicUsize = AtomicUsize::new(0);
    pub(super) static RELEASE: Semaphore = Semaphore::const_new(0);

    #[route(GET "/limited-at-once", concurrency = 4)]
    async fn limited_at_once() -> &'static str {
        ENTERED.fetch_add(1, Ordering::SeqCst);
        RELEASE.acquire().await.unwrap().forget();
        "done"
    }
}

#[tokio::test]
async fn of_n_plus_one_simultaneous_requests_exactly_one_is_answered_503_at_once() {
    let server = spawn(router_of("limited_at_once")).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut requests: futures_util::stream::FuturesUnordered<_> = (0..5)
        .map(|_| get(&client, server.url("/limited-at-once")))
        .collect();
    // The first answer comes while four requests are held in the handler: the shed one.
    let (status, retry_after, _) = futures_util::StreamExt::next(&mut requests).await.unwrap();
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(limited_at_once::ENTERED.load(Ordering::SeqCst), 4);
    limited_at_once::RELEASE.add_permits(4);
    let mut rest = Vec::new();
    while let Some((status, _, body)) = futures_util::StreamExt::next(&mut requests).await {
        rest.push((status, body));
    }
    assert_eq!(rest, vec![(200, "done".to_owned()); 4]);
    server.shutdown().await;
}

// ---- metrics ----

mod scraped {
    use routemark::{http::StatusCode, route};

    #[route(GET "/scraped/<id>", breaker(min_requests = 1, open_for = "60s"), concurrency = 8)]
    fn scraped(id: u32) -> (StatusCode, String) {
        (StatusCode::BAD_GATEWAY, format!("{id} failed"))
    }
}

#[tokio::test]
async fn metrics_show_the_breaker_state_transitions_and_refused_requests_per_route() {
    let server = spawn(router_of("scraped")).await;
    let client = reqwest::Client::new();
    assert_eq!(get(&client, server.url("/scraped/1")).await.0, 502);
    assert_eq!(get(&client, server.url("/scraped/2")).await.0, 503);
    let (status, _, text) = get(&client, server.url("/metrics")).await;
    assert_eq!(status, 200);
    for line in [
        r#"routemark_breaker_state{http_route="/scraped/<id>",state="closed"} 0"#,
        r#"routemark_breaker_state{http_route="/scraped/<id>",state="open"} 1"#,
        r#"routemark_breaker_state{http_route="/scraped/<id>",state="half_open"} 0"#,
        r#"routemark_breaker_transitions_total{http_route="/scraped/<id>",to="open"} 1"#,
        r#"routemark_breaker_transitions_total{http_route="/scraped/<id>",to="closed"} 0"#,
        r#"routemark_breaker_rejected_requests_total{http_route="/scraped/<id>"} 1"#,
        r#"routemark_shed_requests_total{http_route="/scraped/<id>"} 0"#,
        r#"routemark_route_timeouts_total{http_route="/scraped/<id>"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    server.shutdown().await;
}

mod paced {
    use super::*;
    use routemark::route;

    #[route(GET "/paced", breaker)]
    async fn paced() -> &'static str {
        tokio::time::sleep(Duration::from_millis(30)).await;
        "paced"
    }
}

/// A guarded route's request is timed by the clock read its breaker takes at the answer.
#[tokio::test]
async fn a_guarded_route_is_timed_from_its_request_to_its_answer() {
    let server = spawn(router_of("paced")).await;
    let client = reqwest::Client::new();
    assert_eq!(
        get(&client, server.url("/paced")).await,
        (200, None, "paced".to_owned())
    );
    let (status, _, text) = get(&client, server.url("/metrics")).await;
    assert_eq!(status, 200);
    let labels = r#"http_request_method="GET",http_route="/paced",http_response_status_code="200""#;
    let sample = |name: &str| -> f64 {
        let prefix = format!("{name} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no `{name}` in\n{text}"))
            .parse()
            .unwrap()
    };
    let bucket = |le: &str| {
        sample(&format!(
            "http_server_request_duration_seconds_bucket{{le=\"{le}\",{labels}}}"
        ))
    };
    assert_eq!(bucket("0.025"), 0.0, "{text}");
    assert_eq!(bucket("10.0"), 1.0, "{text}");
    let sum = sample(&format!(
        "http_server_request_duration_seconds_sum{{{labels}}}"
    ));
    assert!((0.03..10.0).contains(&sum), "{sum}");
    server.shutdown().await;
}
