//! The file source: an overlay file, watched by polling its content.
//!
//! Polling (every 250 ms) rather than the `notify` crate: it sees a file replaced by rename
//! (the usual atomic write, and how Kubernetes updates a mounted ConfigMap) the same way as
//! an edit in place, works on every filesystem (network and overlay mounts, where inotify
//! misses changes), needs no dependency, and costs one small read per period. A content
//! hash tells a change; a change is applied only once the content has stayed the same for
//! one period, so a file caught half-written is not even tried, and one that stays
//! truncated is rejected (it does not parse) while the last good table keeps serving.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::service::Router;

/// How often the file is read.
pub(crate) const PERIOD: Duration = Duration::from_millis(250);

/// The revision name of a content: its hash.
pub(crate) fn revision(content: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut hasher);
    format!("file:{:016x}", hasher.finish())
}

/// Reads the overlay file; a missing file is an empty overlay (the compiled table).
pub(crate) fn read(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(content) => Ok(content),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// The overlay text of a file's content: an empty file is an empty overlay.
pub(crate) fn overlay_text(content: &str) -> &str {
    if content.trim().is_empty() {
        "{}"
    } else {
        content
    }
}

/// Watches `path` until the task is dropped, applying each settled change to `router`.
/// `seen` is the content applied (or rejected) last.
pub(crate) async fn watch(router: Router, path: PathBuf, mut seen: String) {
    let mut pending: Option<String> = None;
    let mut interval = tokio::time::interval(PERIOD);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut read_error_logged = false;
    loop {
        interval.tick().await;
        let content = match read(&path) {
            Ok(content) => {
                read_error_logged = false;
                content
            }
            Err(e) => {
                if !read_error_logged {
                    tracing::warn!(path = %path.display(), error = %e, "overlay file unreadable; the table in force keeps serving");
                    read_error_logged = true;
                }
                continue;
            }
        };
        if content == seen {
            pending = None;
            continue;
        }
        // Settled: the same content as one period ago.
        if pending.as_deref() != Some(content.as_str()) {
            pending = Some(content);
            continue;
        }
        pending = None;
        let revision = revision(&content);
        // Rejections are logged and counted by `apply_overlay`.
        let _ = router.apply_overlay(overlay_text(&content), &revision);
        seen = content;
    }
}
