//! The service layer: the built application ([`Router`]) with its live table of route
//! entries, the layers around it, and the services it mounts.
//!
//! ```text
//! accept -> framing/Host checks -> App::layer stack -> lookup in the live table -> MatchedRoute
//!        -> route entry: App::route_layer stack -> handler
//! ```
//!
//! - `entry.rs`: route entries and the table they make ([`Recipe::build`] runs the same
//!   checks as `App::build`, for a table rebuilt at run time);
//! - `layer.rs`: [`RouteService`], the type-erased service a layer wraps, and
//!   [`RouteFilter`];
//! - `future.rs`: [`RouteFuture`], what a call of either returns;
//! - `matched.rs`: [`MatchedRoute`] and [`OriginalUri`];
//! - `../dispatch/`: what happens to one request (checks, lookup, the handler, the canned
//!   answers).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};

use arc_swap::ArcSwap;
use bytes::Bytes;

pub(crate) mod entry;
mod future;
pub(crate) mod layer;
mod matched;
#[cfg(test)]
mod tests;

pub use future::RouteFuture;
pub use layer::{HttpService, RouteFilter, RouteService};
pub use matched::{MatchedRoute, OriginalUri};

use crate::dispatch::RouterConfig;
use crate::error::BuildError;
use crate::overlay::OverlayProblem;
use crate::resilience::BreakerState;
use crate::response::Response;
use crate::route::Route;
use crate::{Body, BoxError};
use entry::{Recipe, Table};
use layer::LayerFn;

/// The built application: the live route table with its state, layers and settings, cheap
/// to clone (one `Arc`).
///
/// It is a [`tower::Service`](tower_service::Service) over `http::Request<B>` for any body
/// `B`, so tower layers wrap it and any hyper setup serves it (a routemark app nests in an
/// axum one with `nest_service`); [`Server`](crate::Server) serves it with production
/// defaults.
///
/// # Dispatch
///
/// 1. A request target longer than the limit is `414`; an HTTP/1.1 request without exactly
///    one `Host` header is `400`.
/// 2. The layers of [`App::layer`](crate::App::layer) run, outermost last added.
/// 3. Under [`App::tenancy`](crate::App::tenancy), the request's tenant is resolved
///    (`400` for an ambiguous tenant header, `404` for a tenant no route declares; a
///    path prefix is stripped). The raw path is looked up in the live table (see
///    [`router`](crate::router) for matching and priority): a tenant's routes first, then
///    the shared ones.
/// 4. Found: the route's layers ([`App::route_layer`](crate::App::route_layer)) and its
///    handler run, with its parameters percent-decoded once. A `HEAD` request answered by
///    a `GET` route gets the headers of the `GET` response and no body. A panic in the
///    handler or a layer is caught: `500`, logged with the route, method and request id,
///    and the connection is closed (`connection: close`). A handler that runs longer than
///    the handler timeout is answered `503`. A path under a nested service goes to it, with
///    the prefix stripped.
/// 5. The path matches but not with this method: `OPTIONS` is answered `204` with `Allow`;
///    any other method `405` with `Allow`. `OPTIONS *` is `204` with every method the table
///    serves.
/// 6. Nothing matches: a redirect under [`TrailingSlash::Redirect`](crate::TrailingSlash),
///    else the fallback service, else `404`.
///
/// # The live table
///
/// The table sits behind an atomic pointer: a lookup never locks, and
/// [`replace_routes`](Self::replace_routes) builds a new table, checks it like
/// [`App::build`](crate::App::build) and swaps it in. A request finishes on the table it was
/// routed with.
#[derive(Clone)]
pub struct Router {
    pub(crate) inner: Arc<RouterInner>,
}

pub(crate) struct RouterInner {
    pub(crate) shared: Arc<Shared>,
    /// The `App::layer` stack, around a router of the same table without layers (or a
    /// service served in place of a router, see [`Router::serving`]), with what a panic in
    /// it is logged as; `None` keeps the fast path.
    pub(crate) global: Option<(RouteService, &'static str)>,
    /// Whether this is the router inside the `App::layer` stack, whose requests were
    /// checked before the layers.
    pub(crate) behind_layers: bool,
}

/// The table and everything built with it, shared by the router and the one inside its
/// `App::layer` stack.
pub(crate) struct Shared {
    pub(crate) live: ArcSwap<Table>,
    pub(crate) recipe: Recipe,
    /// Whether the application has any layer: only then is [`MatchedRoute`] put into the
    /// response extensions (an allocation per request).
    pub(crate) layered: bool,
    /// The overlay in force, and what the last change did.
    pub(crate) overlay: crate::overlay::Overlay,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.inner.shared.live.load().descriptors.len())
            .field("config", &self.inner.shared.recipe.config)
            .field("layers", &self.inner.shared.layered)
            .finish_non_exhaustive()
    }
}

