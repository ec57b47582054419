//! Parameters that borrow the request (`&str`, `Cow<'_, str>`, `Option<&str>`), over real
//! TCP: the value as decoded, borrowed when it needed no decoding, the same `400` as a
//! `String` parameter when it does not decode, and extractors before and after them.

mod support;

use std::borrow::Cow;
use std::sync::Arc;

use routemark::http::Method;
use routemark::{App, Json, Router, State, route};
use serde::Deserialize;
use support::{get, raw, spawn};

#[route(GET "/borrowed/str/<name>")]
async fn str_param(name: &str) -> String {
    format!("[{name}]")
}

#[route(GET "/borrowed/cow/<name>")]
async fn cow_param(name: Cow<'_, str>) -> String {
    let borrowed = matches!(name, Cow::Borrowed(_));
    format!("[{name}] borrowed={borrowed}")
}

// The same as `fn`s: these cannot wait, and their shim runs them at once, without a future.
#[route(GET "/borrowed/sync-str/<name>")]
fn sync_str_param(name: &str) -> String {
    format!("[{name}]")
}

#[route(GET "/borrowed/sync-cow/<name>")]
fn sync_cow_param(name: Cow<'_, str>) -> String {
    let borrowed = matches!(name, Cow::Borrowed(_));
    format!("[{name}] borrowed={borrowed}")
}

#[route(GET "/borrowed/sync-search?<q>&<page>&<lang>")]
fn sync_search(q: &str, page: Option<&str>, lang: Option<Cow<'_, str>>) -> String {
    let lang_borrowed = lang.as_ref().map(|l| matches!(l, Cow::Borrowed(_)));
    format!("q=[{q}] page={page:?} lang={lang:?} lang_borrowed={lang_borrowed:?}")
}

#[route(GET "/borrowed/sync-panic/<name>")]
fn sync_panic(name: &str) -> String {
    panic!("no {name} here")
}

#[route(GET "/borrowed/owned/<name>")]
fn owned_param(name: String) -> String {
    format!("[{name}]")
}

#[route(GET "/borrowed/files/<path..>")]
fn catch_all(path: &str) -> String {
    format!("file {path}")
}

#[route(GET "/borrowed/search?<q>&<page>&<lang>")]
async fn search(q: &str, page: Option<&str>, lang: Option<Cow<'_, str>>) -> String {
    let lang_borrowed = lang.as_ref().map(|l| matches!(l, Cow::Borrowed(_)));
    format!("q=[{q}] page={page:?} lang={lang:?} lang_borrowed={lang_borrowed:?}")
}

