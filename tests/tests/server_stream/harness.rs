//! One connection of the real server over an in-memory stream, fed arbitrary bytes: the
//! harness of `tests/server_stream.rs` (proptest, in `cargo test`) and of the `server_stream`
//! fuzz target (`fuzz/fuzz_targets/server_stream.rs` includes this file with `#[path]`).
//!
//! [`exchange`] writes the chunks one after the other to
//! [`ServerConfig::serve_connection`] over `tokio::io::duplex`, optionally closes its write
//! side, reads everything the server sends until the server ends the connection, and panics
//! if the server has not ended it within [`HANG_LIMIT`]. Run it on a runtime with a paused
//! clock: the server's timeouts (all short, see [`config`]) then fire as soon as nothing else
//! can happen, so a case takes microseconds of real time while a real hang (no timer that
//! could ever end the connection) is still caught.

use std::time::Duration;

use routemark::{App, Router, ServerConfig, Text, route};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[route(GET "/")]
fn root() -> &'static str {
    "root"
}

#[route(GET | POST "/items/<id>?<q>")]
fn item(id: u32, q: Option<String>) -> String {
    format!("item {id} q={}", q.map_or(0, |q| q.len()))
}

#[route(POST | PUT "/echo")]
async fn echo(Text(body): Text) -> String {
    // The length only: a response never contains request bytes, so status lines in the
    // output are the server's own (see `final_responses`).
    format!("{} bytes", body.len())
}

#[route(GET "/files/<rest..>")]
fn files(rest: String) -> String {
    format!("file of {} bytes", rest.len())
}

#[route(GET "/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "late"
}

/// How long (on the paused clock) a connection may live before it counts as hung: far
/// beyond every timeout of [`config`].
pub(crate) const HANG_LIMIT: Duration = Duration::from_secs(3600);

/// The server settings under test: every timeout short.
pub(crate) fn config() -> ServerConfig {
    ServerConfig::default()
        .header_read_timeout(Duration::from_secs(2))
        .idle_timeout(Duration::from_secs(10))
        .body_idle_timeout(Duration::from_secs(1))
        .body_timeout(Duration::from_secs(3))
        .write_timeout(Duration::from_secs(1))
        .max_header_bytes(8192)
        .max_headers(32)
        .http2_keep_alive_interval(Duration::from_secs(5))
}

/// The harness's routes, with a short handler timeout (`/slow` runs into it) and small
/// limits.
pub(crate) fn router() -> Router {
    App::with_routes(routemark::routes().filter(|r| r.module_path().ends_with("harness")))
        .handler_timeout(Duration::from_secs(2))
        .body_limit(4096)
        .max_uri_len(1024)
        .build()
        .expect("the harness's routes build")
}

