//! The etcd source (cargo feature `etcd`): one key per route identity under a prefix
//! (`/routemark/shop/GET /users/<id>`), whose value is that route's JSON entry.
//!
//! The watcher lists the prefix, applies it whole, and watches from the next revision; the
//! keys changed in one revision (a transaction) arrive in one watch response and are applied
//! together, and responses already waiting are taken with it (a flood of revisions is
//! coalesced: the last state wins). After a compaction that overtook the watch, or a lost
//! connection, it lists again; while etcd is down it retries with exponential backoff, up
//! to 5 s, and the table in force keeps serving. Until the first list is applied the
//! readiness check `overlay` fails, so a new replica does not serve a stale table.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions, EventType, GetOptions, WatchOptions};

use super::OverlayProblem;
use super::model::OverlayDoc;
use crate::service::Router;

/// The largest value an entry may have: an entry is a few keys.
const MAX_VALUE: usize = 64 << 10;
/// How long changes are gathered before the table is rebuilt.
const COALESCE: Duration = Duration::from_millis(25);
/// The longest wait between two attempts while etcd is down.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where the overlay lives in etcd.
#[derive(Clone, Debug)]
pub(crate) struct EtcdSource {
    pub(crate) endpoints: Vec<String>,
    pub(crate) prefix: String,
    /// Set once the first list is applied (or rejected: the keys were read).
    pub(crate) synced: Arc<AtomicBool>,
}

/// Watches the source until the task is dropped.
pub(crate) async fn watch(router: Router, source: EtcdSource) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let outcome = session(&router, &source, &mut backoff).await;
        if let Err(e) = outcome {
            tracing::warn!(
                endpoints = %source.endpoints.join(","),
                error = %e,
                retry_in = ?backoff,
                "etcd unavailable; the table in force keeps serving"
            );
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: list and watch, again after each compaction, until an error.
async fn session(
    router: &Router,
    source: &EtcdSource,
    backoff: &mut Duration,
) -> Result<(), etcd_client::Error> {
    let options = ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(2))
        .with_keep_alive(Duration::from_secs(5), Duration::from_secs(5));
    let mut client = Client::connect(&source.endpoints, Some(options)).await?;
    loop {
        let listed = client
            .get(
                source.prefix.as_str(),
                Some(GetOptions::new().with_prefix()),
            )
            .await?;
        let mut revision = listed.header().map_or(0, |h| h.revision());
        let mut keys: BTreeMap<String, Vec<u8>> = listed
            .kvs()
            .iter()
            .map(|kv| {
                (
                    String::from_utf8_lossy(kv.key()).into_owned(),
                    kv.value().to_vec(),
                )
            })
            .collect();
        apply(router, source, &keys, revision);
        source.synced.store(true, Ordering::Release);
        *backoff = Duration::from_millis(100);
        let mut stream = client
            .watch(
                source.prefix.as_str(),
                Some(
                    WatchOptions::new()
                        .with_prefix()
                        .with_start_revision(revision + 1),
                ),
            )
            .await?;
        loop {
            let response = stream.message().await?.ok_or_else(watch_ended)?;
            if compacted(&response)? {
                break;
            }
            let mut changed = record(&mut keys, &response, &mut revision);
            // Take what arrives within a short window: a flood of revisions is applied a
            // few times, not once per revision (a rebuild of 10,000 routes takes tens of
            // milliseconds); a lone change waits only the window.
            let window = tokio::time::Instant::now() + COALESCE;
            let mut relist = false;
            while let Ok(more) = tokio::time::timeout_at(window, stream.message()).await {
                let more = more?.ok_or_else(watch_ended)?;
                // A compaction can overtake the watch inside the window too: the stream is
                // then dead, and only a new list sees what it missed.
                if compacted(&more)? {
                    relist = true;
                    break;
                }
                changed |= record(&mut keys, &more, &mut revision);
            }
            if relist {
                break;
            }
            if changed {
                apply(router, source, &keys, revision);
            }
        }
    }
}

fn watch_ended() -> etcd_client::Error {
    etcd_client::Error::WatchError("the watch ended".into())
}

/// Whether etcd cancelled the watch because the revision it started from was compacted
/// (list again); any other cancellation is an error (connect again).
fn compacted(response: &etcd_client::WatchResponse) -> Result<bool, etcd_client::Error> {
    if !response.canceled() {
        return Ok(false);
    }
    if response.compact_revision() > 0 {
        tracing::info!(
            compacted = response.compact_revision(),
            "etcd compacted past the watch; listing again"
        );
        return Ok(true);
    }
    Err(etcd_client::Error::WatchError(
        response.cancel_reason().into(),
    ))
}

/// Applies a watch response's events to `keys`; whether any changed.
fn record(
    keys: &mut BTreeMap<String, Vec<u8>>,
    response: &etcd_client::WatchResponse,
    revision: &mut i64,
) -> bool {
    for event in response.events() {
        let Some(kv) = event.kv() else { continue };
        let key = String::from_utf8_lossy(kv.key()).into_owned();
        match event.event_type() {
            EventType::Put => {
                keys.insert(key, kv.value().to_vec());
            }
            EventType::Delete => {
                keys.remove(&key);
            }
        }
        *revision = (*revision).max(kv.mod_revision());
    }
    if let Some(header) = response.header() {
        *revision = (*revision).max(header.revision());
    }
    !response.events().is_empty()
}

/// The overlay the keys under the prefix make, applied whole (or rejected whole).
fn apply(router: &Router, source: &EtcdSource, keys: &BTreeMap<String, Vec<u8>>, revision: i64) {
    let doc = document(&source.prefix, keys);
    // Rejections are logged and counted by the router.
    let _ = router.apply_overlay_doc(doc, &format!("etcd:{revision}"));
}

/// The overlay document of the keys: identity = key without the prefix; value = entry.
pub(crate) fn document(
    prefix: &str,
    keys: &BTreeMap<String, Vec<u8>>,
) -> Result<OverlayDoc, Vec<OverlayProblem>> {
    let mut doc = OverlayDoc::default();
    let mut problems = Vec::new();
    for (key, value) in keys {
        let identity = key.strip_prefix(prefix).unwrap_or(key);
        if value.len() > MAX_VALUE {
            problems.push(OverlayProblem::Invalid(format!(
                "key `{key}`: its value is {} bytes; an entry is at most {MAX_VALUE} bytes",
                value.len()
            )));
            continue;
        }
        match serde_json::from_slice(value) {
            Ok(entry) => {
                doc.routes.insert(identity.to_owned(), entry);
            }
            Err(e) => problems.push(OverlayProblem::Invalid(format!(
                "key `{key}`: malformed entry at line {}, column {}: {}",
                e.line(),
                e.column(),
                {
                    let text = e.to_string();
                    let position = format!(" at line {} column {}", e.line(), e.column());
                    text.strip_suffix(&position).unwrap_or(&text).to_owned()
                }
            ))),
        }
    }
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}
