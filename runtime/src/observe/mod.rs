//! What operators see of a running application: health probes (`probes.rs`), Prometheus
//! metrics (`metrics.rs`), a `tracing` span per request (`span.rs`), and the admin view of
//! the live route table (`admin.rs`).
//!
//! Probes and metrics are served by the router itself, as paths of the table (so a user
//! route on one of them is a build error, found by the conflict check), or on a separate
//! admin listener ([`App::admin_addr`](crate::App::admin_addr)).

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{self, HeaderValue};
use http::{Method as HttpMethod, StatusCode};
use prometheus_client::registry::Registry;

use crate::Body;
use crate::response::Response;
use crate::service::entry::Table;

pub(crate) mod admin;
pub(crate) mod metrics;
#[cfg(feature = "otel")]
pub(crate) mod otel;
pub(crate) mod probes;
pub(crate) mod span;

pub(crate) use metrics::{CloseReason, Metrics, RouteMetrics};
pub(crate) use probes::{Check, Health, Probe};

/// An endpoint the framework serves itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// `/livez`, or `/livez/<check>` with the check's name.
    Live { one: bool },
    /// `/readyz` and `/healthz`, or `/readyz/<check>`.
    Ready { one: bool },
    /// `/metrics`.
    Metrics,
    /// `/routes` (admin listener only): the live table as JSON.
    Routes,
}

impl Builtin {
    /// The templates of the probes, as they enter the table.
    pub(crate) const PROBES: [(&'static str, Builtin); 5] = [
        ("/livez", Builtin::Live { one: false }),
        ("/livez/<check>", Builtin::Live { one: true }),
        ("/readyz", Builtin::Ready { one: false }),
        ("/readyz/<check>", Builtin::Ready { one: true }),
        ("/healthz", Builtin::Ready { one: false }),
    ];
    pub(crate) const METRICS: (&'static str, Builtin) = ("/metrics", Builtin::Metrics);
}

/// Where the probes and metrics are served.
#[derive(Clone, Debug, Default)]
pub(crate) struct ObserveConfig {
    pub(crate) probes: bool,
    pub(crate) metrics: bool,
    /// The admin listener, when probes and metrics moved there.
    pub(crate) admin_addr: Option<SocketAddr>,
}

/// The observability state of one application, shared by its router (and the one behind
/// its layers), the server that serves it and the admin listener.
pub(crate) struct Observe {
    pub(crate) config: ObserveConfig,
    pub(crate) health: Health,
    /// `None` when metrics are switched off: requests then skip the clock too.
    pub(crate) metrics: Option<Arc<Metrics>>,
    registry: Option<Registry>,
}

impl std::fmt::Debug for Observe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observe")
            .field("config", &self.config)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl Observe {
    pub(crate) fn new(config: ObserveConfig, health: Health) -> Observe {
        let metrics = config.metrics.then(|| Arc::new(Metrics::default()));
        let registry = metrics.as_ref().map(Metrics::registry);
        Observe {
            config,
            health,
            metrics,
            registry,
        }
    }

    /// Nothing: the state of a service served without an `App` (no probes, no metrics).
    pub(crate) fn disabled() -> Observe {
        Observe::new(
            ObserveConfig::default(),
            Health::new(Vec::new(), Vec::new(), std::time::Duration::from_secs(1)),
        )
    }

    /// The endpoints the main listener's table serves.
    pub(crate) fn builtins_on_main(&self) -> Vec<(&'static str, Builtin)> {
        let mut builtins = Vec::new();
        if self.config.admin_addr.is_none() {
            if self.config.probes {
                builtins.extend(Builtin::PROBES);
            }
            if self.config.metrics {
                builtins.push(Builtin::METRICS);
            }
        }
        builtins
    }

    /// Answers a request for `builtin`; `check` is the `<check>` parameter.
    pub(crate) async fn answer(
        &self,
        builtin: Builtin,
        method: &HttpMethod,
        query: Option<&str>,
        accept: Option<&HeaderValue>,
        check: Option<&str>,
        table: Option<(&Table, &crate::overlay::Overlay)>,
    ) -> Response {
        if method != HttpMethod::GET && method != HttpMethod::HEAD {
            return crate::dispatch::answers::method_not_allowed(
                method,
                routemark_path::MethodSet::single(routemark_path::Method::Get)
                    .with(routemark_path::Method::Head),
            );
        }
        let mut response = match builtin {
            Builtin::Live { one } | Builtin::Ready { one } => {
                let probe = match builtin {
                    Builtin::Live { .. } => Probe::Live,
                    _ => Probe::Ready,
                };
                let only = if one { check } else { None };
                if let Some(name) = only
                    && !self.health.has_check(probe, name)
                {
                    return text(
                        StatusCode::NOT_FOUND,
                        format!("no check named `{name}`\n"),
                        "text/plain; charset=utf-8",
                    );
                }
                let verbose = query.is_some_and(|q| {
                    q.split('&')
                        .any(|pair| pair == "verbose" || pair.starts_with("verbose="))
                });
                let answer = self.health.run(probe, only, verbose).await;
                let status = if answer.healthy {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                text(status, answer.body, "text/plain; charset=utf-8")
            }
            Builtin::Metrics => match &self.registry {
                Some(registry) => {
                    if wants_openmetrics(accept) {
                        text(
                            StatusCode::OK,
                            metrics::openmetrics(registry),
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )
                    } else {
                        text(
                            StatusCode::OK,
                            metrics::prometheus_text(registry),
                            "text/plain; version=0.0.4; charset=utf-8",
                        )
                    }
                }
                None => text(
                    StatusCode::NOT_FOUND,
                    "metrics are switched off\n".to_owned(),
                    "text/plain; charset=utf-8",
                ),
            },
            Builtin::Routes => {
                let json = table.map_or_else(
                    || "{}".to_owned(),
                    |(table, overlay)| admin::routes_json(table, overlay),
                );
                text(StatusCode::OK, json, "application/json")
            }
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if method == HttpMethod::HEAD {
            *response.body_mut() = Body::empty();
        }
        response
    }
}

/// Whether the scraper asked for OpenMetrics (Prometheus does, ahead of the text format).
fn wants_openmetrics(accept: Option<&HeaderValue>) -> bool {
    accept
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"))
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
