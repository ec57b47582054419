//! What a new user hit building a real service (issue 19), over real TCP: catchers for
//! every `HttpError` answer, `PathBuf` parameters that cannot leave their directory, static
//! files through a nested `ServeDir`, an empty optional query value, and headers written
//! inline in a response.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use routemark::http::{StatusCode, header};
use routemark::{App, Bytes, FromRequestParts, HttpError, Json, MatchedRoute, RequestParts, route};
use support::{raw, spawn};

#[route(GET "/books/<id>")]
fn book(id: u64) -> String {
    format!("book {id}")
}

#[derive(serde::Deserialize)]
struct NewBook {
    title: String,
}

#[route(POST "/books")]
fn create_book(Json(book): Json<NewBook>) -> String {
    book.title
}

#[route(POST "/small", body_limit = 4)]
fn small(body: Bytes) -> String {
    body.len().to_string()
}

#[route(GET "/teapot")]
fn teapot() -> Result<String, HttpError> {
    Err(HttpError::new(StatusCode::IM_A_TEAPOT, "short and stout"))
}

#[route(GET "/conflict")]
fn conflict() -> (StatusCode, HttpError) {
    (
        StatusCode::CONFLICT,
        HttpError::bad_request("already there"),
    )
}

#[route(GET "/plain-404")]
fn plain_404() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not an HttpError")
}

#[route(GET "/panics")]
fn panics() -> &'static str {
    panic!("boom")
}

#[route(GET "/sleeps")]
async fn sleeps() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

#[route(GET "/files/<path..>")]
fn file(path: PathBuf) -> String {
    format!("file {}", path.display())
}

#[route(GET "/raw/<path..>")]
fn raw_path(path: String) -> String {
    format!("raw {path}")
}

#[route(GET "/list?<page>&<q>")]
fn list(page: Option<usize>, q: Option<String>) -> String {
    format!("page {page:?} q {q:?}")
}

#[route(GET "/cover")]
fn cover() -> ([(header::HeaderName, &'static str); 2], Bytes) {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "max-age=60"),
        ],
        Bytes::from_static(b"\x89PNG"),
    )
}

#[route(POST "/created")]
fn created() -> (StatusCode, [(&'static str, String); 1], &'static str) {
    (
        StatusCode::CREATED,
        [("location", "/books/7".to_owned())],
        "made",
    )
}

#[routemark::scope("/api/v1")]
mod v1 {
    use routemark::{MatchedRoute, route};

    #[route(GET "/shelves/<id>")]
    pub(crate) fn shelf(id: u64, matched: MatchedRoute) -> String {
        format!("shelf {id} via {}", matched.template())
    }

    #[route(GET "/")]
    fn root() -> &'static str {
        "v1 root"
    }

    #[routemark::scope("/admin")]
    mod admin {
        #[routemark::route(GET "/stats")]
        fn stats(matched: routemark::MatchedRoute) -> String {
            format!("stats via {}", matched.template())
        }
    }
}

#[route(GET "/unscoped")]
fn unscoped(matched: MatchedRoute) -> String {
    format!("unscoped via {}", matched.template())
}

/// A guard: `401` without an `authorization` header.
struct Bearer;

impl FromRequestParts for Bearer {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        match parts.headers().get(header::AUTHORIZATION) {
            Some(_) => Ok(Bearer),
            None => Err(HttpError::new(StatusCode::UNAUTHORIZED, "missing token")),
        }
    }
}

#[route(DELETE "/shelves/<id>")]
fn delete_shelf(_auth: Bearer, id: u64) -> String {
    format!("deleted {id}")
}

#[route(PUT "/shelves/<id>")]
fn put_shelf(id: u64, _auth: Bearer) -> String {
    format!("put {id}")
}

#[route(POST "/notes")]
fn note(_auth: Bearer, routemark::Text(text): routemark::Text) -> String {
    format!("note {text}")
}

/// The application's own error format, as an API with one would write it.
fn problem(err: HttpError) -> (StatusCode, Json<serde_json::Value>) {
    let body = serde_json::json!({ "code": err.status().as_u16(), "detail": err.message() });
    (err.status(), Json(body))
}

fn caught_app() -> App {
    App::new()
        .catch(problem)
        .handler_timeout(Duration::from_millis(100))
        .max_uri_len(64)
}

fn post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn get(path: &str) -> Vec<u8> {
    support::get(path)
}

