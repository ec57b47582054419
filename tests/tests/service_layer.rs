//! The service layer over real TCP: the live table swapped under load, tower and tower-http
//! layers (global, per route, per tag and module), `Extension` and `MatchedRoute`, panics in
//! layers, and interop both ways with axum.

mod support;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use routemark::http::{HeaderValue, Method, StatusCode};
use routemark::{
    App, Extension, MatchedRoute, OriginalUri, Problem, Request, RouteFilter, RouteService, Router,
    Server, route,
};
use support::{raw, spawn};
use tower::Service;

#[route(GET "/hello")]
fn hello() -> &'static str {
    "hello"
}

#[route(GET "/users/<id>")]
fn user(id: u64, matched: MatchedRoute) -> String {
    format!("user {id} via {}", matched.template())
}

#[route(GET "/admin/stats", tags = ["admin"])]
fn admin_stats() -> &'static str {
    "stats"
}

#[route(GET "/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "slow"
}

#[route(GET "/big")]
fn big() -> String {
    "all work and no play ".repeat(1_000)
}

#[derive(Clone, Debug)]
struct User(String);

#[route(GET "/whoami")]
fn whoami(Extension(user): Extension<User>) -> String {
    user.0
}

mod billing {
    use routemark::route;

    #[route(GET "/billing/invoices")]
    pub(crate) fn invoices() -> &'static str {
        "invoices"
    }
}

/// The routes of this file, outside the modules the swap test uses.
fn main_routes() -> impl Iterator<Item = &'static routemark::Route> {
    routemark::routes().filter(|r| !r.module_path().contains("::table_"))
}

fn app() -> App {
    App::with_routes(main_routes())
}

async fn get_text(client: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = client.get(url).send().await.expect("request");
    let status = res.status();
    (status, res.text().await.expect("body"))
}

// ---- the live table ----

mod table_a {
    use std::time::Duration;

    use routemark::route;

    #[route(GET "/swap/<x>")]
    pub(crate) fn any(x: String) -> String {
        format!("A:{x}")
    }

    #[route(GET "/swap/slow/<x>")]
    pub(crate) async fn slow(x: String) -> String {
        tokio::time::sleep(Duration::from_millis(400)).await;
        format!("A-slow:{x}")
    }
}

mod table_b {
    use routemark::route;

    #[route(GET "/swap/v")]
    pub(crate) fn v() -> &'static str {
        "B"
    }
}

mod table_needs_state {
    use routemark::{State, route};

    #[derive(Clone)]
    pub(crate) struct NeverGiven;

    #[route(GET "/swap/state")]
    pub(crate) fn needs(State(_): State<NeverGiven>) -> &'static str {
        "unreachable"
    }
}

