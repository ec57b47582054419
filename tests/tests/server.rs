//! The runtime's routing and extraction semantics, over real TCP against `127.0.0.1:0`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use routemark::http::{HeaderMap, Method, StatusCode, Uri};
use routemark::{App, HttpError, Json, Query, Request, Router, State, Text, TrailingSlash, route};
use serde::{Deserialize, Serialize};
use support::{get, raw, spawn};

#[route(GET "/hello")]
fn hello() -> &'static str {
    "hello"
}

#[route(GET "/users/<id>")]
async fn user(id: u64) -> String {
    format!("user {id}")
}

#[route(GET "/users/me")]
async fn me() -> &'static str {
    "me"
}

#[route(GET "/files/<path..>")]
fn files(path: String) -> String {
    format!("file {path}")
}

#[route(GET "/p/<x>")]
fn echo_param(x: String) -> String {
    x
}

#[route(GET "/a/<x>/c/d")]
fn backtrack_first(x: String) -> String {
    format!("first {x}")
}

#[route(GET "/a/b/<y>")]
fn backtrack_second(y: String) -> String {
    format!("second {y}")
}

#[route(GET "/search?<q>&<page>")]
fn search(q: String, page: Option<u32>) -> String {
    format!("q={q} page={page:?}")
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Payload {
    name: String,
    count: u32,
}

#[route(POST "/json")]
async fn json_echo(Json(payload): Json<Payload>) -> Json<Payload> {
    Json(Payload {
        name: payload.name.to_uppercase(),
        count: payload.count + 1,
    })
}

#[route(POST "/small", body_limit = 16)]
fn small(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[route(POST "/text")]
fn text(Text(text): Text) -> String {
    text.chars().rev().collect()
}

#[route(PUT "/inspect/<id>")]
fn inspect(id: u8, method: Method, uri: Uri, headers: HeaderMap) -> String {
    format!(
        "{id} {method} {uri} {}",
        headers
            .get("x-probe")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
    )
}

#[route(POST "/whole")]
async fn whole(request: Request) -> String {
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    format!("{} {} {}", parts.method, parts.uri.path(), bytes.len())
}

#[derive(Clone)]
struct Hits(Arc<AtomicUsize>);

#[route(GET "/state")]
fn state(State(hits): State<Hits>) -> String {
    (hits.0.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}

#[route(GET "/panic")]
fn panics() -> String {
    panic!("boom")
}

/// Panics after its first poll: caught on the path of handlers that wait.
#[route(GET "/panic/later")]
async fn panics_later() -> String {
    tokio::task::yield_now().await;
    panic!("boom, later")
}

#[route(GET "/slash/")]
fn slash() -> &'static str {
    "slash"
}

#[route(GET | POST "/multi")]
fn multi(method: Method) -> String {
    method.to_string()
}

#[route(OPTIONS "/custom-options")]
fn custom_options() -> (StatusCode, &'static str) {
    (StatusCode::OK, "custom")
}

#[route(GET "/custom-options")]
fn custom_options_get() -> &'static str {
    "get"
}

#[route(GET "/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(400)).await;
    "slow done"
}

#[route(GET "/teapot")]
fn teapot() -> Result<String, HttpError> {
    Err(HttpError::new(StatusCode::IM_A_TEAPOT, "short and stout"))
}

#[derive(Deserialize)]
struct Page {
    offset: u32,
    limit: Option<u32>,
}

#[route(GET "/page")]
fn page(Query(page): Query<Page>) -> String {
    format!("offset={} limit={:?}", page.offset, page.limit)
}

/// A user-defined extractor: the caller's API key from a header, 401 without one.
struct ApiKey(String);

impl routemark::FromRequestParts for ApiKey {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut routemark::RequestParts) -> Result<Self, HttpError> {
        parts
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|key| ApiKey(key.to_owned()))
            .ok_or_else(|| HttpError::new(StatusCode::UNAUTHORIZED, "missing `x-api-key` header"))
    }
}

#[route(GET "/whoami")]
fn whoami(ApiKey(key): ApiKey) -> String {
    format!("key {key}")
}

/// Parameters and extractors interleaved, the last argument a parameter: each value reaches
/// its own argument whatever the order the runtime extracts them in.
#[route(GET "/mixed/<a>/<b>?<q>")]
fn mixed(
    ApiKey(key): ApiKey,
    b: u32,
    State(hits): State<Hits>,
    q: Option<String>,
    method: Method,
    a: String,
) -> String {
    let hits = hits.0.load(Ordering::SeqCst);
    format!("a={a} b={b} q={q:?} key={key} method={method} hits={hits}")
}