/// Every `HttpError` the framework answers, and one a handler returns, in the catcher's
/// format: status kept, body the catcher's.
#[tokio::test]
async fn catcher_renders_every_http_error_answer() {
    let server = spawn(caught_app().build().unwrap()).await;
    let long = format!("/books/{}", "1".repeat(80));
    let cases: Vec<(Vec<u8>, u16, String)> = vec![
        (
            get("/nope"),
            404,
            r#"{"code":404,"detail":"no route matches `/nope`"}"#.into(),
        ),
        (
            get("/books/abc"),
            400,
            r#"{"code":400,"detail":"path parameter `id` must be `u64`: invalid digit found in string"}"#.into(),
        ),
        (
            post("/books", "text/plain", "{}"),
            415,
            r#"{"code":415,"detail":"expected a request with `content-type: application/json`"}"#.into(),
        ),
        (
            post("/books", "application/json", "{}"),
            422,
            r#"{"code":422,"detail":"JSON body does not match the expected shape: missing field `title` at line 1 column 2"}"#.into(),
        ),
        (
            post("/books", "application/json", "{"),
            400,
            r#"{"code":400,"detail":"request body is not valid JSON: EOF while parsing an object at line 1 column 1"}"#.into(),
        ),
        (
            get("/conflict"),
            409,
            r#"{"code":409,"detail":"already there"}"#.into(),
        ),
        (
            get("/teapot"),
            418,
            r#"{"code":418,"detail":"short and stout"}"#.into(),
        ),
        (
            get(&long),
            414,
            r#"{"code":414,"detail":"request target is longer than 64 bytes"}"#.into(),
        ),
        (
            b"GET /books/1 HTTP/1.1\r\n\r\n".to_vec(),
            400,
            r#"{"code":400,"detail":"an HTTP/1.1 request must have exactly one `Host` header"}"#.into(),
        ),
    ];
    for (request, status, body) in cases {
        let res = raw(server.addr, &request).await;
        assert_eq!(res.statuses(), [status], "{}", res.text);
        assert_eq!(res.body(), body, "{}", res.text);
        assert!(
            res.has_header("content-type", "application/json"),
            "{}",
            res.text
        );
    }
    server.shutdown().await;
}

