//! Slow and stalled peers, with short timeouts configured for the test: each is cut off by its
//! own limit while the server keeps answering everyone else.

mod support;

use std::time::{Duration, Instant};

use routemark::{App, Router, ServerConfig, route};
use support::{get, read_all, spawn_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[route(GET "/hello")]
fn hello() -> &'static str {
    "hello"
}

#[route(POST "/echo")]
fn echo(body: bytes::Bytes) -> String {
    format!("{} bytes", body.len())
}

const BIG: usize = 32 << 20;

#[route(GET "/big")]
fn big() -> Vec<u8> {
    vec![b'x'; BIG]
}

#[route(GET "/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(200)).await;
    "slow"
}

#[route(GET "/forever")]
async fn forever() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "never"
}

fn router() -> Router {
    App::new()
        .handler_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

fn short(config: ServerConfig) -> ServerConfig {
    config
        .header_read_timeout(Duration::from_millis(500))
        .body_idle_timeout(Duration::from_millis(300))
        .body_timeout(Duration::from_millis(800))
        .write_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_secs(5))
}

async fn probe_succeeds(addr: std::net::SocketAddr) {
    let res = reqwest::get(format!("http://{addr}/hello")).await.unwrap();
    assert_eq!(res.text().await.unwrap(), "hello");
}

/// Reads until the server closes the connection; returns the bytes and how long it took.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    let exchange = read_all(stream, limit).await;
    assert!(
        exchange.closed,
        "the server kept the connection open: {}",
        exchange.text
    );
    (exchange.text, start.elapsed())
}

#[tokio::test]
async fn slowloris_is_cut_off_at_the_header_timeout() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /hello HTTP/1.1\r\n").await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One header byte every 150 ms, for longer than the 500 ms header timeout.
    let drip = tokio::spawn(async move {
        for byte in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            tokio::time::sleep(Duration::from_millis(150)).await;
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut response = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(3), reader.read_to_end(&mut response)).await;
    assert!(
        read.is_ok(),
        "the server kept the slowloris connection open"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        response.is_empty(),
        "{}",
        String::from_utf8_lossy(&response)
    );
    drip.abort();
    probe_succeeds(server.addr).await;
    server.shutdown().await;
}

/// The header timeout counts from the first byte of each head; a keep-alive connection
/// waiting for its next request is the idle timeout's: a client that pauses longer than the
/// header timeout between whole requests is still served, and one that then stalls in its
/// next head is cut off a header timeout after that head's first bytes.
#[tokio::test]
async fn a_keep_alive_connection_stalling_in_its_next_head_is_cut_off() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..3 {
        stream.write_all(&get("/hello")).await.unwrap();
        let mut response = Vec::new();
        while !response.ends_with(b"hello") {
            let mut chunk = [0u8; 1024];
            let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut chunk))
                .await
                .expect("answered")
                .unwrap();
            assert!(n > 0, "closed while requests kept coming");
            response.extend_from_slice(&chunk[..n]);
        }
        // Past the 500 ms header timeout, within the 5 s idle timeout.
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    stream.write_all(b"GET /hello HTTP/1.1\r\n").await.unwrap();
    let stalled = Instant::now();
    let (text, _) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert_eq!(text, "");
    let took = stalled.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    server.shutdown().await;
}

/// Sends `pieces` on one keep-alive connection, each write followed by its pause, and
/// returns the bodies of the answers, in order; fails if the server closed the connection.
async fn answers_to_pieces(addr: std::net::SocketAddr, pieces: &[(&[u8], u64)]) -> Vec<String> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    for (piece, pause_ms) in pieces {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(*pause_ms)).await;
    }
    let exchange = read_all(&mut stream, Duration::from_millis(700)).await;
    assert!(!exchange.closed, "{}", exchange.text);
    exchange
        .text
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| {
            answer
                .rsplit("\r\n\r\n")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// A pipelined head that arrives in two parts while the request before it is in flight is
/// held until whole, then answered in turn.
#[tokio::test]
async fn a_pipelined_head_split_while_a_request_is_in_flight_is_answered() {
    let server = spawn_with(router(), short).await;
    let next = get("/hello");
    let (first_part, rest) = next.split_at(12);
    let pipelined = [get("/slow").as_slice(), first_part].concat();
    // `/slow` takes 200 ms; the rest of the next head comes while it runs.
    let answers = answers_to_pieces(server.addr, &[(&pipelined, 100), (rest, 0)]).await;
    assert_eq!(answers, ["slow", "hello"]);
    server.shutdown().await;
}

/// Each head has the whole header timeout from its own first bytes, also when it starts in
/// the read that completes the head before it.
#[tokio::test]
async fn each_pipelined_head_is_timed_from_its_own_first_bytes() {
    let server = spawn_with(router(), short).await;
    let (first, second) = (get("/hello"), get("/slow"));
    // 0 ms: part of the first head. 300 ms: its rest and part of the second. 650 ms: the
    // rest of the second, 350 ms after its first bytes but 650 ms after the first head's,
    // past the 500 ms header timeout.
    let middle = [&first[10..], &second[..10]].concat();
    let pieces: [(&[u8], u64); 3] = [(&first[..10], 300), (&middle, 350), (&second[10..], 0)];
    let answers = answers_to_pieces(server.addr, &pieces).await;
    assert_eq!(answers, ["hello", "slow"]);
    server.shutdown().await;
}

/// After a `CONNECT`, an HTTP/1.0 keep-alive request or a request asking to upgrade (all
/// answered like any other: the server never switches protocols), the next head is still
/// timed: a client that stalls in it is cut off at the header timeout.
#[tokio::test]
async fn the_head_after_connect_http_1_0_or_upgrade_is_still_timed() {
    let server = spawn_with(router(), short).await;
    let firsts = [
        (
            "CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n",
            "HTTP/1.1 501",
        ),
        (
            "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "HTTP/1.0 200",
        ),
        (
            "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
            "HTTP/1.1 200",
        ),
    ];
    for (first, status) in firsts {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(first.as_bytes()).await.unwrap();
        let mut answer = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
            .await
            .expect("answered")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with(status), "{first:?}: {answer}");
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nX-Slow: a")
            .await
            .unwrap();
        let stalled = Instant::now();
        let (text, _) = until_closed(&mut stream, Duration::from_secs(3)).await;
        assert_eq!(text, "", "{first:?}");
        let took = stalled.elapsed();
        assert!(
            took >= Duration::from_millis(450) && took < Duration::from_millis(1500),
            "{first:?}: {took:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_client_is_closed_at_the_first_byte_timeout() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (text, took) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert_eq!(text, "");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_partial_http2_preface_is_closed_at_the_first_byte_timeout() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let (text, _) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert_eq!(text, "");
    probe_succeeds(server.addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_stalled_body_is_408_and_closed() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let (text, took) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(text.starts_with("HTTP/1.1 408 Request Timeout"), "{text}");
    assert!(
        text.contains("the client stopped sending the request body"),
        "{text}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_that_drips_past_the_total_deadline_is_408() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b"x").await.is_err() {
                break;
            }
        }
    });
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(4), reader.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408 Request Timeout"), "{text}");
    assert!(
        text.contains("the request body took too long to arrive"),
        "{text}"
    );
    drip.abort();
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_at_the_write_timeout() {
    let server = spawn_with(router(), short).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&get("/big")).await.unwrap();
    // Not reading: the socket buffers fill, the server's write stalls.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut received = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received += n,
            Err(_) => panic!("the server neither sent more nor closed"),
        }
    }
    assert!(received < BIG, "received the whole {BIG}-byte body");
    probe_succeeds(server.addr).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_never_returns_is_503_at_the_handler_timeout() {
    let server = spawn_with(router(), short).await;
    let start = Instant::now();
    let res = reqwest::get(server.url("/forever")).await.unwrap();
    assert_eq!(res.status(), 503);
    let message = res.json::<serde_json::Value>().await.unwrap()["message"].clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .starts_with("the handler did not finish within 300ms"),
        "{message}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    server.shutdown().await;
}

