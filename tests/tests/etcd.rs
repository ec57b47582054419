//! The overlay from a real etcd (Debian's `etcd-server`): applied, rejected whole and
//! fixed; a transaction applied atomically; etcd down and back; a replica that starts while
//! etcd is down; two replicas converging; bad keys and values; a flood of revisions.

mod support;

use std::time::{Duration, Instant};

use etcd_client::{Txn, TxnOp};
use routemark::{App, MatchedRoute, Router, route};
use support::etcd::Etcd;
use support::{TestServer, spawn};

#[route(GET "/et/users/<id>")]
fn user(id: String, matched: MatchedRoute) -> String {
    format!("user {id} via {}", matched.template())
}

#[route(GET "/et/users/me")]
fn me() -> &'static str {
    "me"
}

#[route(GET "/et/checkout")]
fn checkout() -> &'static str {
    "v1"
}

#[route(GET "/et/checkout/v2")]
fn checkout_v2() -> &'static str {
    "v2"
}

const PREFIX: &str = "/routemark/shop/";

fn key(identity: &str) -> String {
    format!("{PREFIX}{identity}")
}

fn replica(etcd: &Etcd) -> Router {
    App::with_routes(routemark::routes().filter(|r| r.path().starts_with("/et/")))
        .overlay_etcd([etcd.endpoint()], PREFIX)
        .build()
        .unwrap()
}

async fn get(url: &str) -> (u16, String) {
    match reqwest::get(url).await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
        Err(e) => panic!("{url}: {e}"),
    }
}

