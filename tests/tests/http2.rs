//! HTTP/2 over cleartext (h2c): the server's advertised limits and its behaviour past them,
//! its keep-alive PINGs, and how answers made at once leave the connection.

mod support;

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use routemark::{App, ServerConfig, route};
use support::h2frames::{
    ACK, DATA, END_HEADERS, END_STREAM, Frame, GOAWAY, HEADERS, PING, SETTINGS, WINDOW_UPDATE,
    client_hello, frame, get_block, read_frame,
};
use tokio::io::{AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::time::Instant;

#[route(GET "/h2/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "slow"
}

#[route(GET "/h2/hello")]
fn hello() -> &'static str {
    "hello"
}

#[route(GET "/h2/yields")]
async fn yields() -> &'static str {
    tokio::task::yield_now().await;
    "yielded"
}

async fn connect(
    addr: std::net::SocketAddr,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
    usize,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
    let mut connection = Box::pin(connection);
    // Drive the connection until the server's SETTINGS arrive, then hand it to a task.
    let request = routemark::http::Request::get(format!("http://{addr}/h2/hello"))
        .body(())
        .unwrap();
    client = client.ready().await.unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    let response = tokio::select! {
        r = response => r.unwrap(),
        r = &mut connection => panic!("connection ended: {r:?}"),
    };
    assert_eq!(response.status(), 200);
    let max_streams = connection.max_concurrent_send_streams();
    let task = tokio::spawn(connection);
    (client, task, max_streams)
}

#[tokio::test]
async fn the_server_advertises_200_concurrent_streams_by_default() {
    let server = support::spawn(App::new().build().unwrap()).await;
    let (_client, task, max_streams) = connect(server.addr).await;
    assert_eq!(max_streams, 200);
    task.abort();
    server.shutdown().await;
}

#[tokio::test]
async fn streams_past_the_limit_wait_and_all_complete() {
    let server = support::spawn_with(App::new().build().unwrap(), |c: ServerConfig| {
        c.http2_max_concurrent_streams(2)
    })
    .await;
    let (client, task, max_streams) = connect(server.addr).await;
    assert_eq!(max_streams, 2);
    let mut responses = Vec::new();
    for _ in 0..6 {
        let mut client = client.clone().ready().await.unwrap();
        let request = routemark::http::Request::get(format!("http://{}/h2/slow", server.addr))
            .body(())
            .unwrap();
        let (response, _) = client.send_request(request, true).unwrap();
        responses.push(tokio::spawn(response));
    }
    for response in responses {
        let response = response.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let data = body.data().await.unwrap().unwrap();
        assert_eq!(&data[..], b"slow");
    }
    task.abort();
    server.shutdown().await;
}

// ----- keep-alive PINGs, on tokio's paused clock over an in-memory connection -----

/// A client connection to `config`'s server, past the handshake (preface, both SETTINGS
/// acknowledged), and the time of the client's last frame.
async fn raw_connection(
    config: ServerConfig,
) -> (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>, Instant) {
    let (client, server) = tokio::io::duplex(64 << 10);
    let router = App::new().build().unwrap();
    tokio::spawn(async move { config.serve_connection(router, server).await });
    let (mut read, mut write) = tokio::io::split(client);
    write.write_all(&client_hello()).await.unwrap();
    loop {
        let frame = read_frame(&mut read).await.expect("the server's SETTINGS");
        if (frame.kind, frame.flags) == (SETTINGS, 0) {
            write
                .write_all(&self::frame(SETTINGS, ACK, 0, &[]))
                .await
                .unwrap();
            return (read, write, Instant::now());
        }
    }
}

/// The next frame that is not the server's acknowledgement of our SETTINGS nor a window
/// update (the server widens its connection window right after its SETTINGS), with the time
/// it arrived; `None` once the server closed the connection.
async fn next_frame(read: &mut ReadHalf<DuplexStream>) -> Option<(Frame, Instant)> {
    loop {
        let frame = read_frame(read).await?;
        if (frame.kind, frame.flags) != (SETTINGS, ACK) && frame.kind != WINDOW_UPDATE {
            return Some((frame, Instant::now()));
        }
    }
}