impl Router {
    pub(crate) fn new(table: Table, recipe: Recipe, global_layers: &[LayerFn]) -> Router {
        let shared = Arc::new(Shared {
            live: ArcSwap::from_pointee(table),
            layered: !global_layers.is_empty() || !recipe.route_layers.is_empty(),
            recipe,
            overlay: crate::overlay::Overlay::default(),
        });
        let global = (!global_layers.is_empty()).then(|| {
            let routing = Router {
                inner: Arc::new(RouterInner {
                    shared: shared.clone(),
                    global: None,
                    behind_layers: true,
                }),
            };
            // Not boxed: cloned per request (an `Arc`), and its answer not boxed either.
            let innermost = RouteService::routing(routing);
            let layers = global_layers
                .iter()
                .fold(innermost, |inner, layer| layer(inner));
            (layers, "a layer of App::layer")
        });
        Router {
            inner: Arc::new(RouterInner {
                shared,
                global,
                behind_layers: false,
            }),
        }
    }

    /// `service` as a router: itself when it is one; otherwise an empty router with the
    /// service where the `App::layer` stack goes, so that it gets the router's protocol
    /// checks (default limits) and panic guard, and the server serves one type.
    pub(crate) fn serving<S: HttpService>(service: S) -> Router {
        let mut slot = Some(service);
        let any: &mut dyn std::any::Any = &mut slot;
        if let Some(router) = any.downcast_mut::<Option<Router>>().and_then(Option::take) {
            return router;
        }
        let recipe = Recipe {
            state: Arc::default(),
            config: RouterConfig::default(),
            route_layers: Vec::new(),
            nested: Vec::new(),
            fallback: None,
            resilience: Default::default(),
            observe: Arc::new(crate::observe::Observe::disabled()),
            tenants: crate::tenant::TenantConfig::default(),
        };
        let Ok(table) = recipe.build(&[]) else {
            unreachable!("an empty table has no problems");
        };
        Router {
            inner: Arc::new(RouterInner {
                shared: Arc::new(Shared {
                    live: ArcSwap::from_pointee(table),
                    recipe,
                    layered: true,
                    overlay: crate::overlay::Overlay::default(),
                }),
                global: slot.map(|service| (RouteService::new(service), "the served service")),
                behind_layers: false,
            }),
        }
    }

