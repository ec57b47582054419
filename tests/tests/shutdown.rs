//! Graceful shutdown of a real process: SIGTERM with many requests in flight lets every one
//! of them finish, refuses new connections, and exits 0.

mod support;

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_refuses_new_ones_and_exits_zero() {
    let (mut child, addr) = support::start_probe(env!("CARGO_BIN_EXE_routemark-drain-probe"));

    let client = reqwest::Client::new();
    let in_flight: Vec<_> = (0..20)
        .map(|_| {
            let request = client.get(format!("http://{addr}/slow")).send();
            tokio::spawn(async move {
                let res = request.await.expect("in-flight request completes");
                (res.status().as_u16(), res.text().await.unwrap())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(250)).await;

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "a new connection after SIGTERM is refused"
    );

    for request in in_flight {
        assert_eq!(request.await.unwrap(), (200, "finished".to_owned()));
    }
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}