struct Greeting(&'static str);

#[derive(Deserialize)]
struct Note {
    text: String,
}

/// Borrowed and owned parameters, an extractor before them and a body extractor last.
#[route(POST "/borrowed/mixed/<user>/<id>?<tag>")]
async fn mixed(
    State(greeting): State<Arc<Greeting>>,
    user: &str,
    method: Method,
    id: u32,
    tag: Option<&str>,
    Json(note): Json<Note>,
) -> String {
    format!(
        "{} {user} #{id} {method} tag={tag:?} note={}",
        greeting.0, note.text
    )
}

fn router() -> Router {
    App::new()
        .state(Arc::new(Greeting("hello")))
        .build()
        .expect("the test table builds")
}

fn error_json(message: &str) -> String {
    format!(
        r#"{{"status":400,"error":"Bad Request","message":{}}}"#,
        serde_json::to_string(message).unwrap()
    )
}

async fn body_of(server: &support::TestServer, path: &str) -> (u16, String) {
    let exchange = raw(server.addr, &get(path)).await;
    let status = exchange.statuses().first().copied().unwrap_or_default();
    (status, exchange.body().to_owned())
}

#[tokio::test]
async fn a_plain_value_is_borrowed_from_the_request() {
    let server = spawn(router()).await;
    assert_eq!(
        body_of(&server, "/borrowed/str/alice").await,
        (200, "[alice]".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/cow/alice").await,
        (200, "[alice] borrowed=true".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/sync-str/alice").await,
        (200, "[alice]".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/sync-cow/alice").await,
        (200, "[alice] borrowed=true".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_percent_encoded_value_is_decoded_into_a_buffer_of_its_own() {
    let server = spawn(router()).await;
    assert_eq!(
        body_of(&server, "/borrowed/str/a%20b").await,
        (200, "[a b]".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/str/caf%C3%A9").await,
        (200, "[café]".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/cow/caf%C3%A9%20%E2%9C%93").await,
        (200, "[café ✓] borrowed=false".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/sync-cow/caf%C3%A9%20%E2%9C%93").await,
        (200, "[café ✓] borrowed=false".into())
    );
    assert_eq!(
        body_of(&server, "/borrowed/sync-str/a%20b").await,
        (200, "[a b]".into())
    );
    // `+` is a `+` in a path.
    assert_eq!(
        body_of(&server, "/borrowed/str/a+b").await,
        (200, "[a+b]".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn an_undecodable_value_is_the_400_of_a_string_parameter() {
    let server = spawn(router()).await;
    for (raw_value, why) in [
        ("%FF", "is not valid UTF-8 after percent-decoding"),
        ("%2", "has an invalid percent-escape"),
        ("%zz", "has an invalid percent-escape"),
    ] {
        let expected = (400, error_json(&format!("path parameter `name` {why}")));
        for route in ["str", "cow", "owned", "sync-str", "sync-cow"] {
            let path = format!("/borrowed/{route}/{raw_value}");
            assert_eq!(body_of(&server, &path).await, expected, "{path}");
        }
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_catch_all_borrows_the_rest_of_the_path() {
    let server = spawn(router()).await;
    assert_eq!(
        body_of(&server, "/borrowed/files/a/b%20c.txt").await,
        (200, "file a/b c.txt".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn optional_query_values_are_absent_empty_or_present() {
    let server = spawn(router()).await;
    assert_eq!(
        body_of(&server, "/borrowed/search?q=rust").await,
        (
            200,
            "q=[rust] page=None lang=None lang_borrowed=None".into()
        )
    );
    assert_eq!(
        body_of(&server, "/borrowed/search?q=&page=&lang=").await,
        (
            200,
            r#"q=[] page=Some("") lang=Some("") lang_borrowed=Some(true)"#.into()
        )
    );
    assert_eq!(
        body_of(&server, "/borrowed/search?page=2&q=a+b%2Bc&lang=en").await,
        (
            200,
            r#"q=[a b+c] page=Some("2") lang=Some("en") lang_borrowed=Some(true)"#.into()
        )
    );
    // The key is matched after decoding, `+` included; the first value wins.
    assert_eq!(
        body_of(&server, "/borrowed/search?%71=x&q=y&lang=fr+CA").await,
        (
            200,
            r#"q=[x] page=None lang=Some("fr CA") lang_borrowed=Some(false)"#.into()
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_cannot_wait_answers_query_values_as_one_that_can() {
    let server = spawn(router()).await;
    for query in [
        "q=rust",
        "q=&page=&lang=",
        "page=2&q=a+b%2Bc&lang=en",
        "%71=x&q=y&lang=fr+CA",
        "",
        "q=%FF",
        "q=a&page=%2",
    ] {
        let waiting = body_of(&server, &format!("/borrowed/search?{query}")).await;
        let at_once = body_of(&server, &format!("/borrowed/sync-search?{query}")).await;
        assert_eq!(at_once, waiting, "{query}");
    }
    assert_eq!(
        body_of(&server, "/borrowed/sync-search?q=a+b&page=3").await,
        (
            200,
            r#"q=[a b] page=Some("3") lang=None lang_borrowed=None"#.into()
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_panic_in_a_handler_that_cannot_wait_is_a_500_and_the_server_goes_on() {
    let server = spawn(router()).await;
    let (status, body) = body_of(&server, "/borrowed/sync-panic/bob").await;
    assert_eq!(status, 500);
    assert!(body.contains(r#""status":500"#), "{body}");
    assert_eq!(
        body_of(&server, "/borrowed/sync-str/after").await,
        (200, "[after]".into())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn query_errors_are_those_of_a_string_parameter() {
    let server = spawn(router()).await;
    assert_eq!(
        body_of(&server, "/borrowed/search").await,
        (
            400,
            error_json("missing query parameter `q` of type `&str`")
        )
    );
    assert_eq!(
        body_of(&server, "/borrowed/search?q=%FF").await,
        (
            400,
            error_json("query parameter `q` is not valid UTF-8 after percent-decoding")
        )
    );
    assert_eq!(
        body_of(&server, "/borrowed/search?q=a&page=%2").await,
        (
            400,
            error_json("query parameter `page` has an invalid percent-escape")
        )
    );
    server.shutdown().await;
}

#[tokio::test]
async fn extractors_and_the_body_around_borrowed_parameters() {
    let server = spawn(router()).await;
    let client = reqwest::Client::new();
    let res = client
        .post(server.url("/borrowed/mixed/b%C3%B6b/7?tag=x%20y"))
        .json(&serde_json::json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.unwrap(),
        r#"hello böb #7 POST tag=Some("x y") note=hi"#
    );
    // An owned parameter after a borrowed one answers as before, in argument order.
    let res = client
        .post(server.url("/borrowed/mixed/bob/seven"))
        .json(&serde_json::json!({ "text": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.text().await.unwrap(),
        error_json("path parameter `id` must be `u32`: invalid digit found in string")
    );
    // The body is read last, after every parameter.
    let res = client
        .post(server.url("/borrowed/mixed/bob/7"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    server.shutdown().await;
}

#[test]
fn the_probe_finds_the_state_of_a_route_with_borrowed_parameters() {
    // Without the `Greeting` state, the table does not build: the shim answers the probe.
    let err = App::new().build().expect_err("`mixed` needs its state");
    assert!(err.to_string().contains("Greeting"), "{err}");
}