/// Polls until `url` answers `body`; how long it took (fails after `limit`).
async fn wait_for(url: &str, body: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if get(url).await.1 == body {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{url} never answered {body:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn ready(server: &TestServer) {
    wait_for(&server.url("/readyz"), "ok", Duration::from_secs(10)).await;
}

fn metric(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {sample} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_applied_an_invalid_change_is_rejected_whole_and_a_fix_applies() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    client
        .put(key("GET /et/users/me"), r#"{ "enabled": false }"#, None)
        .await
        .unwrap();
    let router = replica(&etcd);
    let server = spawn(router.clone()).await;
    ready(&server).await;
    // Listed at start.
    assert_eq!(
        get(&server.url("/et/users/me")).await.1,
        "user me via /et/users/<id>"
    );

    // A change applies within a second.
    client
        .put(
            key("GET /et/checkout"),
            r#"{ "split": { "GET /et/checkout/v2": 100 } }"#,
            None,
        )
        .await
        .unwrap();
    wait_for(&server.url("/et/checkout"), "v2", Duration::from_secs(1)).await;

    // An invalid key: nothing of the change applies, the last table serves.
    let in_force = router.overlay_revision();
    client
        .put(key("GET /et/checkout/v3"), r#"{ "enabled": false }"#, None)
        .await
        .unwrap();
    client
        .put(key("GET /et/checkout"), r#"{ "enabled": false }"#, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get(&server.url("/et/checkout")).await.1, "v2");
    assert_eq!(router.overlay_revision(), in_force);
    let metrics = get(&server.url("/metrics")).await.1;
    assert!(
        metric(
            &metrics,
            "routemark_overlay_reloads_total{result=\"rejected\"}"
        ) >= 1.0
    );

    // Fixed: the table equals the prefix's content, deletions included.
    client
        .delete(key("GET /et/checkout/v3"), None)
        .await
        .unwrap();
    let start = Instant::now();
    while get(&server.url("/et/checkout")).await.0 != 404 {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the fix was not applied"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.delete(key("GET /et/checkout"), None).await.unwrap();
    client.delete(key("GET /et/users/me"), None).await.unwrap();
    wait_for(&server.url("/et/checkout"), "v1", Duration::from_secs(1)).await;
    wait_for(&server.url("/et/users/me"), "me", Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_of_one_transaction_apply_together() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    let router = replica(&etcd);
    let server = spawn(router.clone()).await;
    ready(&server).await;
    let me_url = server.url("/et/users/me");
    let checkout_url = server.url("/et/checkout");
    let watcher = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let start = Instant::now();
        let mut seen_after = false;
        while start.elapsed() < Duration::from_secs(3) && !seen_after {
            // Both in one check: before, both compiled; after, both changed; never half.
            let me = http
                .get(&me_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let checkout = http
                .get(&checkout_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            match (me.as_str(), checkout.as_str()) {
                ("me", "v1") => {}
                ("user me via /et/users/<id>", "v2") => seen_after = true,
                // The first request of a pair ran before the swap, the second after.
                ("me", "v2") => {}
                other => panic!("half a transaction served: {other:?}"),
            }
        }
        seen_after
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .txn(Txn::new().and_then([
            TxnOp::put(key("GET /et/users/me"), r#"{ "enabled": false }"#, None),
            TxnOp::put(
                key("GET /et/checkout"),
                r#"{ "split": { "GET /et/checkout/v2": 100 } }"#,
                None,
            ),
        ]))
        .await
        .unwrap();
    assert!(watcher.await.unwrap(), "the transaction was never applied");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etcd_outage_keeps_the_table_and_a_restart_resumes() {
    let mut etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    client
        .put(key("GET /et/users/me"), r#"{ "enabled": false }"#, None)
        .await
        .unwrap();
    let router = replica(&etcd);
    let server = spawn(router.clone()).await;
    ready(&server).await;
    etcd.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Down: the last table serves, and the replica stays ready.
    assert_eq!(
        get(&server.url("/et/users/me")).await.1,
        "user me via /et/users/<id>"
    );
    assert_eq!(get(&server.url("/readyz")).await, (200, "ok".into()));
    etcd.restart().await;
    let mut client = etcd.client().await;
    // History compacted while the replica was away: it lists again, it does not replay.
    client
        .put(
            key("GET /et/checkout"),
            r#"{ "split": { "GET /et/checkout/v2": 100 } }"#,
            None,
        )
        .await
        .unwrap();
    let revision = client
        .delete(key("GET /et/users/me"), None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    client.compact(revision, None).await.unwrap();
    // Reconnected within the backoff (at most 5 s), listed again.
    wait_for(&server.url("/et/users/me"), "me", Duration::from_secs(8)).await;
    assert_eq!(get(&server.url("/et/checkout")).await.1, "v2");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_started_while_etcd_is_down_becomes_ready_once_it_is_up() {
    let mut etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    client
        .put(key("GET /et/users/me"), r#"{ "enabled": false }"#, None)
        .await
        .unwrap();
    drop(client);
    etcd.kill();
    let router = replica(&etcd);
    let server = spawn(router.clone()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        get(&server.url("/readyz?verbose")).await,
        (
            503,
            "[+]shutdown ok\n[-]overlay failed\nreadyz check failed\n".into()
        )
    );
    etcd.restart().await;
    let took = wait_for(&server.url("/readyz"), "ok", Duration::from_secs(8)).await;
    // Ready means synced: the overlay is already in force.
    assert_eq!(
        get(&server.url("/et/users/me")).await.1,
        "user me via /et/users/<id>"
    );
    eprintln!("ready {took:?} after etcd came back");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_converge_on_every_change_within_a_second() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    let a = spawn(replica(&etcd)).await;
    let b = spawn(replica(&etcd)).await;
    ready(&a).await;
    ready(&b).await;
    let mut times = Vec::new();
    for change in 0..50 {
        let (value, expected) = if change % 2 == 0 {
            (r#"{ "split": { "GET /et/checkout/v2": 100 } }"#, "v2")
        } else {
            (r#"{ "split": { "GET /et/checkout/v2": 0 } }"#, "v1")
        };
        let start = Instant::now();
        client
            .put(key("GET /et/checkout"), value, None)
            .await
            .unwrap();
        wait_for(&a.url("/et/checkout"), expected, Duration::from_secs(1)).await;
        wait_for(&b.url("/et/checkout"), expected, Duration::from_secs(1)).await;
        times.push(start.elapsed());
    }
    times.sort();
    eprintln!(
        "convergence of two replicas over 50 changes: median {:?}, worst {:?}",
        times[25], times[49]
    );
    assert!(times[49] < Duration::from_secs(1));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_keys_and_values_are_rejected_and_a_flood_is_coalesced() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    let router = replica(&etcd);
    let server = spawn(router.clone()).await;
    ready(&server).await;
    let before = router.overlay_revision();
    // A key outside the layout.
    client
        .put(key("not-an-identity"), "{}", None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(router.overlay_revision(), before);
    let view = last_rejection(&router);
    assert!(
        view.contains("`not-an-identity` is not a route identity: write `METHOD /template`, as `GET /users/<id>`"),
        "{view}"
    );
    client.delete(key("not-an-identity"), None).await.unwrap();
    // A 1 MB value (etcd itself refuses 10 MB: its limit is 1.5 MiB).
    let big = format!(
        r#"{{ "enabled": false, "pad": "{}" }}"#,
        "x".repeat(1 << 20)
    );
    client
        .put(key("GET /et/users/me"), big.as_str(), None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let view = last_rejection(&router);
    assert!(
        view.contains("key `/routemark/shop/GET /et/users/me`: its value is 1048607 bytes; an entry is at most 65536 bytes"),
        "{view}"
    );
    assert_eq!(get(&server.url("/et/users/me")).await.1, "me");
    client.delete(key("GET /et/users/me"), None).await.unwrap();
    wait_for(&server.url("/et/checkout"), "v1", Duration::from_secs(1)).await;

    // 1,000 revisions as fast as etcd takes them: coalesced, and the last one wins.
    let applied_before = applied(&server).await;
    let start = Instant::now();
    let mut writers = Vec::new();
    for w in 0..10 {
        let mut client = etcd.client().await;
        writers.push(tokio::spawn(async move {
            for n in 0..100 {
                let weight = (w * 100 + n) % 100;
                client
                    .put(
                        key("GET /et/checkout"),
                        format!(r#"{{ "split": {{ "GET /et/checkout/v2": {weight} }} }}"#),
                        None,
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let flood = start.elapsed();
    client
        .put(
            key("GET /et/checkout"),
            r#"{ "split": { "GET /et/checkout/v2": 100 } }"#,
            None,
        )
        .await
        .unwrap();
    wait_for(&server.url("/et/checkout"), "v2", Duration::from_secs(2)).await;
    let rebuilds = applied(&server).await - applied_before;
    eprintln!("1,001 revisions in {flood:?}: {rebuilds} rebuilds");
    // One rebuild per 25 ms window at most, whatever the rate.
    let windows = (flood.as_millis() / 25 + 3) as f64;
    assert!(
        rebuilds <= windows,
        "{rebuilds} rebuilds for 1,001 revisions in {flood:?}"
    );
    server.shutdown().await;
}

async fn applied(server: &TestServer) -> f64 {
    let text = get(&server.url("/metrics")).await.1;
    metric(&text, "routemark_overlay_reloads_total{result=\"applied\"}")
}

/// The last rejection's reasons, as the admin view shows them.
fn last_rejection(router: &Router) -> String {
    router
        .overlay_rejection()
        .map(|(_, reasons)| reasons.join("\n"))
        .unwrap_or_default()
}