/// A server whose idle timeout (400 ms) is the first limit a quiet connection meets, and a
/// connection to it.
async fn connect_with_idle_timeout_400ms() -> (support::TestServer, TcpStream) {
    let server = spawn_with(router(), |c| {
        short(c)
            .header_read_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_millis(400))
    })
    .await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    (server, stream)
}

#[tokio::test]
async fn an_idle_connection_is_closed_at_the_idle_timeout() {
    let (server, mut stream) = connect_with_idle_timeout_400ms().await;
    stream.write_all(&get("/hello")).await.unwrap();
    let (text, took) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn requests_keep_a_connection_open_past_the_idle_timeout() {
    let (server, mut stream) = connect_with_idle_timeout_400ms().await;
    // Eight requests 150 ms apart: 1.2 s in all, three idle timeouts, never 400 ms quiet.
    let mut buf = [0u8; 1024];
    for i in 0..8 {
        stream.write_all(&get("/hello")).await.unwrap();
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("request {i}: no answer"))
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(
            text.starts_with("HTTP/1.1 200 OK") && text.ends_with("hello"),
            "request {i}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Then quiet: closed between 1× and 1.25× the idle timeout after the last byte (the
    // 150 ms slept already count), with timer slack.
    let start = Instant::now();
    let (text, took) = until_closed(&mut stream, Duration::from_secs(3)).await;
    assert_eq!(text, "");
    let quiet = took + Duration::from_millis(150);
    assert!(
        quiet >= Duration::from_millis(390) && quiet < Duration::from_millis(900),
        "closed after {quiet:?} of quiet ({:?} since the last read)",
        start.elapsed()
    );
    server.shutdown().await;
}

/// A keep-alive connection on which `GET /hello` was answered 200.
async fn connect_after_one_answer(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&get("/hello")).await.unwrap();
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"));
    stream
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let server = spawn_with(router(), |c| short(c).max_connections(1)).await;
    let first = connect_after_one_answer(server.addr).await;
    let mut buf = [0u8; 256];

    let mut second = TcpStream::connect(server.addr).await.unwrap();
    second.write_all(&get("/hello")).await.unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(300), second.read(&mut buf)).await;
    assert!(
        waiting.is_err(),
        "the second connection was served past the cap"
    );
    drop(first);
    let n = tokio::time::timeout(Duration::from_secs(2), second.read(&mut buf))
        .await
        .expect("served once the first connection closed")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once_and_finishes_requests_in_flight() {
    let mut server = spawn_with(router(), short).await;
    // A keep-alive connection, idle after one answered request.
    let mut idle = connect_after_one_answer(server.addr).await;
    // A request in flight (its handler takes 200 ms).
    let mut busy = TcpStream::connect(server.addr).await.unwrap();
    busy.write_all(&get("/slow")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let start = Instant::now();
    server.signal_shutdown();
    let (idle_text, idle_took) = until_closed(&mut idle, Duration::from_secs(3)).await;
    assert_eq!(idle_text, "");
    assert!(idle_took < Duration::from_millis(150), "{idle_took:?}");
    let (busy_text, _) = until_closed(&mut busy, Duration::from_secs(3)).await;
    assert!(
        busy_text.starts_with("HTTP/1.1 200 OK") && busy_text.ends_with("slow"),
        "{busy_text}"
    );
    server.join().await;
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(100) && took < Duration::from_secs(2),
        "{took:?}"
    );
}