fn table(name: &str) -> Vec<&'static routemark::Route> {
    let suffix = format!("::{name}");
    routemark::routes()
        .filter(|r| r.module_path().ends_with(&suffix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_swapped_under_load_answer_every_request_from_one_table() {
    let router = App::with_routes(table("table_a")).build().unwrap();
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (a_answers, b_answers) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (client, url, done) = (client.clone(), server.url("/swap/v"), done.clone());
        let (a, b) = (a_answers.clone(), b_answers.clone());
        load.push(tokio::spawn(async move {
            let mut served = 0;
            while !done.load(Ordering::SeqCst) || served < 250 {
                let (status, body) = get_text(&client, url.clone()).await;
                // `/swap/v` is `A:v` in table A and `B` in table B; anything else is an
                // answer no table gives.
                match (status, body.as_str()) {
                    (StatusCode::OK, "A:v") => a.fetch_add(1, Ordering::SeqCst),
                    (StatusCode::OK, "B") => b.fetch_add(1, Ordering::SeqCst),
                    other => panic!("an answer of no table: {other:?}"),
                };
                served += 1;
            }
            served
        }));
    }
    for swap in 0..10 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let (next, expected) = if swap % 2 == 0 {
            ("table_b", "B")
        } else {
            ("table_a", "A:v")
        };
        router.replace_routes(table(next)).unwrap();
        // Once the swap returns, every new lookup, on any connection, sees the new table.
        let (status, body) = get_text(&client, server.url("/swap/v")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, expected),
            "swap {swap}"
        );
    }
    done.store(true, Ordering::SeqCst);
    let mut total = 0;
    for task in load {
        total += task.await.unwrap();
    }
    assert!(total >= 2_000, "{total} requests");
    assert_eq!(
        a_answers.load(Ordering::SeqCst) + b_answers.load(Ordering::SeqCst),
        total
    );
    assert!(a_answers.load(Ordering::SeqCst) > 0 && b_answers.load(Ordering::SeqCst) > 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_in_flight_finishes_on_the_table_it_started_with() {
    let router = App::with_routes(table("table_a")).build().unwrap();
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let in_flight = {
        let (client, url) = (client.clone(), server.url("/swap/slow/1"));
        tokio::spawn(async move { get_text(&client, url).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    router.replace_routes(table("table_b")).unwrap();
    assert_eq!(
        in_flight.await.unwrap(),
        (StatusCode::OK, "A-slow:1".to_owned())
    );
    // The new table has no such route.
    let (status, _) = get_text(&client, server.url("/swap/slow/2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn a_rejected_table_leaves_the_last_good_one_serving() {
    let router = App::with_routes(table("table_b")).build().unwrap();
    let mut wanted = table("table_a");
    wanted.extend(table("table_needs_state"));
    let error = router.replace_routes(wanted).unwrap_err();
    assert!(
        matches!(
            error.problems(),
            [Problem::MissingState { type_name, .. }] if type_name.ends_with("NeverGiven")
        ),
        "{error}"
    );
    let client = routemark::testing::TestClient::new(router.clone());
    assert_eq!(client.get("/swap/v").send().await.text(), "B");
    assert_eq!(
        router.routes().map(|r| r.path()).collect::<Vec<_>>(),
        ["/swap/v"]
    );
}

// ---- layers ----

#[tokio::test]
async fn a_global_layer_sees_every_request_and_a_route_layer_only_matched_ones() {
    let global = Arc::new(AtomicUsize::new(0));
    let routed = Arc::new(AtomicUsize::new(0));
    let (g, r) = (global.clone(), routed.clone());
    let router = app()
        .layer(tower::util::MapRequestLayer::new(move |req: Request| {
            g.fetch_add(1, Ordering::SeqCst);
            req
        }))
        .route_layer(tower::util::MapRequestLayer::new(move |req: Request| {
            r.fetch_add(1, Ordering::SeqCst);
            req
        }))
        .build()
        .unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    assert_eq!(get_text(&client, server.url("/hello")).await.0, 200);
    assert_eq!(get_text(&client, server.url("/nope")).await.0, 404);
    let res = client.post(server.url("/hello")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(
        (global.load(Ordering::SeqCst), routed.load(Ordering::SeqCst)),
        (3, 1)
    );
    // A request the framing checks refuse reaches no layer at all.
    let exchange = raw(server.addr, b"GET /hello HTTP/1.1\r\n\r\n").await;
    assert_eq!(exchange.statuses(), [400]);
    assert_eq!(global.load(Ordering::SeqCst), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn tower_http_trace_layer_reports_each_response() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let trace = tower_http::trace::TraceLayer::new_for_http().on_response(
        move |res: &routemark::http::Response<_>, _latency: Duration, _span: &tracing::Span| {
            let route = res.extensions().get::<MatchedRoute>().map(|m| m.template());
            record.lock().unwrap().push((res.status().as_u16(), route));
        },
    );
    let server = spawn(app().layer(trace).build().unwrap()).await;
    let client = reqwest::Client::new();
    get_text(&client, server.url("/users/7")).await;
    get_text(&client, server.url("/nope")).await;
    assert_eq!(
        *seen.lock().unwrap(),
        [(200, Some("/users/<id>")), (404, None)]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tower_http_cors_layer_answers_preflight_and_marks_responses() {
    use tower_http::cors::{Any, CorsLayer};
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET]);
    let server = spawn(app().layer(cors).build().unwrap()).await;
    let client = reqwest::Client::new();
    let preflight = client
        .request(Method::OPTIONS, server.url("/hello"))
        .header("origin", "https://example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(preflight.headers()["access-control-allow-methods"], "GET");
    let res = client
        .get(server.url("/hello"))
        .header("origin", "https://example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(res.text().await.unwrap(), "hello");
    server.shutdown().await;
}

#[tokio::test]
async fn tower_http_compression_layer_gzips_what_the_client_accepts() {
    let server = spawn(
        app()
            .layer(tower_http::compression::CompressionLayer::new())
            .build()
            .unwrap(),
    )
    .await;
    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/big"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.unwrap();
    assert_eq!(&body[..2], [0x1f, 0x8b], "gzip magic");
    assert!(body.len() < 1_000, "{} bytes for 21,000", body.len());
    let plain = client.get(server.url("/big")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap().len(), 21_000);
    server.shutdown().await;
}

#[tokio::test]
async fn tower_http_timeout_layer_cuts_a_slow_handler() {
    #[allow(deprecated)] // `new` answers 408, the status this test pins
    let timeout = tower_http::timeout::TimeoutLayer::new(Duration::from_millis(50));
    let server = spawn(app().layer(timeout).build().unwrap()).await;
    let client = reqwest::Client::new();
    assert_eq!(
        get_text(&client, server.url("/slow")).await.0,
        StatusCode::REQUEST_TIMEOUT
    );
    assert_eq!(
        get_text(&client, server.url("/hello")).await,
        (StatusCode::OK, "hello".to_owned())
    );
    server.shutdown().await;
}

#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl tower_http::request_id::MakeRequestId for Counter {
    fn make_request_id<B>(
        &mut self,
        _request: &routemark::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Some(HeaderValue::from_str(&format!("req-{n}")).unwrap().into())
    }
}

#[tokio::test]
async fn tower_http_request_id_layers_set_and_propagate_the_id() {
    use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
    let router = app()
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(Counter::default()))
        .build()
        .unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    let first = client.get(server.url("/hello")).send().await.unwrap();
    assert_eq!(first.headers()["x-request-id"], "req-1");
    let own = client
        .get(server.url("/nope"))
        .header("x-request-id", "mine")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (own.status().as_u16(), &own.headers()["x-request-id"]),
        (404, &HeaderValue::from_static("mine"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn require_authorization_on_the_admin_tag_guards_those_routes_only() {
    #[allow(deprecated)] // `bearer` is the documented constructor in tower-http 0.6
    let auth = tower_http::validate_request::ValidateRequestHeaderLayer::bearer("s3cret");
    let router = app()
        .route_layer_for(RouteFilter::tag("admin"), auth)
        .build()
        .unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    assert_eq!(
        get_text(&client, server.url("/admin/stats")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let res = client
        .get(server.url("/admin/stats"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "stats");
    // Untagged routes and unknown paths are untouched: a 404 is not turned into a 401.
    assert_eq!(get_text(&client, server.url("/hello")).await.0, 200);
    assert_eq!(get_text(&client, server.url("/admin/nope")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn a_route_layer_by_module_wraps_that_module_only() {
    let marked = tower::util::MapResponseLayer::new(|mut res: routemark::Response| {
        res.headers_mut()
            .insert("x-billing", HeaderValue::from_static("yes"));
        res
    });
    let router = app()
        .route_layer_for(
            RouteFilter::module(concat!(module_path!(), "::billing")),
            marked,
        )
        .build()
        .unwrap();
    let client = routemark::testing::TestClient::new(router);
    let invoices = client.get("/billing/invoices").send().await;
    assert_eq!(
        (invoices.text().as_str(), invoices.header("x-billing")),
        ("invoices", Some("yes"))
    );
    assert_eq!(client.get("/hello").send().await.header("x-billing"), None);
}

#[test]
fn route_filters_select_by_tag_and_by_module_boundary() {
    let stats = main_routes().find(|r| r.name() == "admin_stats").unwrap();
    let invoices = main_routes().find(|r| r.name() == "invoices").unwrap();
    assert!(RouteFilter::tag("admin").matches(stats));
    assert!(!RouteFilter::tag("admin").matches(invoices));
    assert!(RouteFilter::module("service_layer").matches(invoices));
    assert!(RouteFilter::module("service_layer::billing").matches(invoices));
    assert!(!RouteFilter::module("service_layer::bill").matches(invoices));
    assert!(RouteFilter::all().matches(stats));
}

#[tokio::test]
async fn a_panic_in_a_layer_is_a_500_and_the_connection_closes() {
    let router = app()
        .layer(tower::util::MapRequestLayer::new(|req: Request| {
            if req.headers().contains_key("x-boom") {
                panic!("boom in a global layer");
            }
            req
        }))
        .route_layer(tower::util::MapRequestLayer::new(|req: Request| {
            if req.headers().contains_key("x-route-boom") {
                panic!("boom in a route layer");
            }
            req
        }))
        .build()
        .unwrap();
    let server = spawn(router).await;
    for header in ["x-boom", "x-route-boom"] {
        let request = format!("GET /hello HTTP/1.1\r\nHost: a\r\n{header}: 1\r\n\r\n");
        let exchange = raw(server.addr, request.as_bytes()).await;
        assert_eq!(exchange.statuses(), [500], "{header}");
        assert!(exchange.has_header("connection", "close"), "{header}");
        assert!(exchange.body().contains("the handler failed"), "{header}");
        assert!(exchange.closed, "{header}");
    }
    let client = reqwest::Client::new();
    assert_eq!(get_text(&client, server.url("/hello")).await.1, "hello");
    server.shutdown().await;
}

// ---- context ----

#[tokio::test]
async fn extension_reads_what_a_layer_inserted_and_is_a_500_when_missing() {
    let with = TestClientFor::new(app().layer(Extension(User("ada".to_owned()))));
    assert_eq!(with.get_text("/whoami").await, (200, "ada".to_owned()));
    let without = TestClientFor::new(app());
    let (status, body) = without.get_text("/whoami").await;
    assert_eq!(status, 500);
    assert!(
        body.contains("missing request extension `service_layer::User`"),
        "{body}"
    );
}

#[tokio::test]
async fn matched_route_is_in_the_request_and_response_extensions() {
    let before = tower::layer::layer_fn(|inner: RouteService| {
        tower::service_fn(move |req: Request| {
            let seen = req
                .extensions()
                .get::<MatchedRoute>()
                .map(|m| format!("{} {} {}", m.methods(), m.template(), m.handler()));
            let mut inner = inner.clone();
            async move {
                let mut res = inner.call(req).await?;
                let seen = HeaderValue::from_str(&seen.unwrap_or_default()).unwrap();
                res.headers_mut().insert("x-route-before", seen);
                Ok::<_, Infallible>(res)
            }
        })
    });
    let after = tower::util::MapResponseLayer::new(|mut res: routemark::Response| {
        let location = res.extensions().get::<MatchedRoute>().map(|m| m.location());
        if let Some(location) = location {
            let value = HeaderValue::from_str(&location).unwrap();
            res.headers_mut().insert("x-route-after", value);
        }
        res
    });
    let client = TestClientFor::new(app().route_layer(before).layer(after));
    let res = client.client.get("/users/7").send().await;
    assert_eq!(res.text(), "user 7 via /users/<id>");
    assert_eq!(res.header("x-route-before"), Some("GET /users/<id> user"));
    let user = main_routes().find(|r| r.name() == "user").unwrap();
    assert!(user.location().ends_with("service_layer.rs:25"));
    assert_eq!(res.header("x-route-after"), Some(user.location().as_str()));
    let missing = client.client.get("/nope").send().await;
    assert_eq!(missing.header("x-route-after"), None);
}

struct TestClientFor {
    client: routemark::testing::TestClient,
}

impl TestClientFor {
    fn new(app: App) -> TestClientFor {
        TestClientFor {
            client: routemark::testing::TestClient::new(app.build().unwrap()),
        }
    }

    async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self.client.get(path).send().await;
        (res.status().as_u16(), res.text())
    }
}

// ---- services: nested, fallback, served directly ----

fn axum_app() -> axum::Router {
    axum::Router::new()
        .route("/ping", axum::routing::get(|| async { "pong from axum" }))
        .route(
            "/uri",
            axum::routing::get(
                |uri: axum::http::Uri, req: axum::extract::Request| async move {
                    let original = req
                        .extensions()
                        .get::<OriginalUri>()
                        .map(|o| o.0.to_string());
                    format!("{uri} (client sent {})", original.unwrap_or_default())
                },
            ),
        )
}

#[tokio::test]
async fn an_axum_router_nested_in_an_app_is_served_over_tcp() {
    let router = app().nest_service("/legacy", axum_app()).build().unwrap();
    let server = spawn(router).await;
    let client = reqwest::Client::new();
    assert_eq!(
        get_text(&client, server.url("/legacy/ping")).await,
        (StatusCode::OK, "pong from axum".to_owned())
    );
    assert_eq!(
        get_text(&client, server.url("/legacy/uri?x=1")).await.1,
        "/uri?x=1 (client sent /legacy/uri?x=1)"
    );
    // axum's own 404 under the prefix; routemark's outside it.
    let (status, body) = get_text(&client, server.url("/legacy/nope")).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, ""));
    assert_eq!(get_text(&client, server.url("/hello")).await.1, "hello");
    server.shutdown().await;
}

#[tokio::test]
async fn a_routemark_router_nested_in_axum_is_served_over_tcp() {
    let routemark_app = app().build().unwrap();
    let axum_app = axum_app().nest_service("/rm", routemark_app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(async move { axum::serve(listener, axum_app).await });
    let client = reqwest::Client::new();
    assert_eq!(
        get_text(&client, format!("http://{addr}/rm/users/5")).await,
        (StatusCode::OK, "user 5 via /users/<id>".to_owned())
    );
    assert_eq!(
        get_text(&client, format!("http://{addr}/ping")).await.1,
        "pong from axum"
    );
    let (status, body) = get_text(&client, format!("http://{addr}/rm/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no route matches `/nope`"), "{body}");
    served.abort();
}

#[tokio::test]
async fn the_server_serves_any_tower_service_with_its_checks() {
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_with_shutdown(axum_app(), async {
        let _ = stopped.await;
    }));
    let ok = raw(
        addr,
        b"GET /ping HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((ok.statuses(), ok.body()), (vec![200], "pong from axum"));
    // axum alone would route these; the server's checks answer them first.
    let two_hosts = raw(addr, b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").await;
    assert_eq!(two_hosts.statuses(), [400]);
    assert!(two_hosts.closed);
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9_000));
    assert_eq!(raw(addr, long.as_bytes()).await.statuses(), [414]);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_fallback_service_answers_what_no_route_matches() {
    let fallback = tower::service_fn(|req: Request| async move {
        Ok::<_, Infallible>((
            StatusCode::IM_A_TEAPOT,
            format!("fallback for {}", req.uri()),
        ))
    });
    let client = TestClientFor::new(app().fallback_service(fallback));
    assert_eq!(
        client.get_text("/nothing/here").await,
        (418, "fallback for /nothing/here".to_owned())
    );
    // A known path with another method stays a 405.
    let res = client.client.post("/hello").send().await;
    assert_eq!(res.status(), 405);
    assert_eq!(client.get_text("/hello").await.1, "hello");
}

#[tokio::test]
async fn a_panicking_nested_service_is_a_500() {
    let panics = tower::service_fn(|_req: Request| async move {
        if true {
            panic!("nested service failed");
        }
        Ok::<_, Infallible>("never")
    });
    let client = TestClientFor::new(app().nest_service("/fragile", panics));
    let (status, body) = client.get_text("/fragile/x").await;
    assert_eq!(status, 500);
    assert!(body.contains("the handler failed"), "{body}");
}

#[test]
fn nested_service_prefixes_are_checked_at_build() {
    let svc = || tower::service_fn(|_req: Request| async { Ok::<_, Infallible>("svc") });
    let line = line!() + 2;
    let error = app()
        .nest_service("/hello", svc())
        .nest_service("/a/", svc())
        .nest_service("/<x>", svc())
        .nest_service("/twice", svc())
        .nest_service("/twice", svc())
        .build()
        .unwrap_err();
    let text = error.to_string();
    let messages: Vec<String> = error
        .problems()
        .iter()
        .map(|p| match p {
            Problem::NestedService {
                prefix, location, ..
            } => format!("{prefix} {}", location.rsplit(':').nth(1).unwrap()),
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    assert_eq!(
        messages,
        [
            format!("/a/ {}", line + 1),
            format!("/<x> {}", line + 2),
            format!("/hello {line}"),
            format!("/twice {}", line + 3),
        ],
        "{text}"
    );
    assert!(text.contains("remove the trailing `/`"), "{text}");
    assert!(text.contains("a prefix has no parameters"), "{text}");
    assert!(
        text.contains("a nested service and route `GET /hello` (service_layer::hello)"),
        "{text}"
    );
    assert!(
        text.contains("two nested services under the same prefix"),
        "{text}"
    );
}

// A built router and the erased service are what `Server`, `TestClient`, `nest_service` and
// axum's `nest_service` take: checked when this file compiles.
const _: fn() = || {
    fn assert_service<S: routemark::HttpService>() {}
    assert_service::<Router>();
    assert_service::<RouteService>();
};