/// A body extractor last, after parameters and a head extractor.
#[route(POST "/mixed/<id>/notes")]
fn mixed_body(id: u64, headers: HeaderMap, Json(note): Json<Note>) -> String {
    format!("{id} {} {}", note.text, headers.contains_key("x-api-key"))
}

#[derive(Deserialize)]
struct Note {
    text: String,
}

/// The most arguments a handler may take, the last a parameter after an extractor.
#[route(GET "/sixteen/<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j>/<k>/<l>/<m>/<n>/<o>")]
#[allow(clippy::too_many_arguments)]
fn sixteen(
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    e: u8,
    f: u8,
    g: u8,
    h: u8,
    uri: Uri,
    i: u8,
    j: u8,
    k: u8,
    l: u8,
    m: u8,
    n: u8,
    o: u8,
) -> String {
    let sum: u32 = [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o]
        .iter()
        .map(|&x| u32::from(x))
        .sum();
    format!("{} {sum} {a}{o}", uri.path().len())
}

fn app() -> App {
    App::new().state(Hits(Arc::new(AtomicUsize::new(0))))
}

fn router() -> Router {
    app().build().expect("the test table builds")
}

async fn fetch(url: &str) -> (u16, String) {
    let res = reqwest::get(url).await.expect("request");
    (res.status().as_u16(), res.text().await.unwrap())
}

fn error_json(status: u16, reason: &str, message: &str) -> String {
    // Field order is part of the documented format: status, error, message.
    format!(
        r#"{{"status":{status},"error":{},"message":{}}}"#,
        serde_json::to_string(reason).unwrap(),
        serde_json::to_string(message).unwrap()
    )
}

#[tokio::test]
async fn static_route_answers() {
    let server = spawn(router()).await;
    assert_eq!(fetch(&server.url("/hello")).await, (200, "hello".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn typed_parameter_parses_or_is_a_400_naming_it() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/users/42")).await,
        (200, "user 42".into())
    );
    let (status, body) = fetch(&server.url("/users/abc")).await;
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["message"],
        "path parameter `id` must be `u64`: invalid digit found in string"
    );
    assert_eq!(body["error"], "Bad Request");
    server.shutdown().await;
}

