//! Traffic splits: a route's requests spread over itself and other routes' handlers by
//! weight, evenly (smooth weighted round-robin: 5 % is exactly 5 of every 100), or pinned by
//! a header's value through a stable hash.

use std::sync::{Arc, Mutex, PoisonError};

use crate::observe::RouteMetrics;

use crate::route::Route;

/// One split route's chooser. Its counters live as long as the split's weights do: a table
/// rebuilt with the same split keeps them (a rejected change rebuilds nothing).
pub(crate) struct Splitter {
    /// The route itself first, then the targets; with their weights (percent).
    choices: Vec<(&'static Route, i64)>,
    /// Each choice's metrics handle: a canary's answers are counted under its own route.
    handles: Vec<Option<Arc<RouteMetrics>>>,
    sticky: Option<http::HeaderName>,
    /// The smooth round-robin's current weights; a lock held for a few instructions, never
    /// across an `await`.
    current: Mutex<Vec<i64>>,
}

impl std::fmt::Debug for Splitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Splitter")
            .field("choices", &self.choices)
            .field("sticky", &self.sticky)
            .finish_non_exhaustive()
    }
}

impl Splitter {
    pub(crate) fn new(
        route: &'static Route,
        targets: &[(&'static Route, u32)],
        sticky: Option<http::HeaderName>,
        handle: impl Fn(&'static Route) -> Option<Arc<RouteMetrics>>,
    ) -> Splitter {
        let shared: i64 = targets.iter().map(|(_, w)| i64::from(*w)).sum();
        let mut choices = vec![(route, 100 - shared)];
        choices.extend(targets.iter().map(|(r, w)| (*r, i64::from(*w))));
        let current = Mutex::new(vec![0; choices.len()]);
        let handles = choices.iter().map(|(r, _)| handle(r)).collect();
        Splitter {
            choices,
            handles,
            sticky,
            current,
        }
    }

    /// Whether `other` has the same choices and stickiness (its counters can be kept).
    pub(crate) fn same_as(&self, other: &Splitter) -> bool {
        self.sticky == other.sticky
            && self.choices.len() == other.choices.len()
            && self
                .choices
                .iter()
                .zip(&other.choices)
                .all(|(a, b)| std::ptr::eq(a.0, b.0) && a.1 == b.1)
    }

    /// The route whose handler serves this request, with its metrics handle.
    pub(crate) fn pick(
        &self,
        headers: &http::HeaderMap,
    ) -> (&'static Route, Option<&Arc<RouteMetrics>>) {
        let index = self.pick_index(headers);
        (self.choices[index].0, self.handles[index].as_ref())
    }

    fn pick_index(&self, headers: &http::HeaderMap) -> usize {
        if let Some(value) = self.sticky.as_ref().and_then(|name| headers.get(name)) {
            // A stable hash of the value, into 0..100, on the cumulative weights.
            let bucket = i64::try_from(fnv1a(value.as_bytes()) % 100).unwrap_or(0);
            let mut edge = 0;
            for (index, (_, weight)) in self.choices.iter().enumerate() {
                edge += weight;
                if bucket < edge {
                    return index;
                }
            }
            return 0;
        }
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let mut best = 0;
        for (i, (_, weight)) in self.choices.iter().enumerate() {
            current[i] += weight;
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= 100;
        best
    }
}

/// FNV-1a, 64 bits: stable across processes and versions, so replicas agree on a client.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
