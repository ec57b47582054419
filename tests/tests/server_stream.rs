//! The whole server over an in-memory stream (`tokio::io::duplex`), fed arbitrary bytes
//! split into arbitrary writes: it answers or closes, never panics or hangs, and sends at
//! most one response per request. The same oracle as the `server_stream` fuzz target (which
//! includes `server_stream/harness.rs` too), as a property test that `cargo test` runs.

#[path = "server_stream/harness.rs"]
mod harness;

use proptest::prelude::*;

/// Pieces that make up plausible requests, so that generated streams reach the router and
/// the framing guard, not only hyper's parser.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let tokens: Vec<&'static [u8]> = vec![
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /items/7?q=x HTTP/1.1\r\nHost: a\r\n\r\n",
        b"HEAD /items/7 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"DELETE /items/7 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /files/a/../b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\nshort",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"\r\n",
        b"Content-Length: 2\r\n",
        b"GET /",
    ];
    prop_oneof![
        4 => prop::sample::select(tokens).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..32),
    ]
}

/// A byte stream: mostly a sequence of pieces, sometimes with one byte flipped.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(piece(), 0..6),
        any::<Option<(prop::sample::Index, u8)>>(),
    )
        .prop_map(|(pieces, flip)| {
            let mut bytes = pieces.concat();
            if let (Some((at, value)), false) = (flip, bytes.is_empty()) {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            bytes
        })
}

fn split<'a>(bytes: &'a [u8], points: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = points.iter().map(|p| p.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([bytes.len()]) {
        if p > start {
            chunks.push(&bytes[start..p]);
            start = p;
        }
    }
    chunks
}

proptest! {
    // Each case is one connection on a paused clock: well under a second each.
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn answers_or_closes_never_hangs_at_most_one_response_per_request(
        bytes in stream(),
        points in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        close in any::<bool>(),
    ) {
        let chunks = split(&bytes, &points);
        harness::runtime().block_on(harness::check(harness::router(), &chunks, close));
    }
}

/// Sanity of the oracle itself: well-formed pipelined requests are all answered, in one
/// write or byte by byte.
#[test]
fn pipelined_requests_are_each_answered_once() {
    let input: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /items/3 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
    let rt = harness::runtime();
    for close in [false, true] {
        let output = rt.block_on(harness::check(harness::router(), &[input], close));
        assert_eq!(
            harness::final_responses(&output),
            3,
            "{}",
            String::from_utf8_lossy(&output)
        );
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let output = rt.block_on(harness::check(harness::router(), &bytes, close));
        assert_eq!(
            harness::final_responses(&output),
            3,
            "{}",
            String::from_utf8_lossy(&output)
        );
    }
    assert_eq!(harness::max_requests(input), 4);
}

/// A client that sends nothing and never closes is disconnected by the header-read timeout
/// (2 s in the harness, on tokio's paused clock), not left to the 10 s idle timeout:
/// `serve_connection` cannot peek at the stream, so the connection times its first byte
/// itself.
#[test]
fn a_silent_client_is_disconnected_at_the_header_timeout() {
    let (output, took) = harness::runtime().block_on(async {
        let start = tokio::time::Instant::now();
        let output = harness::check(harness::router(), &[], false).await;
        (output, start.elapsed())
    });
    assert_eq!(
        harness::final_responses(&output),
        0,
        "{}",
        String::from_utf8_lossy(&output)
    );
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_secs(3),
        "{took:?}"
    );
}

/// A complete head over the default 64 KiB header limit, sent in one write over
/// `serve_connection`, is answered 431.
#[test]
fn a_complete_head_over_the_default_limit_is_431() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(70_000)
    );
    let output = harness::runtime().block_on(async {
        let (mut client, server) = tokio::io::duplex(256 << 10);
        let config = routemark::ServerConfig::default();
        let serve = config.serve_connection(harness::router(), server);
        let talk = async move {
            client.write_all(head.as_bytes()).await.unwrap();
            let mut output = Vec::new();
            let _ = client.read_to_end(&mut output).await;
            output
        };
        tokio::join!(serve, talk).1
    });
    let text = String::from_utf8_lossy(&output);
    assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
}

/// A complete head over the header limit (8 KiB in the harness) is answered 431 also over
/// `serve_connection`, whatever the writes it arrives in.
#[test]
fn a_complete_head_over_the_limit_is_431_whatever_the_writes() {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(10_000)
    );
    let rt = harness::runtime();
    for chunk in [head.len(), 4096, 1000] {
        let chunks: Vec<&[u8]> = head.as_bytes().chunks(chunk).collect();
        let output = rt.block_on(harness::check(harness::router(), &chunks, false));
        let text = String::from_utf8_lossy(&output);
        assert!(
            text.starts_with("HTTP/1.1 431 "),
            "in chunks of {chunk}: {text}"
        );
    }
}