#[tokio::test]
async fn static_segment_beats_parameter_in_any_order() {
    let server = spawn(router()).await;
    assert_eq!(fetch(&server.url("/users/me")).await, (200, "me".into()));
    assert_eq!(fetch(&server.url("/users/7")).await, (200, "user 7".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn router_backtracks_to_the_route_that_matches() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/a/b/c/d")).await,
        (200, "first b".into())
    );
    assert_eq!(fetch(&server.url("/a/b/c")).await, (200, "second c".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn catch_all_receives_the_decoded_rest() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/files/a/b%20c/d.txt")).await,
        (200, "file a/b c/d.txt".into())
    );
    assert_eq!(fetch(&server.url("/files/")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn encoded_slash_stays_inside_its_parameter_and_decodes_once() {
    let server = spawn(router()).await;
    assert_eq!(fetch(&server.url("/p/a%2Fb")).await, (200, "a/b".into()));
    assert_eq!(
        fetch(&server.url("/p/a%252Fb")).await,
        (200, "a%2Fb".into())
    );
    assert_eq!(
        fetch(&server.url("/p/caf%C3%A9")).await,
        (200, "café".into())
    );
    assert_eq!(fetch(&server.url("/p/a/b")).await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn bad_escapes_and_invalid_utf8_are_400_naming_the_parameter() {
    let server = spawn(router()).await;
    let exchange = raw(server.addr, &get("/p/%ff")).await;
    assert_eq!(exchange.statuses(), [400]);
    assert_eq!(
        exchange.body(),
        error_json(
            400,
            "Bad Request",
            "path parameter `x` is not valid UTF-8 after percent-decoding"
        )
    );
    let exchange = raw(server.addr, &get("/p/%zz")).await;
    assert_eq!(exchange.statuses(), [400]);
    assert_eq!(
        exchange.body(),
        error_json(
            400,
            "Bad Request",
            "path parameter `x` has an invalid percent-escape"
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_path_is_404_in_the_error_format() {
    let server = spawn(router()).await;
    let res = reqwest::get(server.url("/nope")).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.text().await.unwrap(),
        error_json(404, "Not Found", "no route matches `/nope`")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let server = spawn(router()).await;
    let res = reqwest::Client::new()
        .delete(server.url("/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, HEAD, OPTIONS");
    assert_eq!(
        res.text().await.unwrap(),
        error_json(
            405,
            "Method Not Allowed",
            "method `DELETE` is not allowed here; allowed: GET, HEAD, OPTIONS"
        )
    );
    // A method no route can declare gets the same answer.
    let exchange = raw(server.addr, b"PROPFIND /multi HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(exchange.statuses(), [405]);
    assert!(
        exchange.has_header("allow", "GET, HEAD, POST, OPTIONS"),
        "{}",
        exchange.text
    );
    server.shutdown().await;
}

#[tokio::test]
async fn head_falls_back_to_get_without_a_body() {
    let server = spawn(router()).await;
    let exchange = raw(server.addr, b"HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(exchange.statuses(), [200]);
    assert!(
        exchange.has_header("content-length", "5"),
        "{}",
        exchange.text
    );
    assert!(
        exchange.text.ends_with("\r\n\r\n"),
        "no body: {:?}",
        exchange.text
    );
    server.shutdown().await;
}

#[tokio::test]
async fn options_is_answered_with_allow_unless_a_route_handles_it() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .request(Method::OPTIONS, server.url("/multi"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["allow"], "GET, HEAD, POST, OPTIONS");
    let res = client
        .request(Method::OPTIONS, server.url("/custom-options"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status().as_u16(), res.text().await.unwrap()),
        (200, "custom".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn options_star_lists_every_method_of_the_table() {
    let server = spawn(router()).await;
    let exchange = raw(server.addr, b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(exchange.statuses(), [204]);
    assert!(
        exchange.has_header("allow", "GET, HEAD, POST, PUT, OPTIONS"),
        "{}",
        exchange.text
    );
    server.shutdown().await;
}

#[tokio::test]
async fn query_parameters_required_and_optional() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/search?q=rust+web&page=2")).await,
        (200, "q=rust web page=Some(2)".into())
    );
    assert_eq!(
        fetch(&server.url("/search?q=a%26b")).await,
        (200, "q=a&b page=None".into())
    );
    assert_eq!(
        fetch(&server.url("/search?page=2")).await,
        (
            400,
            error_json(
                400,
                "Bad Request",
                "missing query parameter `q` of type `String`"
            )
        )
    );
    assert_eq!(
        fetch(&server.url("/search?q=x&page=two")).await,
        (
            400,
            error_json(
                400,
                "Bad Request",
                "query parameter `page` must be `u32`: invalid digit found in string"
            )
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn json_in_and_out() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .post(server.url("/json"))
        .json(&Payload {
            name: "ada".into(),
            count: 1,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(
        res.json::<Payload>().await.unwrap(),
        Payload {
            name: "ADA".into(),
            count: 2
        }
    );
    server.shutdown().await;
}

#[tokio::test]
async fn json_rejections_are_415_400_422_and_413() {
    let server = spawn(app().body_limit(64).build().unwrap()).await;
    let client = reqwest::Client::new();
    let post = |body: &'static str, content_type: &'static str| {
        client
            .post(server.url("/json"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let res = post(r#"{"name":"a","count":1}"#, "text/plain")
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = post(r#"{"name":"a","#, "application/json").await.unwrap();
    assert_eq!(res.status(), 400);
    let res = post(r#"{"name":"a","count":"one"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let message = res.json::<serde_json::Value>().await.unwrap()["message"].clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("invalid type: string \"one\", expected u32"),
        "{message}"
    );
    let big = Box::leak(format!(r#"{{"name":"{}","count":1}}"#, "x".repeat(100)).into_boxed_str());
    let res = post(big, "application/json").await.unwrap();
    assert_eq!(res.status(), 413);
    server.shutdown().await;
}

#[tokio::test]
async fn route_body_limit_applies_with_and_without_content_length() {
    let server = spawn(router()).await;
    let ok = raw(
        server.addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n0123456789abcdef",
    )
    .await;
    assert_eq!((ok.statuses(), ok.body()), (vec![200], "16 bytes"));
    let declared = raw(
        server.addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n0123456789abcdefg",
    )
    .await;
    assert_eq!(declared.statuses(), [413]);
    let chunked = raw(
        server.addr,
        b"POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n012345678\r\n9\r\n012345678\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(chunked.statuses(), [413]);
    server.shutdown().await;
}

#[tokio::test]
async fn text_body_must_be_utf8() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .post(server.url("/text"))
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "cba");
    let res = client
        .post(server.url("/text"))
        .body(vec![0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text().await.unwrap(),
        error_json(400, "Bad Request", "request body is not valid UTF-8")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn head_extractors_see_method_uri_and_headers() {
    let server = spawn(router()).await;
    let res = reqwest::Client::new()
        .put(server.url("/inspect/7?x=1"))
        .header("x-probe", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "7 PUT /inspect/7?x=1 yes");
    server.shutdown().await;
}

#[tokio::test]
async fn whole_request_extractor_gets_the_unread_body() {
    let server = spawn(router()).await;
    let res = reqwest::Client::new()
        .post(server.url("/whole"))
        .body("12345")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "POST /whole 5");
    server.shutdown().await;
}

#[tokio::test]
async fn state_is_shared_by_every_request() {
    let server = spawn(router()).await;
    assert_eq!(fetch(&server.url("/state")).await.1, "1");
    assert_eq!(fetch(&server.url("/state")).await.1, "2");
    server.shutdown().await;
}

#[tokio::test]
async fn handler_errors_use_their_own_status() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/teapot")).await,
        (418, error_json(418, "I'm a teapot", "short and stout"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn trailing_slash_is_strict_by_default() {
    let server = spawn(router()).await;
    assert_eq!(fetch(&server.url("/hello/")).await.0, 404);
    assert_eq!(fetch(&server.url("/slash")).await.0, 404);
    assert_eq!(fetch(&server.url("/slash/")).await, (200, "slash".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn trailing_slash_redirect_policy_never_leaves_the_site() {
    let server = spawn(
        app()
            .trailing_slash(TrailingSlash::Redirect)
            .build()
            .unwrap(),
    )
    .await;
    let exchange = raw(server.addr, &get("/hello/?a=1")).await;
    assert_eq!(exchange.statuses(), [308]);
    assert!(
        exchange.has_header("location", "/hello?a=1"),
        "{}",
        exchange.text
    );
    let exchange = raw(server.addr, &get("/slash")).await;
    assert!(
        exchange.has_header("location", "/slash/"),
        "{}",
        exchange.text
    );
    // `//files/x` would redirect to `//files/x/`, a protocol-relative URL: refused.
    let exchange = raw(server.addr, &get("//evil.com/")).await;
    assert_eq!(exchange.statuses(), [404]);
    assert!(!exchange.text.to_ascii_lowercase().contains("location"));
    server.shutdown().await;
}

#[tokio::test]
async fn keep_alive_and_pipelining_answer_in_order() {
    let server = spawn(router()).await;
    let mut pipelined = get("/hello");
    pipelined.extend(get("/users/5"));
    pipelined.extend(get("/nope"));
    let exchange = raw(server.addr, &pipelined).await;
    assert_eq!(exchange.statuses(), [200, 200, 404]);
    assert!(!exchange.closed);
    let hello = exchange.text.find("hello").unwrap();
    let user = exchange.text.find("user 5").unwrap();
    assert!(hello < user);
    server.shutdown().await;
}

#[tokio::test]
async fn http2_cleartext_is_served() {
    let server = spawn(router()).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let res = client.get(server.url("/users/9")).send().await.unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.text().await.unwrap(), "user 9");
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_gives_500_and_the_server_keeps_serving() {
    let server = spawn(router()).await;
    let mut requests = get("/panic");
    requests.extend(get("/hello"));
    let exchange = raw(server.addr, &requests).await;
    // The connection closes after the 500, so the pipelined request is not answered on it.
    assert_eq!(exchange.statuses(), [500]);
    assert!(exchange.closed);
    assert!(exchange.has_header("connection", "close"));
    let message: serde_json::Value = serde_json::from_str(exchange.body()).unwrap();
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .starts_with("the handler failed (request id "),
        "{message}"
    );
    assert_eq!(fetch(&server.url("/hello")).await, (200, "hello".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_panics_after_waiting_gives_500_too() {
    let server = spawn(router()).await;
    let mut requests = get("/panic/later");
    requests.extend(get("/hello"));
    let exchange = raw(server.addr, &requests).await;
    assert_eq!(exchange.statuses(), [500]);
    assert!(exchange.closed);
    assert!(exchange.has_header("connection", "close"));
    let message: serde_json::Value = serde_json::from_str(exchange.body()).unwrap();
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .starts_with("the handler failed (request id "),
        "{message}"
    );
    assert_eq!(fetch(&server.url("/hello")).await, (200, "hello".into()));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests_and_refuses_new_connections() {
    let mut server = spawn(router()).await;
    let url = server.url("/slow");
    let in_flight = tokio::spawn(async move { fetch(&url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(server.addr).await.is_err());
    assert_eq!(in_flight.await.unwrap(), (200, "slow done".into()));
    server.join().await;
}

#[tokio::test]
async fn the_router_is_a_tower_service_that_layers_wrap() {
    use tower::{ServiceBuilder, ServiceExt};
    let service = ServiceBuilder::new()
        .map_response(|mut res: routemark::Response| {
            res.headers_mut()
                .insert("x-layer", routemark::http::HeaderValue::from_static("on"));
            res
        })
        .service(router());
    let request = routemark::http::Request::builder()
        .uri("/users/3")
        .header("host", "t")
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    let res = service.oneshot(request).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-layer"], "on");
}

#[tokio::test]
async fn http11_requires_exactly_one_host() {
    let server = spawn(router()).await;
    let none = raw(server.addr, b"GET /hello HTTP/1.1\r\n\r\n").await;
    assert_eq!(none.statuses(), [400]);
    let two = raw(
        server.addr,
        b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    )
    .await;
    assert_eq!(two.statuses(), [400]);
    server.shutdown().await;
}

#[tokio::test]
async fn in_process_test_client_sees_the_same_answers() {
    let client = routemark::testing::TestClient::new(router());
    let res = client.get("/users/abc").send().await;
    assert_eq!(res.status(), 400);
    let res = client
        .post("/json")
        .json(&Payload {
            name: "x".into(),
            count: 0,
        })
        .send()
        .await;
    assert_eq!(
        res.json::<Payload>(),
        Payload {
            name: "X".into(),
            count: 1
        }
    );
    let res = client.request(Method::HEAD, "/hello").send().await;
    assert_eq!((res.status().as_u16(), res.bytes().len()), (200, 0));
    assert_eq!(res.header("content-length"), Some("5"));
}

#[tokio::test]
async fn query_extractor_deserialises_the_whole_query() {
    let server = spawn(router()).await;
    assert_eq!(
        fetch(&server.url("/page?offset=10&limit=5")).await,
        (200, "offset=10 limit=Some(5)".into())
    );
    assert_eq!(
        fetch(&server.url("/page?offset=3")).await,
        (200, "offset=3 limit=None".into())
    );
    assert_eq!(
        fetch(&server.url("/page?limit=5")).await,
        (
            400,
            error_json(
                400,
                "Bad Request",
                "invalid query string: missing field `offset`"
            )
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn user_defined_extractors_run_and_reject() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/whoami"))
        .header("x-api-key", "k1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "key k1");
    let res = client.get(server.url("/whoami")).send().await.unwrap();
    assert_eq!(
        (res.status().as_u16(), res.text().await.unwrap()),
        (
            401,
            error_json(401, "Unauthorized", "missing `x-api-key` header")
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn arguments_receive_their_own_values_in_any_order() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/mixed/first/7?q=x%20y"))
        .header("x-api-key", "k1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.unwrap(),
        r#"a=first b=7 q=Some("x y") key=k1 method=GET hits=0"#
    );
    // Arguments are extracted in argument order: `ApiKey`, first, answers before the bad
    // `<b>` is parsed ...
    let res = client
        .get(server.url("/mixed/first/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status().as_u16(), res.text().await.unwrap()),
        (
            401,
            error_json(401, "Unauthorized", "missing `x-api-key` header")
        )
    );
    // ... and with it, the bad `<b>` answers.
    let res = client
        .get(server.url("/mixed/first/nope"))
        .header("x-api-key", "k1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text().await.unwrap(),
        error_json(
            400,
            "Bad Request",
            "path parameter `b` must be `u32`: invalid digit found in string"
        )
    );
    // A failing extractor answers with its own rejection.
    let res = client
        .get(server.url("/mixed/first/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status().as_u16(), res.text().await.unwrap()),
        (
            401,
            error_json(401, "Unauthorized", "missing `x-api-key` header")
        )
    );

    let res = client
        .post(server.url("/mixed/12/notes"))
        .header("x-api-key", "k")
        .json(&serde_json::json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "12 hi true");

    let path = "/sixteen/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15";
    assert_eq!(
        fetch(&server.url(path)).await,
        (200, format!("{} 120 115", path.len()))
    );
    server.shutdown().await;
}
