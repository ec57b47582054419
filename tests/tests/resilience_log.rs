//! What the breaker logs: one line per transition, with the route, and on opening the
//! failure rate that tripped it. Alone in its test binary: `tracing` caches per call site
//! whether anyone listens, and tests on other threads without a subscriber would race that
//! cache.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use routemark::http::StatusCode;
use routemark::{App, route};

static FAILING: AtomicBool = AtomicBool::new(true);

#[route(GET "/ledger/<id>", breaker(min_requests = 4, errors_percent = 75, open_for = "300ms"))]
fn ledger(id: u32) -> (StatusCode, String) {
    if FAILING.load(Ordering::SeqCst) && id != 0 {
        (StatusCode::BAD_GATEWAY, "ledger down".to_owned())
    } else {
        (StatusCode::OK, format!("ledger {id}"))
    }
}

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

#[tokio::test]
async fn each_transition_is_logged_once_with_the_route_and_the_failure_rate() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The test runtime is single-threaded: the server's tasks run on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = support::spawn(App::new().build().unwrap()).await;
    let client = reqwest::Client::new();
    let statuses = |path: &'static str| {
        let request = client.get(server.url(path)).send();
        async move { [request.await.unwrap().status().as_u16()] }
    };
    // One success, three failures: 75 % of four, on the fourth.
    assert_eq!(statuses("/ledger/0").await, [200]);
    for _ in 0..3 {
        assert_eq!(statuses("/ledger/1").await, [502]);
    }
    assert_eq!(statuses("/ledger/1").await, [503]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    FAILING.store(false, Ordering::SeqCst);
    assert_eq!(statuses("/ledger/1").await, [200]);
    server.shutdown().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("circuit breaker"))
        .collect();
    assert_eq!(lines.len(), 3, "{log}");
    assert!(lines[0].contains("WARN"), "{}", lines[0]);
    assert!(
        lines[0].ends_with(
            r#"circuit breaker opened route="/ledger/<id>" handler="ledger" from="closed" to="open" failures=3 requests=4 failure_rate=75%"#
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with(
            r#"circuit breaker half-open: one trial request route="/ledger/<id>" handler="ledger" from="open" to="half_open""#
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(
            r#"circuit breaker closed: the trial request succeeded route="/ledger/<id>" handler="ledger" from="half_open" to="closed""#
        ),
        "{}",
        lines[2]
    );
}
