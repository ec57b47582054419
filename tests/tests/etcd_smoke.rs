//! First check of the etcd source: the `etcd-client` crate against Debian's etcd 3.4 —
//! KV, prefix reads, a watch from a revision, and the compaction error a watcher must
//! recover from.

mod support;

use etcd_client::{Compare, GetOptions, Txn, TxnOp, WatchOptions};
use support::etcd::Etcd;

#[tokio::test]
async fn etcd_client_works_against_the_etcd_of_this_machine() {
    let etcd = Etcd::start().await;
    let mut client = etcd.client().await;
    client.put("/p/a", "1", None).await.unwrap();
    client.put("/p/b", "2", None).await.unwrap();
    client.put("/q/c", "3", None).await.unwrap();
    let listed = client
        .get("/p/", Some(GetOptions::new().with_prefix()))
        .await
        .unwrap();
    let keys: Vec<(&str, &str)> = listed
        .kvs()
        .iter()
        .map(|kv| (kv.key_str().unwrap(), kv.value_str().unwrap()))
        .collect();
    assert_eq!(keys, [("/p/a", "1"), ("/p/b", "2")]);
    let revision = listed.header().unwrap().revision();

    // A transaction of two keys arrives as one watch response, at one revision.
    let mut stream = client
        .watch(
            "/p/",
            Some(
                WatchOptions::new()
                    .with_prefix()
                    .with_start_revision(revision + 1),
            ),
        )
        .await
        .unwrap();
    client
        .txn(
            Txn::new()
                .when([Compare::version("/p/a", etcd_client::CompareOp::Greater, 0)])
                .and_then([
                    TxnOp::put("/p/a", "10", None),
                    TxnOp::put("/p/b", "20", None),
                ]),
        )
        .await
        .unwrap();
    let response = next(&mut stream).await;
    let events: Vec<(&str, &str, i64)> = response
        .events()
        .iter()
        .map(|e| {
            let kv = e.kv().unwrap();
            (
                kv.key_str().unwrap(),
                kv.value_str().unwrap(),
                kv.mod_revision(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [("/p/a", "10", revision + 1), ("/p/b", "20", revision + 1)]
    );

    // Watching from a compacted revision is refused with the compaction revision.
    let now = client
        .get("/p/a", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    client.compact(now, None).await.unwrap();
    let mut stale = client
        .watch(
            "/p/",
            Some(
                WatchOptions::new()
                    .with_prefix()
                    .with_start_revision(revision),
            ),
        )
        .await
        .unwrap();
    let refused = next(&mut stale).await;
    assert!(refused.canceled(), "{refused:?}");
    assert_eq!(refused.compact_revision(), now);
}

/// The next watch response that is not the bare "created" one.
async fn next(stream: &mut etcd_client::WatchStream) -> etcd_client::WatchResponse {
    loop {
        let response = stream.message().await.unwrap().unwrap();
        if !(response.created() && response.events().is_empty() && !response.canceled()) {
            return response;
        }
    }
}
