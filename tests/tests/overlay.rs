//! The overlay over real TCP: routes switched off, aliases, splits, resilience keys; every
//! malformed overlay rejected whole with its reasons while the last good table serves; the
//! file source (edit, rename, truncated write); swaps under load; old tables freed.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use routemark::http::StatusCode;
use routemark::{App, MatchedRoute, Problem, Router, route};
use support::spawn;

#[route(GET "/ov/users/<id>")]
fn user(id: String, matched: MatchedRoute) -> String {
    format!("user {id} via {}", matched.template())
}

#[route(GET "/ov/users/me")]
fn me() -> &'static str {
    "me"
}

#[route(GET "/ov/checkout")]
fn checkout_v1() -> &'static str {
    "v1"
}

#[route(GET "/ov/checkout/v2")]
fn checkout_v2() -> &'static str {
    "v2"
}

#[route(GET "/ov/teams/<team>/members/<id>")]
fn member(team: String, id: String) -> String {
    format!("{team}/{id}")
}

#[route(GET "/ov/orders/<order>")]
fn order(order: String) -> String {
    format!("order {order}")
}

#[route(POST "/ov/payments")]
fn pay() -> &'static str {
    "paid"
}

fn router() -> Router {
    App::with_routes(routemark::routes().filter(|r| r.path().starts_with("/ov/")))
        .build()
        .unwrap()
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn get_with(client: &reqwest::Client, url: &str, header: (&str, &str)) -> String {
    client
        .get(url)
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_overlay_switches_routes_off_adds_aliases_and_returns_to_the_compiled_table() {
    let router = router();
    let server = spawn(router.clone()).await;
    assert_eq!(get(&server.url("/ov/users/me")).await.1, "me");
    router
        .apply_overlay(
            r#"{ "routes": {
                "GET /ov/users/me": { "enabled": false },
                "GET /ov/people/<id>": { "alias_of": "GET /ov/users/<id>" }
            } }"#,
            "r1",
        )
        .unwrap();
    // Without it, the request matches what it would match: the parameter route.
    assert_eq!(
        get(&server.url("/ov/users/me")).await,
        (200, "user me via /ov/users/<id>".into())
    );
    assert_eq!(
        get(&server.url("/ov/people/7")).await,
        (200, "user 7 via /ov/users/<id>".into())
    );
    assert_eq!(router.overlay_revision().as_deref(), Some("r1"));
    router.apply_overlay("{}", "r2").unwrap();
    assert_eq!(get(&server.url("/ov/users/me")).await.1, "me");
    assert_eq!(get(&server.url("/ov/people/7")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn a_five_percent_split_is_five_of_every_hundred_and_survives_a_rejected_change() {
    let router = router();
    let server = spawn(router.clone()).await;
    router
        .apply_overlay(
            r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 5 } } } }"#,
            "canary",
        )
        .unwrap();
    let client = reqwest::Client::new();
    let mut v2 = 0;
    for _ in 0..50 {
        if client
            .get(server.url("/ov/checkout"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            == "v2"
        {
            v2 += 1;
        }
    }
    // A rejected change rebuilds nothing: the split's counter goes on.
    assert!(
        router
            .apply_overlay(r#"{ "routes": { "GET /nope": {} } }"#, "bad")
            .is_err()
    );
    for _ in 0..50 {
        if client
            .get(server.url("/ov/checkout"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            == "v2"
        {
            v2 += 1;
        }
    }
    assert_eq!(v2, 5);
    for _ in 0..100 {
        if client
            .get(server.url("/ov/checkout"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            == "v2"
        {
            v2 += 1;
        }
    }
    assert_eq!(v2, 10);
    // The canary's answers are counted under its own route.
    let metrics = get(&server.url("/metrics")).await.1;
    assert!(
        metrics.contains("http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/ov/checkout/v2\",http_response_status_code=\"200\"} 10"),
        "{metrics}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_sticky_split_keeps_each_client_on_one_side() {
    let router = router();
    let server = spawn(router.clone()).await;
    router
        .apply_overlay(
            r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 20 }, "sticky": "x-user" } } }"#,
            "sticky",
        )
        .unwrap();
    let client = reqwest::Client::new();
    let mut on_v2 = 0;
    for user in 0..200 {
        let user = format!("user-{user}");
        let first = get_with(&client, &server.url("/ov/checkout"), ("x-user", &user)).await;
        for _ in 0..3 {
            assert_eq!(
                get_with(&client, &server.url("/ov/checkout"), ("x-user", &user)).await,
                first
            );
        }
        if first == "v2" {
            on_v2 += 1;
        }
    }
    // A stable hash over 200 users: about a fifth on the canary.
    assert!((20..=60).contains(&on_v2), "{on_v2} of 200 on v2");
    server.shutdown().await;
}

/// Applies `json`, expects it rejected with exactly `expected`, and the table unchanged.
async fn rejected(router: &Router, base: &str, json: &str, expected: &[&str]) {
    let before = get(&format!("{base}/ov/users/me")).await;
    let problems = router
        .apply_overlay(json, "bad")
        .expect_err("the overlay must be rejected");
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems, expected, "{json}");
    assert_eq!(get(&format!("{base}/ov/users/me")).await, before);
}

#[tokio::test]
async fn every_malformed_overlay_is_rejected_whole_with_every_reason() {
    let router = router();
    let server = spawn(router.clone()).await;
    let base = server.url("");
    router
        .apply_overlay(
            r#"{ "routes": { "GET /ov/users/me": { "enabled": false } } }"#,
            "good",
        )
        .unwrap();
    rejected(
        &router,
        &base,
        r#"{ "routes": { "GET /ov/user/<id>": { "enabled": false } } }"#,
        &["`GET /ov/user/<id>` is not a route; did you mean `GET /ov/users/<id>`?"],
    )
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/people/<name>": { "alias_of": "GET /ov/users/<id>" } } }"#, &[
        "alias `GET /ov/people/<name>` has parameters [name] but its target `GET /ov/users/<id>` has [id]; an alias binds the same parameters, in the same order",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout/<x>": { "alias_of": "GET /ov/users/<id>" } } }"#, &[
        "alias `GET /ov/checkout/<x>` has parameters [x] but its target `GET /ov/users/<id>` has [id]; an alias binds the same parameters, in the same order",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/users/<other>": { "alias_of": "GET /ov/people/<id>" } } }"#, &[
        "alias `GET /ov/users/<other>` points to `GET /ov/people/<id>`, which is not a route; did you mean `GET /ov/users/<id>`?",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/members/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/users/<id>/x": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/users/<x>": { "alias_of": "GET /ov/checkout" } } }"#, &[
        "alias `GET /ov/users/<x>` has parameters [x] but its target `GET /ov/checkout` has []; an alias binds the same parameters, in the same order",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/team/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/users/<id>": { "alias_of": "GET /ov/users/me" } } }"#, &[
        "alias `GET /ov/users/<id>` is already a route; an alias adds a path no route has",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/people/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/persons/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/people/<who>": { "alias_of": "GET /ov/users/<id>" } } }"#, &[
        "alias `GET /ov/people/<who>` has parameters [who] but its target `GET /ov/users/<id>` has [id]; an alias binds the same parameters, in the same order",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/users/<id>/": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/users/me/": { "alias_of": "GET /ov/users/me" }, "GET /ov/x/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/y/<id>": { "alias_of": "GET /ov/users/<id>" }, "GET /ov/z": { "alias_of": "GET /ov/users/me" }, "GET /ov/checkout/v3": { "alias_of": "GET /ov/checkout" }, "GET /ov/checkout/v2": { "alias_of": "GET /ov/checkout" } } }"#, &[
        "alias `GET /ov/checkout/v2` is already a route; an alias adds a path no route has",
    ])
    .await;
    rejected(
        &router,
        &base,
        r#"{ "routes": { "GET /ov/orders/<id>": { "alias_of": "GET /ov/users/<id>" } } }"#,
        &[
            "alias `GET /ov/orders/<id>` conflicts with route `GET /ov/orders/<order>` (order): both match the same requests",
        ],
    )
    .await;
    rejected(
        &router,
        &base,
        r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 101 } } } }"#,
        &["`GET /ov/checkout` splits 101 % to `GET /ov/checkout/v2`; a weight is 0 to 100"],
    )
    .await;
    rejected(
        &router,
        &base,
        r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": -1 } } } }"#,
        &["`GET /ov/checkout` splits -1 % to `GET /ov/checkout/v2`; a weight is 0 to 100"],
    )
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 60, "GET /ov/users/me": 50 } } } }"#, &[
        "`GET /ov/checkout` splits 110 % of its requests; the weights add up to at most 100",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/users/<id>": 10 } } } }"#, &[
        "`GET /ov/checkout` has parameters [] but its split target `GET /ov/users/<id>` has [id]; a split target binds the same parameters, in the same order",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout": { "enabled": false, "split": { "GET /ov/checkout/v2": 10 } } } }"#, &[
        "`GET /ov/checkout` is both disabled and split; a disabled route has no requests to split",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout": { "timeout_ms": 0, "concurrency": -3, "breaker": { "errors_percent": 101, "min_requests": 0, "windw_ms": 10 } } } }"#, &[
        "`GET /ov/checkout`: `timeout_ms` is 0; it must be 1 to 86400000",
        "`GET /ov/checkout`: `concurrency` is -3; it must be 1 to 4294967295",
        "`GET /ov/checkout`: `breaker.errors_percent` is 101; it must be 1 to 100",
        "`GET /ov/checkout`: `breaker.min_requests` is 0; it must be 1 to 4294967295",
        "`GET /ov/checkout`: unknown key `breaker.windw_ms`; expected `errors_percent`, `min_requests`, `window_ms` or `open_ms`",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "POST /ov/payments": { "breaker": "force_opne" } } }"#, &[
        "`POST /ov/payments`: `breaker` is `force_opne`; write \"force_open\", \"force_closed\" or the thresholds object",
    ])
    .await;
    rejected(&router, &base, r#"{ "routes": { "get /ov/checkout": {}, "GET ov/checkout": {} } }"#, &[
        "`GET ov/checkout` is not a route identity: the template starts with `/` and has no query or space",
        "`get /ov/checkout`: unknown HTTP method `get`; did you mean `GET`?",
    ])
    .await;
    rejected(
        &router,
        &base,
        "{ \"routes\": {\n  \"GET /ov/checkout\": { \"enabled\": fals }\n} }",
        &["malformed overlay at line 2, column 40: expected ident"],
    )
    .await;
    rejected(&router, &base, r#"{ "routes": { "GET /ov/checkout": { "enable": false } } }"#, &[
        "malformed overlay at line 1, column 44: unknown field `enable`, expected one of `enabled`, `alias_of`, `split`, `sticky`, `timeout_ms`, `concurrency`, `breaker`",
    ])
    .await;
    // The good overlay is still in force, and the admin view says so.
    assert_eq!(router.overlay_revision().as_deref(), Some("good"));
    let metrics = get(&server.url("/metrics")).await.1;
    assert!(
        metrics.contains("routemark_overlay_reloads_total{result=\"applied\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("routemark_overlay_reloads_total{result=\"rejected\"} 19\n"),
        "{metrics}"
    );
    // A later valid change applies normally.
    router.apply_overlay("{}", "fixed").unwrap();
    assert_eq!(get(&server.url("/ov/users/me")).await.1, "me");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_swaps_under_load_never_give_a_wrong_answer() {
    let router = router();
    let server = spawn(router.clone()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let url = server.url("/ov/teams/red/members/42");
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answered = 0;
            while !stop.load(Ordering::Relaxed) || answered < 50 {
                let response = client.get(&url).send().await.expect("no failed request");
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(response.text().await.unwrap(), "red/42");
                answered += 1;
            }
            answered
        }));
    }
    for flip in 0..100 {
        let json = if flip % 2 == 0 {
            r#"{ "routes": { "GET /ov/users/me": { "enabled": false }, "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 50 } } } }"#
        } else {
            "{}"
        };
        router.apply_overlay(json, &flip.to_string()).unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for client in clients {
        total += client.await.unwrap();
    }
    assert!(total >= 200, "{total}");
    server.shutdown().await;
}