/// Settings that leave the keep-alive PING alone to end an idle connection.
fn pinging(interval: Option<Duration>) -> ServerConfig {
    ServerConfig::default()
        .idle_timeout(Duration::from_secs(3600))
        .http2_keep_alive_interval(interval)
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_pinged_after_the_interval_and_closed_when_the_ping_goes_unanswered()
{
    let (mut read, _write, quiet_since) =
        raw_connection(pinging(Some(Duration::from_secs(20)))).await;
    let (ping, pinged_at) = next_frame(&mut read).await.expect("a PING");
    assert_eq!(
        (ping.kind, ping.flags, ping.stream),
        (PING, 0, 0),
        "{ping:?}"
    );
    let waited = pinged_at - quiet_since;
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(21),
        "PING after {waited:?}"
    );
    // Never answered: the connection ends 20 s later (hyper's keep-alive timeout), with a
    // GOAWAY first.
    let mut frames = Vec::new();
    let closed_at = loop {
        match next_frame(&mut read).await {
            Some((frame, _)) => frames.push(frame),
            None => break Instant::now(),
        }
    };
    let kinds: Vec<u8> = frames.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [GOAWAY], "{frames:?}");
    let after = closed_at - pinged_at;
    assert!(
        after >= Duration::from_secs(20) && after < Duration::from_secs(21),
        "closed {after:?} after the PING"
    );
}

#[tokio::test(start_paused = true)]
async fn answered_pings_keep_an_idle_connection_open() {
    let (mut read, mut write, mut quiet_since) =
        raw_connection(pinging(Some(Duration::from_secs(20)))).await;
    for _ in 0..5 {
        let (ping, pinged_at) = next_frame(&mut read).await.expect("a PING");
        assert_eq!((ping.kind, ping.flags), (PING, 0), "{ping:?}");
        let waited = pinged_at - quiet_since;
        assert!(
            waited >= Duration::from_secs(20) && waited < Duration::from_secs(21),
            "PING after {waited:?}"
        );
        write
            .write_all(&frame(PING, ACK, 0, &ping.payload))
            .await
            .unwrap();
        quiet_since = Instant::now();
    }
    // 100 s on, the connection still serves.
    let request = frame(
        HEADERS,
        END_STREAM | END_HEADERS,
        1,
        &get_block("/h2/hello"),
    );
    write.write_all(&request).await.unwrap();
    let (headers, _) = next_frame(&mut read).await.expect("the answer");
    assert_eq!((headers.kind, headers.stream), (HEADERS, 1), "{headers:?}");
}

#[tokio::test(start_paused = true)]
async fn without_an_interval_an_idle_connection_is_never_pinged() {
    // With no PING, the server sends nothing until the idle timeout (an hour) closes the
    // connection.
    let (mut read, _write, quiet_since) = raw_connection(pinging(None)).await;
    let sent = next_frame(&mut read).await;
    assert!(sent.is_none(), "{sent:?}");
    let closed_after = Instant::now() - quiet_since;
    assert!(
        closed_after >= Duration::from_secs(3600) && closed_after < Duration::from_secs(4600),
        "closed after {closed_after:?}"
    );
}

// ----- answers made at once, sent from the connection's task -----

