//! The negative corpus of `docs/hardening.md`: every input sent as raw bytes over real TCP, each
//! asserting the status, whether the connection closed, and how many times a handler ran.
//! Then the same inputs split at every byte offset, which must give the same answers.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use routemark::{App, Router, State, route};
use support::{RawExchange, raw, raw_chunks, spawn};

/// Counts handler runs: the oracle of every smuggling case.
#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[route(GET | POST "/count")]
fn count(State(calls): State<Calls>) -> &'static str {
    calls.0.fetch_add(1, Ordering::SeqCst);
    "counted"
}

#[route(POST "/echo")]
fn echo(State(calls): State<Calls>, body: Bytes) -> String {
    calls.0.fetch_add(1, Ordering::SeqCst);
    format!("{} bytes", body.len())
}

#[route(GET "/p/<x>")]
fn param(x: String, State(calls): State<Calls>) -> String {
    calls.0.fetch_add(1, Ordering::SeqCst);
    x.escape_default().to_string()
}

fn router(calls: &Calls) -> Router {
    App::with_routes(routemark::routes())
        .state(calls.clone())
        .body_limit(64)
        .build()
        .unwrap()
}

/// One corpus entry: what is sent, and what must come back.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    /// The statuses of the responses, in order (empty: the server answers nothing).
    statuses: &'static [u16],
    closed: bool,
    calls: usize,
}

fn case(
    name: &'static str,
    input: impl AsRef<[u8]>,
    statuses: &'static [u16],
    closed: bool,
    calls: usize,
) -> Case {
    Case {
        name,
        input: input.as_ref().to_vec(),
        statuses,
        closed,
        calls,
    }
}

fn post(headers: &str, body: &str) -> String {
    format!("POST /echo HTTP/1.1\r\nHost: t\r\n{headers}\r\n{body}")
}

