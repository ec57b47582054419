//! Probes, metrics, spans and the admin listener, over real TCP; the metrics checked by the
//! real `promtool` and scraped by a real Prometheus (Debian's `prometheus` package, which
//! `.ci/run` installs).

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use routemark::http::{Method, StatusCode};
use routemark::{App, Problem, Server, ServerConfig, route};
use support::{raw, raw_chunks, spawn, spawn_with};

#[route(GET "/obs/users/<id>")]
fn user(id: u64) -> String {
    format!("user {id}")
}

#[route(POST "/obs/users")]
fn create_user() -> (StatusCode, &'static str) {
    (StatusCode::CREATED, "created")
}

#[route(GET "/obs/panic")]
fn panics() -> &'static str {
    panic!("boom")
}

#[route(GET "/obs/teapot")]
fn teapot() -> (StatusCode, &'static str) {
    (StatusCode::IM_A_TEAPOT, "short and stout")
}

#[route(GET "/obs/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "slow"
}

/// Waits for a permit of `HELD`, which only the active gauge's test gives.
static HELD: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(0);

#[route(GET "/obs/held")]
async fn held() -> &'static str {
    HELD.acquire().await.expect("never closed").forget();
    "released"
}

/// On a probe's path: only the test of that build error includes it.
#[route(GET "/readyz")]
fn my_readiness() -> &'static str {
    "mine"
}

/// Every route of this test but the one on `/readyz`.
fn app() -> App {
    App::with_routes(routemark::routes().filter(|r| r.path() != "/readyz"))
}

