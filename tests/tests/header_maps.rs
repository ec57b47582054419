//! A request's header map is passed on, emptied, to a later response (`spare_headers.rs` in
//! the runtime): over real TCP, on one connection, every response of every kind of shim
//! carries exactly its own headers and none of the requests', whatever the requests sent
//! before it. The router's own answers (a `404`) and a failed extraction (a `400`) pass the
//! request's map on too.

mod support;

use std::collections::BTreeSet;

use routemark::http::Method;
use routemark::{App, Json, route};
use support::{raw, spawn};

#[route(GET "/maps/sync-borrowed/<name>")]
fn sync_borrowed(name: &str) -> String {
    format!("sync-borrowed {name}")
}

#[route(GET "/maps/sync-owned/<id>")]
fn sync_owned(id: u32) -> String {
    format!("sync-owned {id}")
}

#[route(GET "/maps/sync-none")]
fn sync_none() -> &'static str {
    "sync-none"
}

#[route(GET "/maps/async-none")]
async fn async_none() -> &'static str {
    "async-none"
}

#[route(GET "/maps/async-owned/<id>")]
async fn async_owned(id: u32) -> String {
    format!("async-owned {id}")
}

#[route(GET "/maps/async-method")]
async fn async_method(method: Method) -> String {
    format!("async-method {method}")
}

#[route(GET "/maps/json/<id>")]
async fn json(id: u32) -> Json<Vec<u32>> {
    Json(vec![id, id + 1])
}

/// Each path with the status and body it is answered with.
const ROUTES: [(&str, u16, &str); 11] = [
    ("/maps/sync-borrowed/ann", 200, "sync-borrowed ann"),
    ("/maps/sync-owned/7", 200, "sync-owned 7"),
    ("/maps/missing/1", 404, NOT_FOUND_1),
    ("/maps/sync-none", 200, "sync-none"),
    ("/maps/async-none", 200, "async-none"),
    ("/maps/missing/2", 404, NOT_FOUND_2),
    ("/maps/async-owned/8", 200, "async-owned 8"),
    // An `async` handler's extraction fails: the shim passes the request's map on.
    ("/maps/async-owned/x", 400, BAD_ID),
    ("/maps/async-owned/y", 400, BAD_ID),
    ("/maps/async-method", 200, "async-method GET"),
    ("/maps/json/3", 200, "[3,4]"),
];

const NOT_FOUND_1: &str =
    r#"{"status":404,"error":"Not Found","message":"no route matches `/maps/missing/1`"}"#;
const NOT_FOUND_2: &str =
    r#"{"status":404,"error":"Not Found","message":"no route matches `/maps/missing/2`"}"#;
const BAD_ID: &str = r#"{"status":400,"error":"Bad Request","message":"path parameter `id` must be `u32`: invalid digit found in string"}"#;

/// A request carrying headers no response may show: a few, or (`many`) forty, more than a
/// kept map may have room for.
fn request(path: &str, n: usize, many: bool) -> String {
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: test\r\nCookie: session={n}\r\n\
         Authorization: Bearer secret-{n}\r\nX-Secret: s{n}\r\n"
    );
    if many {
        for i in 0..40 {
            request.push_str(&format!("X-Extra-{i}: e{n}\r\n"));
        }
    }
    request.push_str("\r\n");
    request
}

/// The responses in `text`, in order: status, header names and body (by `content-length`).
fn responses(text: &str) -> Vec<(u16, BTreeSet<String>, String)> {
    let mut rest = text;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (head, after) = rest.split_once("\r\n\r\n").expect("a complete head");
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap()[9..12].parse().unwrap();
        let mut names = BTreeSet::new();
        let mut length = 0;
        for line in lines {
            let (name, value) = line.split_once(':').expect("a header line");
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            }
            names.insert(name.to_ascii_lowercase());
        }
        out.push((status, names, after[..length].to_owned()));
        rest = &after[length..];
    }
    out
}

#[tokio::test]
async fn responses_carry_only_their_own_headers_on_every_shim() {
    let server = spawn(App::new().build().expect("the test table builds")).await;
    // Three turns over the routes on one connection, one write: every response may reuse
    // the map of any request before it; the middle turn's requests have forty headers more.
    let mut pipeline = String::new();
    for turn in 0..3 {
        for (n, (path, _, _)) in ROUTES.iter().enumerate() {
            pipeline.push_str(&request(path, turn * 10 + n, turn == 1));
        }
    }
    let exchange = raw(server.addr, pipeline.as_bytes()).await;
    let answers = responses(&exchange.text);
    let expected_names: BTreeSet<String> = ["content-length", "content-type", "date"]
        .map(String::from)
        .into();
    assert_eq!(answers.len(), 3 * ROUTES.len(), "{}", exchange.text);
    for (i, (status, names, body)) in answers.iter().enumerate() {
        let (path, expected_status, expected_body) = ROUTES[i % ROUTES.len()];
        assert_eq!(
            (*status, body.as_str()),
            (expected_status, expected_body),
            "{path}"
        );
        assert_eq!(names, &expected_names, "{path}: {}", exchange.text);
    }
    assert!(!exchange.closed);
    server.shutdown().await;
}
