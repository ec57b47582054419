//! What failed requests log: a panicking handler with its route template, handler, method and
//! request id; a missing `Extension<T>` with its type and route. Alone in their test binary: `tracing` caches per call site whether anyone listens, and
//! tests on other threads without a subscriber would race that cache.

mod support;

use std::sync::Arc;

use routemark::{App, Extension, route};

#[route(GET "/panic")]
fn panics() -> String {
    panic!("boom")
}

#[derive(Clone)]
struct User;

#[route(GET "/whoami")]
fn whoami(Extension(_user): Extension<User>) -> &'static str {
    "never: no layer inserts a `User`"
}

/// Sends `request` to the app of this file and returns the status and the log line that
/// contains `marker`.
async fn logged(request: &[u8], marker: &str) -> (Vec<u16>, String) {
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded: the server's tasks run on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = support::spawn(App::new().build().unwrap()).await;
    let exchange = support::raw(server.addr, request).await;
    server.shutdown().await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no `{marker}` in {log}"));
    (exchange.statuses(), line.to_owned())
}

#[tokio::test]
async fn a_missing_extension_is_logged_with_its_type_and_route() {
    let (statuses, line) = logged(
        b"GET /whoami HTTP/1.1\r\nHost: t\r\n\r\n",
        "is not in the request",
    )
    .await;
    assert_eq!(statuses, [500]);
    for field in [
        "`Extension<panic_log::User>` is not in the request: no layer inserted it",
        "route=\"/whoami\"",
        "handler=\"whoami\"",
        "type=\"panic_log::User\"",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}

#[tokio::test]
async fn a_panic_is_logged_with_the_route_method_and_request_id() {
    let (statuses, line) = logged(
        b"GET /panic HTTP/1.1\r\nHost: t\r\nX-Request-Id: req-42\r\n\r\n",
        "handler panicked",
    )
    .await;
    assert_eq!(statuses, [500]);
    for field in [
        "route=\"/panic\"",
        "handler=\"panics\"",
        "method=GET",
        "request_id=\"req-42\"",
        "panic=\"boom\"",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}
