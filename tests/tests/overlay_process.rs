//! The overlay sources configured by the environment alone, in real server processes:
//! `ROUTEMARK_OVERLAY_FILE`, and `ROUTEMARK_ETCD_ENDPOINTS` + `ROUTEMARK_ETCD_PREFIX` with
//! two replicas (two processes) converging on every change.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::etcd::Etcd;
use support::start_probe_with;

const PROBE: &str = env!("CARGO_BIN_EXE_routemark-overlay-probe");

/// Kills the probe process when the test ends, however it ends.
struct Probe(std::process::Child, SocketAddr);

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn probe(env: &[(&str, &str)]) -> Probe {
    let (child, addr) = start_probe_with(PROBE, env);
    Probe(child, addr)
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn wait_for(addr: SocketAddr, path: &str, body: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if get(addr, path).await.1 == body {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{path} never answered {body:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_overlay_file_named_by_the_environment_is_applied_and_watched() {
    let path =
        std::env::temp_dir().join(format!("routemark-env-overlay-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{ "routes": { "GET /pr/users/me": { "enabled": false } } }"#,
    )
    .unwrap();
    let server = probe(&[("ROUTEMARK_OVERLAY_FILE", path.to_str().unwrap())]);
    assert_eq!(get(server.1, "/pr/users/me").await, (200, "user me".into()));
    std::fs::write(
        &path,
        r#"{ "routes": { "GET /pr/checkout": { "split": { "GET /pr/checkout/v2": 100 } } } }"#,
    )
    .unwrap();
    wait_for(server.1, "/pr/checkout", "v2", Duration::from_secs(1)).await;
    assert_eq!(get(server.1, "/pr/users/me").await, (200, "me".into()));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replica_processes_converge_on_every_change_within_a_second() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    let endpoint = etcd.endpoint();
    let env = [
        ("ROUTEMARK_ETCD_ENDPOINTS", endpoint.as_str()),
        ("ROUTEMARK_ETCD_PREFIX", "/routemark/fleet/"),
    ];
    let a = probe(&env);
    let b = probe(&env);
    for replica in [&a, &b] {
        wait_for(replica.1, "/readyz", "ok", Duration::from_secs(10)).await;
    }
    let key = "/routemark/fleet/GET /pr/checkout";
    let mut times = Vec::new();
    for change in 0..50 {
        let (value, expected) = if change % 2 == 0 {
            (r#"{ "split": { "GET /pr/checkout/v2": 100 } }"#, "v2")
        } else {
            (r#"{ "enabled": true }"#, "v1")
        };
        let start = Instant::now();
        client.put(key, value, None).await.unwrap();
        wait_for(a.1, "/pr/checkout", expected, Duration::from_secs(1)).await;
        wait_for(b.1, "/pr/checkout", expected, Duration::from_secs(1)).await;
        times.push(start.elapsed());
    }
    times.sort();
    eprintln!(
        "two replica processes, 50 changes: converged in median {:?}, worst {:?}",
        times[25], times[49]
    );
    assert!(times[49] < Duration::from_secs(1));
}