fn corpus() -> Vec<Case> {
    let many_headers: String = (0..101).map(|i| format!("X-H{i}: v\r\n")).collect();
    vec![
        // Request line.
        case(
            "bad method with a space",
            "GE T /count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "junk method",
            "G=\":<>(e) /count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "NUL method",
            "\x00 /count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "version HTTP/1.32",
            "GET /count HTTP/1.32\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "version HT/11",
            "GET /count HT/11\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "control byte in target",
            "GET /co\x01unt HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "space in target",
            "GET /co unt HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "URI over 8 KiB",
            format!("GET /p/{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000)),
            &[414],
            false,
            0,
        ),
        // Headers.
        case(
            "header without colon",
            "GET /count HTTP/1.1\r\nHost t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "space before colon",
            "GET /count HTTP/1.1\r\nHost : t\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "empty header name",
            "GET /count HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "obs-fold",
            "GET /count HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "NUL in a value",
            "GET /count HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "bare CR in a value",
            "GET /count HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "101 headers",
            format!("GET /count HTTP/1.1\r\nHost: t\r\n{many_headers}\r\n"),
            &[431],
            true,
            0,
        ),
        case(
            "headers over 64 KiB",
            format!(
                "GET /count HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n",
                "v".repeat(70_000)
            ),
            &[431],
            true,
            0,
        ),
        case(
            "missing Host",
            "GET /count HTTP/1.1\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "two Hosts",
            "GET /count HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "Host with user info",
            "GET /count HTTP/1.1\r\nHost: u@a\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "empty Host",
            "GET /count HTTP/1.1\r\nHost:\r\n\r\n",
            &[400],
            true,
            0,
        ),
        // Framing.
        case(
            "Content-Length +5",
            post("Content-Length: +5\r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "Content-Length -1",
            post("Content-Length: -1\r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "Content-Length 0x5",
            post("Content-Length: 0x5\r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "Content-Length 5, 5",
            post("Content-Length: 5, 5\r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "empty Content-Length",
            post("Content-Length: \r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "overflowing Content-Length",
            post("Content-Length: 99999999999999999999\r\n", "hello"),
            &[400],
            true,
            0,
        ),
        case(
            "two different Content-Lengths",
            post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
            &[400],
            true,
            0,
        ),
        case(
            "Transfer-Encoding on HTTP/1.0",
            "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            &[400],
            true,
            0,
        ),
        case(
            "last coding identity",
            post("Transfer-Encoding: identity\r\n", ""),
            &[400],
            true,
            0,
        ),
        case(
            "last coding xchunked",
            post("Transfer-Encoding: xchunked\r\n", ""),
            &[400],
            true,
            0,
        ),
        case(
            "Content-Length then Transfer-Encoding",
            post(
                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                "0\r\n\r\n",
            ),
            &[400],
            true,
            0,
        ),
        case(
            "Transfer-Encoding then Content-Length, smuggling a second request",
            post(
                "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                "0\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n",
            ),
            &[400],
            true,
            0,
        ),
        case(
            "chunk size 0_2e",
            post("Transfer-Encoding: chunked\r\n", "0_2e\r\n\r\n"),
            &[400],
            true,
            0,
        ),
        case(
            "chunk size 0x",
            post("Transfer-Encoding: chunked\r\n", "0x\r\n\r\n"),
            &[400],
            true,
            0,
        ),
        case(
            "empty chunk size",
            post("Transfer-Encoding: chunked\r\n", "\r\n\r\n"),
            &[400],
            true,
            0,
        ),
        case(
            "overflowing chunk size",
            post(
                "Transfer-Encoding: chunked\r\n",
                "f0000000000000003\r\nabc\r\n0\r\n\r\n",
            ),
            &[400],
            true,
            0,
        ),
        case(
            "bare LF in a chunk extension",
            post(
                "Transfer-Encoding: chunked\r\n",
                "3;a\nb\r\nabc\r\n0\r\n\r\n",
            ),
            &[400],
            true,
            0,
        ),
        case(
            "chunk extensions over 16 KiB",
            post(
                "Transfer-Encoding: chunked\r\n",
                &format!("1;{}\r\na\r\n0\r\n\r\n", "e".repeat(17_000)),
            ),
            &[400],
            true,
            0,
        ),
        // Pipelining.
        case(
            "GET without a length, then a second request",
            "GET /count HTTP/1.1\r\nHost: t\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[200, 200],
            false,
            2,
        ),
        case(
            "a body that holds a request is a body",
            {
                let smuggled = "GET /count HTTP/1.1\r\nHost: t\r\n\r\n";
                post(&format!("Content-Length: {}\r\n", smuggled.len()), smuggled)
            },
            &[200],
            false,
            1,
        ),
        case(
            "a valid request then an invalid one",
            "GET /count HTTP/1.1\r\nHost: t\r\n\r\nGE T / HTTP/1.1\r\n\r\n",
            &[200, 400],
            true,
            1,
        ),
        // Size.
        case(
            "body just over the limit",
            post("Content-Length: 65\r\n", &"b".repeat(65)),
            &[413],
            true,
            0,
        ),
        case(
            "body at the limit",
            post("Content-Length: 64\r\n", &"b".repeat(64)),
            &[200],
            false,
            1,
        ),
        case(
            "chunked body just over the limit",
            post(
                "Transfer-Encoding: chunked\r\n",
                &format!("41\r\n{}\r\n0\r\n\r\n", "b".repeat(65)),
            ),
            &[413],
            true,
            0,
        ),
        // Paths.
        case(
            "%00 in a parameter is data",
            "GET /p/a%00b HTTP/1.1\r\nHost: t\r\n\r\n",
            &[200],
            false,
            1,
        ),
        case(
            "..%2f in a parameter is data",
            "GET /p/..%2f HTTP/1.1\r\nHost: t\r\n\r\n",
            &[200],
            false,
            1,
        ),
        case(
            "..%5c in a parameter is data",
            "GET /p/..%5c HTTP/1.1\r\nHost: t\r\n\r\n",
            &[200],
            false,
            1,
        ),
        case(
            "overlong UTF-8 %c0%af",
            "GET /p/%c0%af HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            false,
            0,
        ),
        case(
            "invalid UTF-8 %ff",
            "GET /p/%ff HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            false,
            0,
        ),
        case(
            "invalid escape %zz",
            "GET /p/%zz HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            false,
            0,
        ),
        case(
            "raw dot segments are not resolved",
            "GET /p/../count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[404],
            false,
            0,
        ),
        case(
            "encoded dot segments are not resolved",
            "GET /p/%2e%2e/count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[404],
            false,
            0,
        ),
        case(
            "double slash",
            "GET //count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[404],
            false,
            0,
        ),
        case(
            "trailing slash",
            "GET /count/ HTTP/1.1\r\nHost: t\r\n\r\n",
            &[404],
            false,
            0,
        ),
        case(
            "case differs",
            "GET /COUNT HTTP/1.1\r\nHost: t\r\n\r\n",
            &[404],
            false,
            0,
        ),
        case(
            "OPTIONS *",
            "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
            &[204],
            false,
            0,
        ),
        case(
            "GET *",
            "GET * HTTP/1.1\r\nHost: t\r\n\r\n",
            &[400],
            false,
            0,
        ),
        case(
            "absolute-form target routes on its path",
            "GET http://t/count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[200],
            false,
            1,
        ),
        case(
            "CONNECT",
            "CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n",
            &[501],
            false,
            0,
        ),
        case(
            "unknown method on a known path",
            "BREW /count HTTP/1.1\r\nHost: t\r\n\r\n",
            &[405],
            false,
            0,
        ),
        // Extractors.
        case(
            "an extractor that fails",
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 999\r\n\r\n",
            &[413],
            // The unread body cannot be drained cheaply: the connection closes.
            true,
            0,
        ),
    ]
}

async fn run_case(
    case: &Case,
    exchange: impl Future<Output = RawExchange>,
    calls: &Calls,
) -> String {
    let exchange = exchange.await;
    let got = (exchange.statuses(), exchange.closed, calls.get());
    let want = (case.statuses.to_vec(), case.closed, case.calls);
    if got == want {
        String::new()
    } else {
        format!(
            "{}: got (statuses, closed, calls) = {got:?}, want {want:?}\n{}\n",
            case.name,
            exchange.text.chars().take(300).collect::<String>()
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_input_gets_its_answer() {
    let mut failures = String::new();
    let cases = corpus();
    for case in &cases {
        let calls = Calls::default();
        let server = spawn(router(&calls)).await;
        failures += &run_case(case, raw(server.addr, &case.input), &calls).await;
        server.shutdown().await;
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(cases.len() >= 55, "{} cases", cases.len());
}

/// The same corpus with a pass-through global layer: layers run after the framing and
/// `Host` checks, so nothing of the corpus may reach them differently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_input_gets_its_answer_through_a_pass_through_layer() {
    let mut failures = String::new();
    let cases = corpus();
    for case in &cases {
        let calls = Calls::default();
        let router = App::with_routes(routemark::routes())
            .state(calls.clone())
            .body_limit(64)
            .layer(tower::util::MapRequestLayer::new(
                |request: routemark::Request| request,
            ))
            .build()
            .unwrap();
        let server = spawn(router).await;
        failures += &run_case(case, raw(server.addr, &case.input), &calls).await;
        server.shutdown().await;
    }
    assert!(failures.is_empty(), "{failures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_input_split_at_every_offset_gets_the_same_answer() {
    let mut failures = String::new();
    for case in corpus() {
        // Long inputs are split at every offset of their first and last 64 bytes, where
        // the request line, the header end and the body boundaries are.
        let len = case.input.len();
        let offsets: Vec<usize> = (1..len)
            .filter(|&i| len < 512 || i < 64 || i > len - 64)
            .collect();
        for batch in offsets.chunks(32) {
            let runs = batch.iter().map(|&split| {
                let case = &case;
                async move {
                    let calls = Calls::default();
                    let server = spawn(router(&calls)).await;
                    let (a, b) = case.input.split_at(split);
                    let chunks = [a, b];
                    let exchange = raw_chunks(server.addr, &chunks, Duration::from_millis(300));
                    let failure = run_case(case, exchange, &calls).await;
                    server.shutdown().await;
                    if failure.is_empty() {
                        failure
                    } else {
                        format!("[split at {split}] {failure}")
                    }
                }
            });
            for failure in futures_util::future::join_all(runs).await {
                failures += &failure;
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}
