//! HTTP/2 over cleartext (h2c): the server's advertised limits and its behaviour past them.

mod support;

use std::time::Duration;

use routemark::{App, ServerConfig, route};

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