/// Serves one connection that receives `chunks` (each one write, a short pause between
/// them), then, if `close`, the end of the client's stream. Returns every byte the server
/// wrote. Panics if the server does not end the connection within [`HANG_LIMIT`].
pub(crate) async fn exchange(router: Router, chunks: &[&[u8]], close: bool) -> Vec<u8> {
    let (client, server) = tokio::io::duplex(64 << 10);
    let config = config();
    let (mut read_half, mut write_half) = tokio::io::split(client);
    let serve = config.serve_connection(router, server);
    let write = async move {
        for chunk in chunks {
            // An error means the server has closed: the rest is not delivered.
            if write_half.write_all(chunk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if close {
            let _ = write_half.shutdown().await;
        }
        // Otherwise the write half stays open (the read half keeps the stream alive): the
        // server must end the connection on its own, by a timeout.
    };
    let mut output = Vec::new();
    let read = read_half.read_to_end(&mut output);
    let all = async {
        let ((), (), read) = tokio::join!(serve, write, read);
        read
    };
    match tokio::time::timeout(HANG_LIMIT, all).await {
        Ok(Ok(_)) => {}
        // The server side was dropped abruptly; what arrived before is still checked.
        Ok(Err(_)) => {}
        Err(_) => panic!(
            "the server did not end the connection within {HANG_LIMIT:?} (close = {close}, {} chunks, {} bytes)",
            chunks.len(),
            chunks.iter().map(|c| c.len()).sum::<usize>()
        ),
    }
    output
}

/// The number of final (non-1xx) HTTP/1 responses in the server's output, read one after
/// the other: a status line and headers, then a body framed by `Content-Length` or chunked.
/// A response whose head is directly followed by another status line is taken to be the
/// answer to a `HEAD` request (headers only): no body the harness can send starts with
/// `HTTP/1.` (handler bodies start with fixed text, error bodies with `{`), so the count is
/// exact. Stops at the first bytes that are not a response (HTTP/2 frames, a truncated end).
pub(crate) fn final_responses(output: &[u8]) -> usize {
    let mut count = 0;
    let mut rest = output;
    while let Some((status, head_len, body)) = response_head(rest) {
        if status >= 200 {
            count += 1;
        }
        rest = &rest[head_len..];
        let headers_only =
            status < 200 || status == 204 || status == 304 || rest.starts_with(b"HTTP/1.");
        if headers_only {
            continue;
        }
        let body_len = match body {
            BodyFraming::Length(n) => n,
            BodyFraming::Chunked => match chunked_len(rest) {
                Some(n) => n,
                None => break,
            },
            BodyFraming::UntilClose => break,
        };
        match rest.get(body_len..) {
            Some(after) => rest = after,
            None => break,
        }
    }
    count
}

enum BodyFraming {
    Length(usize),
    Chunked,
    UntilClose,
}

/// The status, head length and body framing of the response at the start of `bytes`.
fn response_head(bytes: &[u8]) -> Option<(u16, usize, BodyFraming)> {
    if !bytes.starts_with(b"HTTP/1.") {
        return None;
    }
    let head_len = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..head_len]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut framing = BodyFraming::UntilClose;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            framing = BodyFraming::Length(value.trim().parse().ok()?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked") {
            framing = BodyFraming::Chunked;
        }
    }
    Some((status, head_len, framing))
}

/// The length of the chunked body at the start of `bytes`, through its last chunk and
/// (empty) trailers.
fn chunked_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let line_end = bytes[at..].windows(2).position(|w| w == b"\r\n")? + at;
        let size_text = std::str::from_utf8(&bytes[at..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            return bytes[at..].starts_with(b"\r\n").then_some(at + 2);
        }
        at = at.checked_add(size)?.checked_add(2)?;
        if at > bytes.len() {
            return None;
        }
    }
}

/// An upper bound on the number of HTTP/1 requests in `input`: every complete head ends
/// with an empty line (`\n\n` or `\n\r\n`), plus one for a last, incomplete or malformed one
/// that the server may answer with an error before closing.
pub(crate) fn max_requests(input: &[u8]) -> usize {
    let ends = (0..input.len())
        .filter(|&i| {
            input[i] == b'\n'
                && (input.get(i + 1) == Some(&b'\n')
                    || input.get(i + 1..i + 3) == Some(b"\r\n".as_slice()))
        })
        .count();
    ends + 1
}

/// Runs [`exchange`] and checks the oracle: the server ended the connection (no hang), and
/// it sent at most one final response per request. Returns the output.
pub(crate) async fn check(router: Router, chunks: &[&[u8]], close: bool) -> Vec<u8> {
    let output = exchange(router, chunks, close).await;
    let input: Vec<u8> = chunks.concat();
    let responses = final_responses(&output);
    let bound = max_requests(&input);
    assert!(
        responses <= bound,
        "{responses} responses to at most {bound} requests\ninput: {:?}\noutput: {:?}",
        String::from_utf8_lossy(&input),
        String::from_utf8_lossy(&output)
    );
    output
}

/// A current-thread runtime whose clock is paused (advancing whenever every task waits).
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}
