//! Dynamic routing: an **overlay** on the compiled table — routes switched off, aliases,
//! traffic splits, resilience overrides — validated as a whole and swapped in atomically.
//!
//! - `model.rs`: the JSON document, route identities, and [`model::plan`], which checks an
//!   overlay against the routes and returns every problem or the plan the table is built
//!   from;
//! - `split.rs`: the weighted choice of a split route's handler;
//! - `file.rs`: the file source (`App::overlay_file`, `ROUTEMARK_OVERLAY_FILE`).
//!
//! A rejected change leaves the table in force serving; it is logged with every reason,
//! counted (`routemark_overlay_reloads_total{result="rejected"}`) and shown in the admin
//! view with the revision in force.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use routemark_path::Method;

#[cfg(feature = "etcd")]
pub(crate) mod etcd;
pub(crate) mod file;
pub(crate) mod model;
pub(crate) mod split;

use model::Plan;
pub use model::{BreakerOverride, OverlayProblem, ResilienceOverride};
use split::Splitter;

/// The overlay in force and what the last change did, shared by the router, the sources
/// and the admin view.
#[derive(Debug, Default)]
pub(crate) struct OverlayState {
    /// The plan the live table was built with.
    pub(crate) plan: Arc<Plan>,
    /// The revision in force (a file's content hash, an etcd revision).
    pub(crate) revision: Option<String>,
    /// The last change rejected, with its revision and every reason.
    pub(crate) rejected: Option<(String, Vec<String>)>,
    /// The split choosers of the live table, kept across rebuilds with the same weights.
    pub(crate) splitters: HashMap<(usize, Method), Arc<Splitter>>,
    pub(crate) applied_count: u64,
    pub(crate) rejected_count: u64,
}

/// The overlay part of the shared router state.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    pub(crate) state: Mutex<OverlayState>,
    /// Serializes rebuilds: two sources never build from the same old state at once.
    pub(crate) rebuild: Mutex<()>,
    /// The overlay file to watch, with the content read when the app was built.
    pub(crate) file: Mutex<Option<(std::path::PathBuf, String)>>,
    /// The etcd prefix to watch.
    #[cfg(feature = "etcd")]
    pub(crate) etcd: Mutex<Option<etcd::EtcdSource>>,
}

impl Overlay {
    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, OverlayState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The admin view's part: the revision in force and the last rejection.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let state = self.state();
        serde_json::json!({
            "revision": state.revision,
            "applied": state.applied_count,
            "rejected": state.rejected_count,
            "last_rejection": state.rejected.as_ref().map(|(revision, problems)| serde_json::json!({
                "revision": revision,
                "problems": problems,
            })),
        })
    }
}
