//! Health probes in the Kubernetes API server's format: `/livez`, `/readyz` (and `/healthz`,
//! the same as `/readyz`), `?verbose`, `/readyz/<check>`.

use std::fmt::Write;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A named check: an async function, run with a timeout at each probe.
#[derive(Clone)]
pub(crate) struct Check {
    pub(crate) name: Arc<str>,
    run: Arc<dyn Fn() -> CheckFuture + Send + Sync>,
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

impl Check {
    pub(crate) fn new<F, Fut, E>(name: &str, f: F) -> Check
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        Check {
            name: name.into(),
            run: Arc::new(move || {
                let fut = f();
                Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
            }),
        }
    }
}

/// Which probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    Live,
    Ready,
}

impl Probe {
    fn name(self) -> &'static str {
        match self {
            Probe::Live => "livez",
            Probe::Ready => "readyz",
        }
    }
}

/// The checks and the shutdown flag, shared by the router, the admin listener and the
/// server that flips the flag.
pub(crate) struct Health {
    pub(crate) readiness: Vec<Check>,
    pub(crate) liveness: Vec<Check>,
    pub(crate) timeout: Duration,
    draining: AtomicBool,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("readiness", &self.readiness.len())
            .field("liveness", &self.liveness.len())
            .field("draining", &self.is_draining())
            .finish()
    }
}

/// The answer to a probe: its status and body.
pub(crate) struct ProbeAnswer {
    pub(crate) healthy: bool,
    pub(crate) body: String,
}

impl Health {
    pub(crate) fn new(readiness: Vec<Check>, liveness: Vec<Check>, timeout: Duration) -> Health {
        Health {
            readiness,
            liveness,
            timeout,
            draining: AtomicBool::new(false),
        }
    }

    /// From now on, readiness fails (`shutdown`): the server is going away.
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    fn checks(&self, probe: Probe) -> &[Check] {
        match probe {
            Probe::Live => &self.liveness,
            Probe::Ready => &self.readiness,
        }
    }

    /// Whether `probe` has a check named `name` (`shutdown` is readiness's own).
    pub(crate) fn has_check(&self, probe: Probe, name: &str) -> bool {
        (probe == Probe::Ready && name == "shutdown")
            || self.checks(probe).iter().any(|c| &*c.name == name)
    }

    /// Runs `probe`'s checks (only `only`, when given) concurrently, each within the
    /// timeout; failures are logged with their reason, which the client never sees.
    pub(crate) async fn run(&self, probe: Probe, only: Option<&str>, verbose: bool) -> ProbeAnswer {
        let selected = self
            .checks(probe)
            .iter()
            .filter(|c| only.is_none_or(|name| *c.name == *name));
        let runs = selected.map(|check| async move {
            // A check that panics (when called or polled) is a failed check.
            let run = std::panic::catch_unwind(AssertUnwindSafe(|| (check.run)()));
            let outcome = match run {
                Err(_) => Err("the check panicked".to_owned()),
                Ok(future) => {
                    let guarded = AssertUnwindSafe(future).catch_unwind();
                    match tokio::time::timeout(self.timeout, guarded).await {
                        Ok(Ok(outcome)) => outcome,
                        Ok(Err(_)) => Err("the check panicked".to_owned()),
                        Err(_) => Err(format!("no answer within {:?}", self.timeout)),
                    }
                }
            };
            if let Err(reason) = &outcome {
                tracing::warn!(probe = probe.name(), check = %check.name, %reason, "health check failed");
            }
            (check.name.clone(), outcome.is_ok())
        });
        let mut results: Vec<(Arc<str>, bool)> = futures_util::future::join_all(runs).await;
        if probe == Probe::Ready && only.is_none_or(|name| name == "shutdown") {
            results.insert(0, ("shutdown".into(), !self.is_draining()));
        }
        let healthy = results.iter().all(|(_, ok)| *ok);
        let body = if verbose || (only.is_some() && !healthy) {
            let mut body = String::new();
            for (name, ok) in &results {
                let _ = if *ok {
                    writeln!(body, "[+]{name} ok")
                } else {
                    writeln!(body, "[-]{name} failed")
                };
            }
            if only.is_none() {
                let verdict = if healthy { "passed" } else { "failed" };
                let _ = writeln!(body, "{} check {verdict}", probe.name());
            }
            body
        } else if healthy {
            "ok".to_owned()
        } else {
            format!("{} check failed\n", probe.name())
        };
        ProbeAnswer { healthy, body }
    }
}
