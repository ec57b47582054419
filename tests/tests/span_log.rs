//! A program in which some crate turns on `tracing`'s `log` feature (actix-web does; this
//! crate's dev-dependencies do) and which installs no `tracing` subscriber. `tracing`'s macro
//! then builds every span's fields for a `log` record, wanted or not: the request span's
//! `otel.name` formatted, its fields collected, about 1,600 instructions per request
//! (bench/README.md). The request span must not be built at all there, while the program's
//! own events still reach `log` through the fallback. Alone in its test binary: it installs
//! the process's `log` logger.

use std::sync::Mutex;

use routemark::{App, route};

#[route(GET "/span-log/<name>")]
fn greet(name: String) -> String {
    tracing::info!(target: "span_log::handler", "greeting {name}");
    format!("hello {name}")
}

/// Every `log` record: its target and message.
static RECORDS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS
            .lock()
            .unwrap()
            .push((record.target().to_owned(), record.args().to_string()));
    }
    fn flush(&self) {}
}

#[tokio::test]
async fn without_a_subscriber_the_request_span_is_not_built_for_log() {
    log::set_logger(&Recorder).expect("the only logger of this binary");
    log::set_max_level(log::LevelFilter::Trace);
    let router = App::new().build().expect("the routes build");

    let request = routemark::http::Request::get("/span-log/ada")
        .header("host", "test")
        .body(routemark::Body::empty())
        .unwrap();
    let response = router.handle(request).await;
    assert_eq!(response.status(), 200);

    let records = RECORDS.lock().unwrap().clone();
    // The fallback works: the handler's event is a `log` record.
    assert!(
        records
            .iter()
            .any(|(target, message)| target == "span_log::handler" && message == "greeting ada"),
        "the handler's event reaches `log`: {records:?}"
    );
    // The request span was not built: no record of it, under its target or `tracing`'s.
    let span_records: Vec<_> = records
        .iter()
        .filter(|(target, message)| {
            target.starts_with("routemark::request")
                || target.starts_with("tracing::span")
                || message.contains("otel.name")
        })
        .collect();
    assert_eq!(span_records, Vec::<&(String, String)>::new());
}