/// A catcher's answer keeps what the framework's said about the connection and the
/// resource: `Allow` of a 405, `connection: close` of a 413 and of a panic's 500.
#[tokio::test]
async fn catcher_keeps_allow_and_connection_close() {
    let server = spawn(caught_app().build().unwrap()).await;

    let res = raw(
        server.addr,
        b"DELETE /books/1 HTTP/1.1\r\nHost: test\r\n\r\n",
    )
    .await;
    assert_eq!(res.statuses(), [405], "{}", res.text);
    assert!(
        res.has_header("allow", "GET, HEAD, OPTIONS"),
        "{}",
        res.text
    );
    assert_eq!(
        res.body(),
        r#"{"code":405,"detail":"method `DELETE` is not allowed here; allowed: GET, HEAD, OPTIONS"}"#
    );

    let res = raw(server.addr, &post("/small", "text/plain", "too long")).await;
    assert_eq!(res.statuses(), [413], "{}", res.text);
    assert!(res.has_header("connection", "close"), "{}", res.text);
    assert_eq!(
        res.body(),
        r#"{"code":413,"detail":"request body is larger than the limit of 4 bytes"}"#
    );
    assert!(res.closed);

    let res = raw(server.addr, &get("/panics")).await;
    assert_eq!(res.statuses(), [500], "{}", res.text);
    assert!(res.has_header("connection", "close"), "{}", res.text);
    assert!(
        res.body()
            .starts_with(r#"{"code":500,"detail":"the handler failed (request id "#),
        "{}",
        res.text
    );

    let res = raw(server.addr, &get("/sleeps")).await;
    assert_eq!(res.statuses(), [503], "{}", res.text);
    assert!(
        res.body()
            .starts_with(r#"{"code":503,"detail":"the handler did not finish within 100ms"#),
        "{}",
        res.text
    );
    server.shutdown().await;
}

/// Only `HttpError`s are caught: a handler's own `404` and every success pass unchanged.
#[tokio::test]
async fn catcher_leaves_other_answers_alone() {
    let server = spawn(caught_app().build().unwrap()).await;
    let res = raw(server.addr, &get("/plain-404")).await;
    assert_eq!(res.statuses(), [404]);
    assert_eq!(res.body(), "not an HttpError");
    let res = raw(server.addr, &get("/books/7")).await;
    assert_eq!(res.statuses(), [200]);
    assert_eq!(res.body(), "book 7");
    server.shutdown().await;
}

/// Behind `App::layer`, the catcher runs once, outside the layers.
#[tokio::test]
async fn catcher_applies_once_with_layers() {
    let app = caught_app().layer(tower::layer::util::Identity::new());
    let server = spawn(app.build().unwrap()).await;
    let res = raw(server.addr, &get("/nope")).await;
    assert_eq!(res.statuses(), [404]);
    assert_eq!(
        res.body(),
        r#"{"code":404,"detail":"no route matches `/nope`"}"#
    );
    server.shutdown().await;
}

/// Without a catcher, errors keep the framework's JSON format.
#[tokio::test]
async fn without_a_catcher_errors_keep_the_default_format() {
    let server = spawn(App::new().build().unwrap()).await;
    let res = raw(server.addr, &get("/nope")).await;
    assert_eq!(res.statuses(), [404]);
    assert_eq!(
        res.body(),
        r#"{"status":404,"error":"Not Found","message":"no route matches `/nope`"}"#
    );
    server.shutdown().await;
}

/// A `PathBuf` catch-all is a relative path inside its directory, or `400`: checked after
/// percent-decoding, so `%2e%2e` is `..`.
#[tokio::test]
async fn pathbuf_parameters_cannot_leave_their_directory() {
    let server = spawn(App::new().build().unwrap()).await;
    for path in ["/files/a/b.txt", "/files/a..b", "/files/.well-known/x"] {
        let res = raw(server.addr, &get(path)).await;
        assert_eq!(res.statuses(), [200], "{path}: {}", res.text);
        assert_eq!(res.body(), format!("file {}", &path["/files/".len()..]));
    }
    let cases = [
        ("/files/../secret.txt", "has a `..` segment"),
        ("/files/%2e%2e/secret.txt", "has a `..` segment"),
        ("/files/a/%2E%2E", "has a `..` segment"),
        ("/files/a%2F..%2Fb", "has a `..` segment"),
        ("/files/./a", "has a `.` segment"),
        ("/files/a/%2E%2Fb", "has a `.` segment"),
        ("/files//etc/hostname", "is an absolute path"),
        ("/files/%2Fetc/hostname", "is an absolute path"),
        ("/files/a%00b", "contains a NUL byte"),
        ("/files/..%5Csecret.txt", "contains a backslash"),
        ("/files/C:/Windows/win.ini", "starts with a drive prefix"),
        ("/files/c%3Asecret", "starts with a drive prefix"),
    ];
    for (path, why) in cases {
        let res = raw(server.addr, &get(path)).await;
        assert_eq!(res.statuses(), [400], "{path}: {}", res.text);
        let message = format!(
            "path parameter `path` {why}; a `PathBuf` parameter must be a relative path that stays inside its directory"
        );
        let expected = HttpError::bad_request(message).to_json();
        assert_eq!(res.body(), expected, "{path}");
    }
    server.shutdown().await;
}

/// A `String` catch-all is the text as sent, decoded once: the handler's to check.
#[tokio::test]
async fn string_catch_all_stays_raw() {
    let server = spawn(App::new().build().unwrap()).await;
    let res = raw(server.addr, &get("/raw/%2e%2e/secret.txt")).await;
    assert_eq!(res.statuses(), [200], "{}", res.text);
    assert_eq!(res.body(), "raw ../secret.txt");
    server.shutdown().await;
}

/// Static files: tower-http's `ServeDir` under a prefix, the prefix stripped before the
/// file is looked up; it refuses `..` on its own.
#[tokio::test]
async fn serve_dir_serves_static_files_under_a_prefix() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let app = App::new().nest_service("/static", tower_http::services::ServeDir::new(dir));
    let server = spawn(app.build().unwrap()).await;
    let res = raw(server.addr, &get("/static/README.md")).await;
    assert_eq!(res.statuses(), [200], "{}", res.text);
    assert!(
        res.has_header("content-type", "text/markdown"),
        "{}",
        res.text
    );
    let expected = std::fs::read_to_string(format!("{dir}/README.md")).unwrap();
    assert_eq!(res.body(), expected);
    for path in [
        "/static/missing.txt",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
    ] {
        let res = raw(server.addr, &get(path)).await;
        assert_eq!(res.statuses(), [404], "{path}: {}", res.text);
    }
    // Routes keep working beside it.
    let res = raw(server.addr, &get("/books/1")).await;
    assert_eq!(res.body(), "book 1");
    server.shutdown().await;
}

/// `?page=` (a blank form field) is `None` for an `Option<usize>`; an `Option<String>`
/// keeps the empty string; a value that does not parse is still `400`.
#[tokio::test]
async fn empty_optional_query_value() {
    let server = spawn(App::new().build().unwrap()).await;
    for (query, body) in [
        ("", "page None q None"),
        ("?page=", "page None q None"),
        ("?page=&q=", r#"page None q Some("")"#),
        ("?page=2&q=x", r#"page Some(2) q Some("x")"#),
    ] {
        let res = raw(server.addr, &get(&format!("/list{query}"))).await;
        assert_eq!(res.statuses(), [200], "{query}: {}", res.text);
        assert_eq!(res.body(), body, "{query}");
    }
    let res = raw(server.addr, &get("/list?page=x")).await;
    assert_eq!(res.statuses(), [400]);
    server.shutdown().await;
}

/// `([(name, value)], body)` sets headers (replacing the body's own `content-type`), and
/// `(status, [(name, value)], body)` the status too.
#[tokio::test]
async fn inline_headers_in_a_response() {
    let server = spawn(App::new().build().unwrap()).await;
    let res = raw(server.addr, &get("/cover")).await;
    assert_eq!(res.statuses(), [200]);
    assert!(res.has_header("content-type", "image/png"), "{}", res.text);
    assert!(!res.has_header("content-type", "application/octet-stream"));
    assert!(res.has_header("cache-control", "max-age=60"));
    assert!(res.has_header("content-length", "4"));
    assert_eq!(res.body(), "\u{fffd}PNG");
    let res = raw(server.addr, &post("/created", "text/plain", "")).await;
    assert_eq!(res.statuses(), [201]);
    assert!(res.has_header("location", "/books/7"), "{}", res.text);
    assert_eq!(res.body(), "made");
    server.shutdown().await;
}

/// `#[scope]` prefixes the routes of its module (nested scopes joined, outer first): they
/// are served, listed and matched under the full path, and only there.
#[tokio::test]
async fn scope_prefixes_every_route_of_its_module() {
    let app = App::new();
    let router = app.build().unwrap();
    let table = router.route_table();
    for path in ["/api/v1/shelves/<id>", "/api/v1/admin/stats", "/unscoped"] {
        assert!(
            table
                .lines()
                .any(|line| line.split_whitespace().nth(1) == Some(path)),
            "{table}"
        );
    }
    let server = spawn(router).await;
    for (path, status, body) in [
        ("/api/v1/shelves/3", 200, "shelf 3 via /api/v1/shelves/<id>"),
        ("/api/v1/admin/stats", 200, "stats via /api/v1/admin/stats"),
        ("/api/v1", 200, "v1 root"),
        ("/unscoped", 200, "unscoped via /unscoped"),
    ] {
        let res = raw(server.addr, &get(path)).await;
        assert_eq!(res.statuses(), [status], "{path}: {}", res.text);
        assert_eq!(res.body(), body, "{path}");
    }
    for path in ["/admin/stats", "/api/v1/stats", "/api/v1/"] {
        let res = raw(server.addr, &get(path)).await;
        assert_eq!(res.statuses(), [404], "{path}: {}", res.text);
    }
    // The handler stays in its module.
    let shelf = routemark::routes()
        .find(|r| r.path() == "/api/v1/shelves/<id>")
        .unwrap();
    assert_eq!(
        (shelf.module_path(), shelf.name()),
        ("new_user::v1", "shelf")
    );
    server.shutdown().await;
}

/// Arguments are extracted in argument order, and the first that fails answers: a guard
/// written before `<id>` answers `401` for a request that also has a bad `<id>`.
#[tokio::test]
async fn arguments_are_extracted_in_argument_order() {
    let server = spawn(App::new().build().unwrap()).await;
    let send = |method: &str, path: &str, token: bool| {
        let auth = if token {
            "authorization: Bearer t\r\n"
        } else {
            ""
        };
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\n{auth}\r\n").into_bytes()
    };
    for (method, token, status, body) in [
        ("DELETE", false, 401, "missing token"),
        (
            "DELETE",
            true,
            400,
            "path parameter `id` must be `u64`: invalid digit found in string",
        ),
        (
            "PUT",
            false,
            400,
            "path parameter `id` must be `u64`: invalid digit found in string",
        ),
        (
            "PUT",
            true,
            400,
            "path parameter `id` must be `u64`: invalid digit found in string",
        ),
    ] {
        let res = raw(server.addr, &send(method, "/shelves/abc", token)).await;
        assert_eq!(res.statuses(), [status], "{method} {token}: {}", res.text);
        let expected = HttpError::new(StatusCode::from_u16(status).unwrap(), body).to_json();
        assert_eq!(res.body(), expected);
    }
    let res = raw(server.addr, &send("DELETE", "/shelves/7", true)).await;
    assert_eq!(res.body(), "deleted 7");
    let res = raw(server.addr, &send("PUT", "/shelves/7", false)).await;
    assert_eq!(res.statuses(), [401]);
    server.shutdown().await;
}

/// `TestClient` sends what a handler reads: `text` a `Text` body, `bearer` a token; and it
/// runs the application as built, layers and catcher included.
#[tokio::test]
async fn test_client_helpers_and_the_built_application() {
    let app = caught_app().layer(tower::layer::util::Identity::new());
    let client = routemark::testing::TestClient::new(app.build().unwrap());
    let res = client.post("/notes").bearer("t").text("hi").send().await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::OK, "note hi".to_owned())
    );
    let res = client.post("/notes").text("hi").send().await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.text(), r#"{"code":401,"detail":"missing token"}"#);
}
