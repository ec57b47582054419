//! A panicking handler is logged with its route template, handler, method and request id.
//! Alone in its test binary: `tracing` caches per call site whether anyone listens, and
//! tests on other threads without a subscriber would race that cache.

mod support;

use std::sync::Arc;

use routemark::{App, route};

#[route(GET "/panic")]
fn panics() -> String {
    panic!("boom")
}

#[tokio::test]
async fn a_panic_is_logged_with_the_route_method_and_request_id() {
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
    let exchange = support::raw(
        server.addr,
        b"GET /panic HTTP/1.1\r\nHost: t\r\nX-Request-Id: req-42\r\n\r\n",
    )
    .await;
    assert_eq!(exchange.statuses(), [500]);
    server.shutdown().await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("handler panicked"))
        .unwrap_or_else(|| panic!("no panic log in {log}"));
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