    /// The routes of the live table, in the order of [`App::routes`](crate::App::routes).
    pub fn routes(&self) -> impl Iterator<Item = &'static Route> + use<> {
        self.inner
            .shared
            .live
            .load()
            .descriptors
            .clone()
            .into_iter()
    }

    /// The route table as [`App::serve`](crate::App::serve) prints it at start-up: grouped
    /// by crate, one line per route with its methods, path, handler and `file:line`. Tenant
    /// routes come after the shared ones, grouped by tenant then crate; a warning follows
    /// for each tenant route no request can reach.
    pub fn route_table(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let table = self.inner.shared.live.load();
        let mut routes: Vec<&Route> = table.descriptors.clone();
        // Stable: within a group, the order of `App::routes`.
        routes.sort_by_key(|r| r.tenant());
        let width = routes.iter().map(|r| r.path().len()).max().unwrap_or(0);
        let _ = writeln!(out, "routemark: {} routes", routes.len());
        let mut current = None;
        for route in routes {
            let group = (route.tenant(), route.crate_name());
            if current != Some(group) {
                current = Some(group);
                match group {
                    (None, krate) => _ = writeln!(out, "  crate {krate}"),
                    (Some(tenant), krate) => _ = writeln!(out, "  tenant {tenant}, crate {krate}"),
                }
            }
            let _ = writeln!(
                out,
                "    {:<14} {:<width$}  {:<24} {}",
                route.methods().to_string(),
                route.path(),
                route.name(),
                route.location(),
            );
        }
        for warning in &table.warnings {
            let _ = writeln!(out, "{warning}");
        }
        out
    }

    /// Replaces the routes of the live table: builds a table of `routes` with the
    /// application's layers, services and state, checks it as [`App::build`](crate::App::build)
    /// does, and swaps it in atomically. Requests already routed finish on the old table;
    /// the next lookup, on any connection, sees the new one.
    ///
    /// # Errors
    ///
    /// Every problem of the new table, as `App::build` reports them; the table in force is
    /// left serving.
    pub fn replace_routes(
        &self,
        routes: impl IntoIterator<Item = &'static Route>,
    ) -> Result<(), BuildError> {
        let shared = &self.inner.shared;
        let _rebuild = shared
            .overlay
            .rebuild
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The overlay in force applies to the new routes too (it must still fit them).
        let mut state = shared.overlay.state();
        let mut splitters = state.splitters.clone();
        let table = shared.recipe.build_overlaid(
            &crate::app::sorted(routes),
            &state.plan,
            &mut splitters,
            true,
        )?;
        state.splitters = splitters;
        shared.live.store(Arc::new(table));
        Ok(())
    }

    /// Applies an overlay (JSON, see the README's "Changing routes at run time") to the
    /// compiled routes: checks it as a whole, builds the table it describes with the same
    /// checks as [`App::build`](crate::App::build), and swaps it in. `revision` names the
    /// change in logs and in the admin view (a file's hash, an etcd revision). An empty
    /// overlay (`{}` or `{"routes": {}}`) returns to the compiled table.
    ///
    /// # Errors
    ///
    /// Every problem found; the table in force keeps serving. The rejection is logged with
    /// every reason, counted in `routemark_overlay_reloads_total{result="rejected"}` and
    /// shown in the admin view.
    pub fn apply_overlay(&self, json: &str, revision: &str) -> Result<(), Vec<OverlayProblem>> {
        self.apply_overlay_doc(crate::overlay::model::parse(json), revision)
    }

    /// [`apply_overlay`](Self::apply_overlay) of a document already read (or of the
    /// problems reading it found, which are rejected the same way).
    pub(crate) fn apply_overlay_doc(
        &self,
        doc: Result<crate::overlay::model::OverlayDoc, Vec<OverlayProblem>>,
        revision: &str,
    ) -> Result<(), Vec<OverlayProblem>> {
        let shared = &self.inner.shared;
        let _rebuild = shared
            .overlay
            .rebuild
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let routes = shared.live.load().descriptors.clone();
        let built = doc
            .and_then(|doc| crate::overlay::model::plan(&routes, &doc))
            .and_then(|plan| {
                let mut splitters = shared.overlay.state().splitters.clone();
                let table = shared
                    .recipe
                    .build_overlaid(&routes, &plan, &mut splitters, false)
                    .map_err(|e| {
                        e.problems()
                            .iter()
                            .map(|p| OverlayProblem::Invalid(p.to_string()))
                            .collect::<Vec<_>>()
                    })?;
                Ok((plan, table, splitters))
            });
        let metrics = shared.recipe.observe.metrics.as_deref();
        let mut state = shared.overlay.state();
        match built {
            Ok((plan, table, splitters)) => {
                shared.live.store(Arc::new(table));
                state.plan = Arc::new(plan);
                state.splitters = splitters;
                state.revision = Some(revision.to_owned());
                state.applied_count += 1;
                if let Some(metrics) = metrics {
                    metrics
                        .server
                        .overlay_applied
                        .fetch_add(1, Ordering::Relaxed);
                }
                tracing::info!(revision, "overlay applied");
                Ok(())
            }
            Err(problems) => {
                let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
                tracing::warn!(
                    revision,
                    in_force = state.revision.as_deref().unwrap_or("none"),
                    problems = %reasons.join("; "),
                    "overlay rejected; the table in force keeps serving"
                );
                state.rejected = Some((revision.to_owned(), reasons));
                state.rejected_count += 1;
                if let Some(metrics) = metrics {
                    metrics
                        .server
                        .overlay_rejected
                        .fetch_add(1, Ordering::Relaxed);
                }
                Err(problems)
            }
        }
    }

    /// The state of the circuit breaker of the route with this identity
    /// (`GET /reports/<id>`), or `None` when it has none.
    pub fn breaker_state(&self, identity: &str) -> Option<BreakerState> {
        let table = self.inner.shared.live.load();
        let route = table
            .descriptors
            .iter()
            .find(|route| route.identities().any(|id| id == identity))?;
        self.inner.shared.recipe.resilience.breaker_state(route)
    }

    /// The last overlay change rejected: its revision and every reason.
    pub fn overlay_rejection(&self) -> Option<(String, Vec<String>)> {
        self.inner.shared.overlay.state().rejected.clone()
    }

    /// The revision of the overlay in force, if one was applied.
    pub fn overlay_revision(&self) -> Option<String> {
        self.inner.shared.overlay.state().revision.clone()
    }

    /// Answers one request. The future owns what it needs (`'static`), and holds the
    /// request once: it is split before the future is made.
    pub fn handle(
        &self,
        request: http::Request<Body>,
    ) -> impl Future<Output = Response> + Send + 'static {
        // A combinator, not an `async` block: awaiting the future from inside one would hold
        // it twice (the captured future and the one being polled).
        futures_util::FutureExt::map(self.dispatch(request, std::convert::identity), |answer| {
            match answer {
                Ok(response) => response,
            }
        })
    }
}

impl<B> tower_service::Service<http::Request<B>> for Router
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.dispatch(request, layer::into_body)
    }
}