async fn get(url: &str) -> (StatusCode, String) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn probes_answer_ok_and_list_their_checks_when_verbose() {
    let router = app()
        .readiness_check("db", || async { Ok::<(), String>(()) })
        .liveness_check("loop", || async { Ok::<(), String>(()) })
        .build()
        .unwrap();
    let server = spawn(router).await;
    for path in ["/livez", "/readyz", "/healthz"] {
        assert_eq!(
            get(&server.url(path)).await,
            (StatusCode::OK, "ok".into()),
            "{path}"
        );
    }
    assert_eq!(
        get(&server.url("/readyz?verbose")).await,
        (
            StatusCode::OK,
            "[+]shutdown ok\n[+]db ok\nreadyz check passed\n".into()
        )
    );
    assert_eq!(
        get(&server.url("/livez?verbose=1")).await,
        (StatusCode::OK, "[+]loop ok\nlivez check passed\n".into())
    );
    assert_eq!(
        get(&server.url("/readyz/db")).await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        get(&server.url("/readyz/nope")).await,
        (StatusCode::NOT_FOUND, "no check named `nope`\n".into())
    );
    let exchange = raw(
        server.addr,
        b"POST /livez HTTP/1.1\r\nHost: t\r\ncontent-length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(exchange.statuses(), [405]);
    assert!(
        exchange.has_header("allow", "GET, HEAD"),
        "{}",
        exchange.text
    );
    let head = raw(server.addr, b"HEAD /readyz HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(head.statuses(), [200]);
    assert!(head.has_header("cache-control", "no-store"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_or_slow_check_fails_its_probe_and_keeps_its_reason_out_of_the_answer() {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    let router = app()
        .readiness_check("db", move || {
            let ok = flag.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("connection refused (secret-host:5432)".to_owned())
                }
            }
        })
        .readiness_check("cache", || async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<(), String>(())
        })
        .readiness_check("flaky", || async {
            if true {
                panic!("the check itself panicked");
            }
            Ok::<(), String>(())
        })
        .probe_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let server = spawn(router).await;
    let (status, body) = get(&server.url("/readyz?verbose")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        "[+]shutdown ok\n[-]db failed\n[-]cache failed\n[-]flaky failed\nreadyz check failed\n"
    );
    // The server lives on after the panicking check.
    assert_eq!(
        get(&server.url("/readyz/flaky")).await,
        (StatusCode::SERVICE_UNAVAILABLE, "[-]flaky failed\n".into())
    );
    assert_eq!(
        get(&server.url("/healthz")).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "readyz check failed\n".into()
        )
    );
    assert_eq!(
        get(&server.url("/readyz/db")).await,
        (StatusCode::SERVICE_UNAVAILABLE, "[-]db failed\n".into())
    );
    // Liveness has no check of its own: a failing dependency does not restart the pod.
    assert_eq!(
        get(&server.url("/livez")).await,
        (StatusCode::OK, "ok".into())
    );
    healthy.store(true, Ordering::SeqCst);
    assert_eq!(
        get(&server.url("/readyz/db")).await,
        (StatusCode::OK, "ok".into())
    );
    server.shutdown().await;
}

#[test]
fn a_route_on_a_probe_path_is_a_build_error_naming_both() {
    let Err(error) = App::new().build() else {
        panic!("a route on /readyz must not build");
    };
    let problems = error.problems();
    assert_eq!(problems.len(), 1, "{error}");
    let Problem::ReservedPath { route, path } = &problems[0] else {
        panic!("unexpected problem: {error}");
    };
    assert_eq!((route.path(), *path), ("/readyz", "/readyz"));
    let text = error.to_string();
    assert!(
        text.contains(
            "route `GET /readyz` (observability::my_readiness) at tests/tests/observability.rs:"
        ),
        "{text}"
    );
    assert!(
        text.contains("which routemark serves (health probes and metrics)")
            && text.contains("App::admin_addr(..)")
            && text.contains("App::probes(false)"),
        "{text}"
    );
}

#[tokio::test]
async fn switched_off_probes_free_their_paths_for_routes() {
    let router = App::new().probes(false).build().unwrap();
    let server = spawn(router).await;
    assert_eq!(
        get(&server.url("/readyz")).await,
        (StatusCode::OK, "mine".into())
    );
    assert_eq!(get(&server.url("/livez")).await.0, StatusCode::NOT_FOUND);
    // Metrics stay on.
    assert_eq!(get(&server.url("/metrics")).await.0, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn readiness_fails_from_the_signal_while_the_server_accepts_for_the_shutdown_delay() {
    let router = app().build().unwrap();
    let mut server = spawn_with(router, |c| c.shutdown_delay(Duration::from_millis(1_500))).await;
    assert_eq!(get(&server.url("/readyz")).await.0, StatusCode::OK);
    server.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // New connections are still accepted: readiness says go away, liveness says alive.
    let ready = raw(
        server.addr,
        b"GET /readyz?verbose HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .await;
    assert_eq!(ready.statuses(), [503]);
    assert!(
        ready
            .text
            .ends_with("[-]shutdown failed\nreadyz check failed\n"),
        "{}",
        ready.text
    );
    let live = raw(server.addr, b"GET /livez HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(live.statuses(), [200]);
    let routed = raw(server.addr, b"GET /obs/users/7 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(routed.statuses(), [200]);
    // After the delay the listener closes and the server drains.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert!(
        tokio::net::TcpStream::connect(server.addr).await.is_err(),
        "the listener must be closed once the delay is over"
    );
    server.join().await;
}

#[tokio::test]
async fn without_a_delay_the_listener_closes_at_the_signal() {
    let router = app().build().unwrap();
    let server = spawn(router).await;
    let addr = server.addr;
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// The value of the sample `name{labels}` in a text exposition.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name_and_labels)?;
        rest.strip_prefix(' ')?.parse().ok()
    })
}

fn series_count(text: &str) -> usize {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count()
}

#[tokio::test]
async fn requests_are_counted_by_method_template_and_status() {
    let router = app()
        .handler_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    for id in 1..=3 {
        assert_eq!(
            get(&server.url(&format!("/obs/users/{id}"))).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        get(&server.url("/obs/users/x")).await.0,
        StatusCode::BAD_REQUEST
    );
    let created = client.post(server.url("/obs/users")).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        get(&server.url("/obs/teapot")).await.0,
        StatusCode::IM_A_TEAPOT
    );
    assert_eq!(
        get(&server.url("/no/such/path")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&server.url("/another/missing")).await.0,
        StatusCode::NOT_FOUND
    );
    let other = client
        .request(
            Method::from_bytes(b"PURGE").unwrap(),
            server.url("/obs/users/1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::METHOD_NOT_ALLOWED);
    let put = client.put(server.url("/obs/users/1")).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        get(&server.url("/obs/panic")).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        get(&server.url("/obs/slow")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );

    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let count = |method: &str, route: &str, status: u16| {
        sample(
            &text,
            &format!(
                "http_server_request_duration_seconds_count{{http_request_method=\"{method}\",http_route=\"{route}\",http_response_status_code=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(count("GET", "/obs/users/<id>", 200), Some(3.0), "{text}");
    assert_eq!(count("GET", "/obs/users/<id>", 400), Some(1.0));
    assert_eq!(count("POST", "/obs/users", 201), Some(1.0));
    assert_eq!(count("GET", "/obs/teapot", 418), Some(1.0));
    assert_eq!(count("GET", "", 404), Some(2.0));
    assert_eq!(count("_OTHER", "", 405), Some(1.0));
    assert_eq!(count("PUT", "", 405), Some(1.0));
    assert_eq!(count("GET", "/obs/panic", 500), Some(1.0));
    assert_eq!(count("GET", "/obs/slow", 503), Some(1.0));
    // The raw paths never become labels; probes and scrapes are not counted.
    assert!(!text.contains("/obs/users/1\"") && !text.contains("/no/such/path"));
    assert!(!text.contains("http_route=\"/metrics\""));
    // The 3 quick answers fall in the first bucket, cumulative up to +Inf.
    let bucket = |le: &str| {
        sample(
            &text,
            &format!(
                "http_server_request_duration_seconds_bucket{{le=\"{le}\",http_request_method=\"GET\",http_route=\"/obs/users/<id>\",http_response_status_code=\"200\"}}"
            ),
        )
    };
    let first = bucket("0.005").expect("the first bucket");
    assert!((0.0..=3.0).contains(&first), "{text}");
    assert!(bucket("0.5") >= Some(first));
    assert_eq!(bucket("10.0"), Some(3.0), "{text}");
    assert_eq!(bucket("+Inf"), Some(3.0));
    assert_eq!(sample(&text, "routemark_panics_total"), Some(1.0));
    assert_eq!(sample(&text, "routemark_handler_timeouts_total"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "http_server_active_requests{http_request_method=\"GET\"}"
        ),
        Some(0.0)
    );
    assert!(
        text.contains("# TYPE routemark_panics_total counter"),
        "{text}"
    );
    assert!(!text.contains("# EOF"));
    promtool_check(&text);
    server.shutdown().await;
}

#[tokio::test]
async fn the_active_gauge_counts_requests_while_their_handler_waits() {
    let server = spawn(app().build().unwrap()).await;
    let active = || async {
        let (status, text) = get(&server.url("/metrics")).await;
        assert_eq!(status, StatusCode::OK);
        sample(
            &text,
            "http_server_active_requests{http_request_method=\"GET\"}",
        )
    };
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let url = server.url("/obs/held");
            tokio::spawn(async move { get(&url).await })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while active().await != Some(2.0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            active().await
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A handler that answers without waiting is done before the next scrape.
    assert_eq!(get(&server.url("/obs/users/7")).await.0, StatusCode::OK);
    assert_eq!(active().await, Some(2.0));
    HELD.add_permits(2);
    for request in waiting {
        assert_eq!(request.await.unwrap(), (StatusCode::OK, "released".into()));
    }
    assert_eq!(active().await, Some(0.0));
    server.shutdown().await;
}

/// Runs `promtool check metrics` on `text` and fails the test on any complaint.
fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; .ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success() && output.stdout.is_empty() && output.stderr.is_empty(),
        "promtool complained:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn openmetrics_is_served_when_the_scraper_asks_for_it() {
    let server = spawn(app().build().unwrap()).await;
    assert_eq!(get(&server.url("/obs/users/1")).await.0, StatusCode::OK);
    let response = reqwest::Client::new()
        .get(server.url("/metrics"))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains("# TYPE routemark_panics counter\nroutemark_panics_total 0\n"),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/obs/users/<id>\",http_response_status_code=\"200\"}"
        ),
        Some(1.0)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn no_request_adds_a_series() {
    let router = app().build().unwrap();
    // Warm every series the scan below can reach: `404` for its methods and `_OTHER`, `405`
    // for `_OTHER` on a route's path. What it adds afterwards are counts, never series.
    let request = |method: &str, path: String| {
        routemark::http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "t")
            .body(routemark::Body::empty())
            .unwrap()
    };
    let scrape = || async {
        let response = router.handle(request("GET", "/metrics".into())).await;
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let methods = ["GET", "POST", "DELETE", "PATCH", "BREW", "PROPFIND"];
    for method in methods {
        router.handle(request(method, "/warm".into())).await;
    }
    router.handle(request("BREW", "/obs/users/1".into())).await;
    let before = series_count(&scrape().await);
    // 10,000 distinct method tokens, on a route's path and elsewhere: all `_OTHER`.
    for n in 0..10_000 {
        let token = format!("X-M{n}");
        let path = if n % 2 == 0 {
            "/obs/users/1"
        } else {
            "/nowhere"
        };
        let response = router.handle(request(&token, path.into())).await;
        let expected = if n % 2 == 0 { 405 } else { 404 };
        assert_eq!(response.status().as_u16(), expected, "{token} {path}");
    }
    // 100,000 random paths, methods and query strings, in process (the same dispatch as
    // over TCP, without the sockets).
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..100_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let method = methods[(seed % methods.len() as u64) as usize];
        let path = format!("/{:x}/{}?q={}", seed, seed % 977, seed >> 40);
        let response = router.handle(request(method, path)).await;
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let after = scrape().await;
    assert_eq!(series_count(&after), before, "{after}");
    assert_eq!(
        sample(
            &after,
            "http_server_request_duration_seconds_count{http_request_method=\"_OTHER\",http_route=\"\",http_response_status_code=\"404\"}"
        )
        .map(|n| n > 30_000.0),
        Some(true)
    );
}

#[tokio::test]
async fn the_admin_listener_serves_probes_metrics_and_the_route_table() {
    let admin_port = free_port();
    let admin: SocketAddr = format!("127.0.0.1:{admin_port}").parse().unwrap();
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let main = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = app().admin_addr(admin);
    let task = tokio::spawn(async move {
        tokio::select! {
            served = app.serve_on(server) => served,
            _ = rx => Ok(()),
        }
    });
    wait_for(admin).await;
    let base = format!("http://{admin}");
    assert_eq!(
        get(&format!("{base}/livez")).await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(
        get(&format!("{base}/readyz")).await,
        (StatusCode::OK, "ok".into())
    );
    assert_eq!(get(&format!("{base}/metrics")).await.0, StatusCode::OK);
    assert_eq!(
        get(&format!("{base}/elsewhere")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, json) = get(&format!("{base}/routes")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let routes = json["routes"].as_array().unwrap();
    let user = routes
        .iter()
        .find(|r| r["template"] == "/obs/users/<id>")
        .expect("the user route in /routes");
    assert_eq!(user["identity"], serde_json::json!(["GET /obs/users/<id>"]));
    assert_eq!(user["methods"], serde_json::json!(["GET"]));
    assert_eq!(user["handler"], "user");
    assert_eq!(user["module"], "observability");
    assert!(
        user["location"]
            .as_str()
            .unwrap()
            .starts_with("tests/tests/observability.rs:")
    );
    assert_eq!(user["options"]["body_limit"], serde_json::Value::Null);
    assert_eq!(user["tenant"], serde_json::Value::Null);
    assert!(routes.iter().all(|r| r["template"] != "/readyz"));
    // The main listener no longer serves them: the paths are free.
    let main_base = format!("http://{main}");
    assert_eq!(
        get(&format!("{main_base}/livez")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{main_base}/metrics")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("{main_base}/obs/users/5")).await.0,
        StatusCode::OK
    );
    // Counted on the main listener, shown on the admin one.
    let metrics = get(&format!("{base}/metrics")).await.1;
    assert_eq!(
        sample(
            &metrics,
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/obs/users/<id>\",http_response_status_code=\"200\"}"
        ),
        Some(1.0),
        "{metrics}"
    );
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(addr: SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {addr}");
}

#[tokio::test]
async fn connection_closes_are_counted_by_reason() {
    let router = app().build().unwrap();
    let server = spawn_with(router, |c: ServerConfig| {
        c.header_read_timeout(Duration::from_millis(300))
            .max_header_bytes(4 << 10)
    })
    .await;
    // A head that never completes.
    let stalled = raw_chunks(
        server.addr,
        &[b"GET /obs/users/1 HTTP/1.1\r\nHost: t\r\n"],
        Duration::from_secs(2),
    )
    .await;
    assert!(stalled.closed);
    // A head over the limit: 431.
    let big = format!(
        "GET /obs/users/1 HTTP/1.1\r\nHost: t\r\nx-big: {}\r\n\r\n",
        "a".repeat(8 << 10)
    );
    let too_large = raw(server.addr, big.as_bytes()).await;
    assert_eq!(too_large.statuses(), [431]);
    // A request line that does not parse: 400.
    let bad = raw(server.addr, b"GET /a b c HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(bad.statuses(), [400]);
    // One served and closed by the client.
    let normal = raw(
        server.addr,
        b"GET /obs/users/1 HTTP/1.1\r\nHost: t\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(normal.statuses(), [200]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let text = get(&server.url("/metrics")).await.1;
    let closes = |reason: &str| {
        sample(
            &text,
            &format!("routemark_connection_closes_total{{reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(closes("header_timeout"), Some(1.0), "{text}");
    assert_eq!(closes("too_large"), Some(1.0));
    assert_eq!(closes("bad_request"), Some(1.0));
    assert_eq!(closes("normal"), Some(1.0));
    assert_eq!(closes("idle"), Some(0.0));
    // The scrape's own connection is open.
    assert_eq!(sample(&text, "routemark_open_connections"), Some(1.0));
    server.shutdown().await;
}

/// The fields of every closed `routemark::request` span, as text.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<HashMap<String, String>>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

impl<S> tracing_subscriber::Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }
    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let span = ctx.span(id).unwrap();
        let mut extensions = span.extensions_mut();
        let fields = extensions.get_mut::<HashMap<String, String>>().unwrap();
        values.record(&mut Fields(fields));
    }
    fn on_close(&self, id: tracing::span::Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        if span.metadata().target() == "routemark::request"
            && let Some(fields) = span.extensions().get::<HashMap<String, String>>()
        {
            self.0.lock().unwrap().push(fields.clone());
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_request_runs_in_a_span_named_by_its_route() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans = Spans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let router = app().build().unwrap();
    let request = |path: &str| {
        routemark::http::Request::builder()
            .uri(path)
            .header("host", "t")
            .header("x-request-id", "req-42")
            .body(routemark::Body::empty())
            .unwrap()
    };
    assert_eq!(
        router.handle(request("/obs/users/9?x=1")).await.status(),
        200
    );
    assert_eq!(router.handle(request("/obs/panic")).await.status(), 500);
    let spans = spans.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 2, "{spans:?}");
    let ok = &spans[0];
    assert_eq!(ok["otel.name"], "GET /obs/users/<id>");
    assert_eq!(ok["otel.kind"], "server");
    assert_eq!(ok["http.request.method"], "GET");
    assert_eq!(ok["http.route"], "/obs/users/<id>");
    assert_eq!(ok["url.path"], "/obs/users/9");
    assert_eq!(ok["url.query"], "x=1");
    assert_eq!(ok["url.scheme"], "http");
    assert_eq!(ok["http.response.status_code"], "200");
    assert_eq!(ok["request_id"], "req-42");
    assert!(!ok.contains_key("otel.status_code"));
    let failed = &spans[1];
    assert_eq!(failed["otel.name"], "GET /obs/panic");
    assert_eq!(failed["http.response.status_code"], "500");
    assert_eq!(failed["otel.status_code"], "ERROR");
}

/// Prometheus itself scrapes the server (it asks for OpenMetrics) and its query API returns
/// what the server counted.
#[tokio::test]
async fn a_real_prometheus_scrapes_the_metrics() {
    let server = spawn(app().build().unwrap()).await;
    for id in 0..5 {
        assert_eq!(
            get(&server.url(&format!("/obs/users/{id}"))).await.0,
            StatusCode::OK
        );
    }
    let dir = std::env::temp_dir().join(format!("routemark-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: routemark\n    static_configs:\n      - targets: ['{}']\n",
            server.addr
        ),
    )
    .unwrap();
    let web_port = free_port();
    let mut prometheus = std::process::Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("prometheus (Debian package `prometheus`; .ci/run installs it)");
    let query = format!(
        "http://127.0.0.1:{web_port}/api/v1/query?query=http_server_request_duration_seconds_count%7Bhttp_route%3D%22%2Fobs%2Fusers%2F%3Cid%3E%22%7D"
    );
    let mut last = String::new();
    let mut found = None;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Ok(response) = reqwest::get(&query).await else {
            continue;
        };
        last = response.text().await.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&last).unwrap_or_default();
        if let Some(result) = json["data"]["result"].as_array()
            && let Some(first) = result.first()
        {
            found = Some(first.clone());
            break;
        }
    }
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let found = found.unwrap_or_else(|| panic!("Prometheus never had the series: {last}"));
    assert_eq!(found["metric"]["http_request_method"], "GET");
    assert_eq!(found["metric"]["http_response_status_code"], "200");
    assert_eq!(found["metric"]["job"], "routemark");
    assert_eq!(found["value"][1], "5");
    // Its scrapes asked for OpenMetrics and were not counted as traffic.
    server.shutdown().await;
}

#[tokio::test]
async fn requests_through_layers_and_nested_services_are_counted_by_route() {
    let legacy = tower::service_fn(
        |_request: routemark::http::Request<routemark::Body>| async {
            Ok::<_, std::convert::Infallible>(routemark::http::Response::new(
                routemark::Body::from("legacy"),
            ))
        },
    );
    let router = app()
        .layer(tower::layer::util::Identity::new())
        .route_layer(tower::layer::util::Identity::new())
        .nest_service("/legacy", legacy)
        .build()
        .unwrap();
    let server = spawn(router).await;
    assert_eq!(
        get(&server.url("/obs/users/1")).await,
        (StatusCode::OK, "user 1".into())
    );
    assert_eq!(
        get(&server.url("/legacy/a/b")).await,
        (StatusCode::OK, "legacy".into())
    );
    assert_eq!(get(&server.url("/legacy")).await.0, StatusCode::OK);
    assert_eq!(get(&server.url("/missing")).await.0, StatusCode::NOT_FOUND);
    let text = get(&server.url("/metrics")).await.1;
    let count = |route: &str, status: u16| {
        sample(
            &text,
            &format!(
                "http_server_request_duration_seconds_count{{http_request_method=\"GET\",http_route=\"{route}\",http_response_status_code=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(count("/obs/users/<id>", 200), Some(1.0), "{text}");
    assert_eq!(count("/legacy", 200), Some(2.0));
    assert_eq!(count("", 404), Some(1.0));
    server.shutdown().await;
}

#[tokio::test]
async fn a_catcher_does_not_reshape_probes_and_panics_stay_counted() {
    let router = app()
        .catch(|error: routemark::HttpError| format!("caught {}", error.status().as_u16()))
        .readiness_check("down", || async { Err::<(), _>("no") })
        .build()
        .unwrap();
    let server = spawn(router).await;
    assert_eq!(
        get(&server.url("/readyz")).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "readyz check failed\n".into()
        )
    );
    let (status, body) = get(&server.url("/obs/panic")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, "caught 500")
    );
    assert_eq!(
        get(&server.url("/nope")).await,
        (StatusCode::NOT_FOUND, "caught 404".into())
    );
    let text = get(&server.url("/metrics")).await.1;
    assert_eq!(sample(&text, "routemark_panics_total"), Some(1.0), "{text}");
    server.shutdown().await;
}