#[tokio::test]
async fn the_overlay_file_is_applied_within_a_second_and_a_bad_one_never() {
    let dir = std::env::temp_dir().join(format!("routemark-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("overlay.json");
    std::fs::write(
        &path,
        r#"{ "routes": { "GET /ov/users/me": { "enabled": false } } }"#,
    )
    .unwrap();
    let router = App::with_routes(routemark::routes().filter(|r| r.path().starts_with("/ov/")))
        .overlay_file(&path)
        .build()
        .unwrap();
    let server = spawn(router.clone()).await;
    // Applied at build.
    assert_eq!(
        get(&server.url("/ov/users/me")).await.1,
        "user me via /ov/users/<id>"
    );

    // Edited in place.
    std::fs::write(&path, "{}").unwrap();
    let took = wait_for_answer(&server.url("/ov/users/me"), "me").await;
    assert!(took < Duration::from_secs(1), "applied after {took:?}");

    // Replaced by rename, as an atomic write (and a ConfigMap update) does it.
    let staged = dir.join("overlay.json.tmp");
    std::fs::write(
        &staged,
        r#"{ "routes": { "GET /ov/checkout": { "split": { "GET /ov/checkout/v2": 100 } } } }"#,
    )
    .unwrap();
    std::fs::rename(&staged, &path).unwrap();
    let took = wait_for_answer(&server.url("/ov/checkout"), "v2").await;
    assert!(took < Duration::from_secs(1), "applied after {took:?}");

    // Truncated: never applied, the last good table serves.
    let revision = router.overlay_revision();
    std::fs::write(&path, r#"{ "routes": { "GET /ov/checkout": { "ena"#).unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(get(&server.url("/ov/checkout")).await.1, "v2");
    assert_eq!(router.overlay_revision(), revision);
    // Completed: applied.
    std::fs::write(
        &path,
        r#"{ "routes": { "GET /ov/checkout": { "enabled": true } } }"#,
    )
    .unwrap();
    wait_for_answer(&server.url("/ov/checkout"), "v1").await;
    let metrics = get(&server.url("/metrics")).await.1;
    assert!(
        metrics.contains("routemark_overlay_reloads_total{result=\"rejected\"} 1\n"),
        "{metrics}"
    );
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Polls `url` until it answers `body`; how long that took (at most 5 s).
async fn wait_for_answer(url: &str, body: &str) -> Duration {
    let start = Instant::now();
    loop {
        if get(url).await.1 == body {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{url} never answered {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn an_overlay_file_that_does_not_fit_is_a_build_error() {
    let path =
        std::env::temp_dir().join(format!("routemark-bad-overlay-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{ "routes": { "GET /ov/nope": { "enabled": false } } }"#,
    )
    .unwrap();
    let error = App::with_routes(routemark::routes().filter(|r| r.path().starts_with("/ov/")))
        .overlay_file(&path)
        .build()
        .unwrap_err();
    let _ = std::fs::remove_file(&path);
    assert!(
        matches!(error.problems(), [Problem::Overlay { .. }]),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "1 problem in the route table:\nerror: the overlay file `{}` is rejected:\n  `GET /ov/nope` is not a route\n",
            path.display()
        )
    );
}

#[tokio::test]
async fn keep_alive_connections_stay_open_across_swaps() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = router();
    let server = spawn(router.clone()).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let exchange = async |stream: &mut tokio::net::TcpStream| {
        stream
            .write_all(b"GET /ov/users/me HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    assert!(exchange(&mut stream).await.ends_with("\r\n\r\nme"));
    router
        .apply_overlay(
            r#"{ "routes": { "GET /ov/users/me": { "enabled": false } } }"#,
            "off",
        )
        .unwrap();
    // The same connection, routed on the new table.
    assert!(
        exchange(&mut stream)
            .await
            .ends_with("user me via /ov/users/<id>")
    );
    router.apply_overlay("{}", "on").unwrap();
    assert!(exchange(&mut stream).await.ends_with("\r\n\r\nme"));
    server.shutdown().await;
}