/// The server's side of an in-memory connection, which keeps what the server wrote between
/// two flushes as one batch: what left the server together.
struct FlushesKept {
    io: DuplexStream,
    pending: Vec<u8>,
    flushed: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl tokio::io::AsyncRead for FlushesKept {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for FlushesKept {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let written = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        this.pending.extend_from_slice(&buf[..written]);
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        if !this.pending.is_empty() {
            let batch = std::mem::take(&mut this.pending);
            this.flushed.lock().unwrap().push(batch);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The frames of one flushed batch: (type, stream).
fn frames_of(mut batch: &[u8]) -> Vec<(u8, u32)> {
    let mut frames = Vec::new();
    while batch.len() >= 9 {
        let len = u32::from_be_bytes([0, batch[0], batch[1], batch[2]]) as usize;
        let stream = u32::from_be_bytes(batch[5..9].try_into().unwrap()) & 0x7fff_ffff;
        frames.push((batch[3], stream));
        batch = &batch[9 + len..];
    }
    assert!(batch.is_empty(), "a batch ends with a whole frame");
    frames
}

/// A connection whose flushed batches are kept, past the handshake.
async fn connection_keeping_flushes() -> (
    ReadHalf<DuplexStream>,
    WriteHalf<DuplexStream>,
    Arc<Mutex<Vec<Vec<u8>>>>,
) {
    let (client, server) = tokio::io::duplex(64 << 10);
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let io = FlushesKept {
        io: server,
        pending: Vec::new(),
        flushed: flushed.clone(),
    };
    let router = App::new().build().unwrap();
    tokio::spawn(async move { ServerConfig::default().serve_connection(router, io).await });
    let (mut read, mut write) = tokio::io::split(client);
    write.write_all(&client_hello()).await.unwrap();
    loop {
        let frame = read_frame(&mut read).await.expect("the server's SETTINGS");
        if (frame.kind, frame.flags) == (SETTINGS, 0) {
            write
                .write_all(&self::frame(SETTINGS, ACK, 0, &[]))
                .await
                .unwrap();
            break;
        }
    }
    (read, write, flushed)
}

#[tokio::test]
async fn the_answers_to_requests_that_came_together_leave_together() {
    let (mut read, mut write, flushed) = connection_keeping_flushes().await;
    let streams: Vec<u32> = (0..8).map(|i| 2 * i + 1).collect();
    let mut requests = Vec::new();
    for &stream in &streams {
        requests.extend(frame(
            HEADERS,
            END_STREAM | END_HEADERS,
            stream,
            &get_block("/h2/hello"),
        ));
    }
    write.write_all(&requests).await.unwrap();
    let mut ended = Vec::new();
    while ended.len() < streams.len() {
        let (frame, _) = next_frame(&mut read).await.expect("the answers");
        if frame.kind == DATA && frame.flags & END_STREAM != 0 {
            assert_eq!(frame.payload, b"hello");
            ended.push(frame.stream);
        }
    }
    assert_eq!(ended, streams);
    // The eight answers (made while each request was routed) were sent from the connection's
    // task after it had taken all eight requests: one flush carries all their frames.
    let batches: Vec<Vec<(u8, u32)>> = flushed
        .lock()
        .unwrap()
        .iter()
        .map(|b| frames_of(b))
        .collect();
    let answers: Vec<&Vec<(u8, u32)>> = batches
        .iter()
        .filter(|frames| frames.iter().any(|&(kind, _)| kind == HEADERS))
        .collect();
    // (h2 queues a stream's DATA behind every HEADERS queued before it.)
    let expected: Vec<(u8, u32)> = [HEADERS, DATA]
        .iter()
        .flat_map(|&kind| streams.iter().map(move |&stream| (kind, stream)))
        .collect();
    assert_eq!(answers, [&expected], "{batches:?}");
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_waits_does_not_hold_back_the_answers_made_at_once() {
    let (mut read, mut write, _flushed) = connection_keeping_flushes().await;
    let sent_at = Instant::now();
    let mut requests = frame(HEADERS, END_STREAM | END_HEADERS, 1, &get_block("/h2/slow"));
    requests.extend(frame(
        HEADERS,
        END_STREAM | END_HEADERS,
        3,
        &get_block("/h2/hello"),
    ));
    write.write_all(&requests).await.unwrap();
    let mut answered = Vec::new();
    while answered.len() < 2 {
        let (frame, at) = next_frame(&mut read).await.expect("the answers");
        if frame.kind == DATA && frame.flags & END_STREAM != 0 {
            answered.push((frame.stream, frame.payload, at - sent_at));
        }
    }
    assert_eq!(
        answered,
        [
            (3, b"hello".to_vec(), Duration::ZERO),
            (1, b"slow".to_vec(), Duration::from_millis(300)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_threaded_runtime_every_stream_of_a_busy_connection_is_answered() {
    // Answers made at once (held and sent from the connection's task) and handlers that
    // wait (a task each, free to run on the other worker) on one connection, more streams
    // than it may open at once.
    let server = support::spawn(App::new().build().unwrap()).await;
    let (client, task, _) = connect(server.addr).await;
    let mut responses = Vec::new();
    for i in 0..600 {
        let (path, body) = match i % 3 {
            0 => ("/h2/yields", &b"yielded"[..]),
            _ => ("/h2/hello", &b"hello"[..]),
        };
        let mut client = client.clone().ready().await.unwrap();
        let request = routemark::http::Request::get(format!("http://{}{path}", server.addr))
            .body(())
            .unwrap();
        let (response, _) = client.send_request(request, true).unwrap();
        responses.push(tokio::spawn(async move {
            let response = response.await.unwrap();
            assert_eq!(response.status(), 200);
            let mut received = Vec::new();
            let mut data = response.into_body();
            while let Some(chunk) = data.data().await {
                received.extend_from_slice(&chunk.unwrap());
            }
            assert_eq!(received, body);
        }));
    }
    for response in responses {
        response.await.unwrap();
    }
    task.abort();
    server.shutdown().await;
}
