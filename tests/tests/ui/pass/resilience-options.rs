use std::time::Duration;

use routemark::http::{Method, StatusCode};
use routemark::{BreakerConfig, Json, Route, State, route};

#[derive(Clone)]
struct Cache;

#[route(GET "/a", timeout = "300ms")]
fn timeout_ms() {}

#[route(GET "/b", timeout = "2s", concurrency = 32)]
fn timeout_s_and_concurrency() {}

#[route(GET "/c", timeout = "1m", breaker)]
fn timeout_m_and_default_breaker() {}

#[route(GET "/d", timeout = "1h", breaker(errors_percent = 100, min_requests = 1, window = "30s", open_for = "500ms"))]
fn every_threshold() {}

#[route(GET "/e", breaker(errors_percent = 1,), concurrency = 1_000)]
fn one_threshold_and_a_trailing_comma() {}

// Fallbacks: no arguments or the handler's own, `async` or not, named by a path.
#[route(GET "/reports/<id>?<format>", timeout = "2s", concurrency = 32, breaker, fallback = cached_report)]
async fn report(id: u64, format: Option<String>, State(_cache): State<Cache>, method: Method) -> String {
    format!("{method} report {id} {format:?}")
}

async fn cached_report(id: u64, format: Option<String>, State(_cache): State<Cache>, method: Method) -> (StatusCode, String) {
    (StatusCode::OK, format!("{method} cached report {id} {format:?}"))
}

#[route(GET "/f", breaker, fallback = fallbacks::unavailable)]
fn sync_fallback_without_arguments() -> &'static str {
    "ok"
}

#[route(POST "/g/<id>", concurrency = 4, fallback = busy)]
async fn body_handler_with_a_fallback_without_arguments(id: u32, Json(n): Json<u32>) -> String {
    format!("{id} {n}")
}

async fn busy() -> StatusCode {
    StatusCode::TOO_MANY_REQUESTS
}

mod fallbacks {
    use routemark::http::StatusCode;

    pub(crate) fn unavailable() -> (StatusCode, &'static str) {
        (StatusCode::SERVICE_UNAVAILABLE, "try later")
    }
}

fn route(name: &str) -> &'static Route {
    routemark::routes()
        .find(|r| r.name() == name)
        .expect("registered")
}

fn main() {
    assert_eq!(route("timeout_ms").options().timeout(), Some(Duration::from_millis(300)));
    let b = route("timeout_s_and_concurrency").options();
    assert_eq!((b.timeout(), b.concurrency()), (Some(Duration::from_secs(2)), Some(32)));
    let c = route("timeout_m_and_default_breaker").options();
    assert_eq!(c.timeout(), Some(Duration::from_secs(60)));
    assert_eq!(c.breaker(), Some(BreakerConfig::default()));
    assert!(!c.has_fallback());
    let d = route("every_threshold").options().breaker().unwrap();
    assert_eq!(d.errors_percent(), 100);
    assert_eq!(d.min_requests(), 1);
    assert_eq!(d.window(), Duration::from_secs(30));
    assert_eq!(d.open_for(), Duration::from_millis(500));
    assert_eq!(route("every_threshold").options().timeout(), Some(Duration::from_secs(3600)));
    let e = route("one_threshold_and_a_trailing_comma").options();
    assert_eq!(e.breaker().unwrap().errors_percent(), 1);
    assert_eq!(e.breaker().unwrap().min_requests(), 20);
    assert_eq!(e.concurrency(), Some(1000));
    assert!(route("report").options().has_fallback());
    assert!(route("sync_fallback_without_arguments").options().has_fallback());
    assert!(route("body_handler_with_a_fallback_without_arguments").options().has_fallback());
}
