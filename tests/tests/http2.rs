//! HTTP/2 over cleartext (h2c): the server's advertised limits and its behaviour past them,
//! and its keep-alive PINGs.

mod support;

use std::time::Duration;

use routemark::{App, ServerConfig, route};
use support::h2frames::{
    ACK, END_HEADERS, END_STREAM, Frame, GOAWAY, HEADERS, PING, SETTINGS, WINDOW_UPDATE,
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
