//! [`App`]: collect the routes, check the table, build the [`Router`], serve it.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::ToSocketAddrs;
use tower::Layer;

use crate::dispatch::answers::Catcher;
use crate::dispatch::{RouterConfig, TrailingSlash};
use crate::error::{BuildError, Error};
use crate::observe::{Check, Health, Observe, ObserveConfig};
use crate::request::StateMap;
use crate::response::{HttpError, IntoResponse};
use crate::route::{Route, routes};
use crate::server::Server;
use crate::service::entry::{Nest, Recipe};
use crate::service::layer::{LayerFn, layer_fn};
use crate::service::{HttpService, RouteFilter, RouteService, Router};
use crate::tenant::{Tenancy, TenantConfig};

/// An application: every route of the program, the state its handlers need, and the
/// router's settings.
///
/// ```no_run
/// # #[derive(Clone)] struct Db;
/// #[tokio::main]
/// async fn main() -> Result<(), routemark::Error> {
///     routemark::App::new()
///         .state(Db)
///         .body_limit(4 << 20)
///         .serve("127.0.0.1:3000")
///         .await
/// }
/// ```
pub struct App {
    routes: Vec<&'static Route>,
    state: StateMap,
    config: RouterConfig,
    layers: Vec<LayerFn>,
    route_layers: Vec<(RouteFilter, LayerFn)>,
    nested: Vec<Nest>,
    fallback: Option<RouteService>,
    observe: ObserveConfig,
    readiness: Vec<Check>,
    liveness: Vec<Check>,
    check_timeout: Duration,
    overlay_file: Option<std::path::PathBuf>,
    #[cfg(feature = "etcd")]
    overlay_etcd: Option<(Vec<String>, String)>,
    tenancy: Option<Tenancy>,
    /// `App::tenant_state`, one map per tenant, in the order first named.
    tenant_states: Vec<(String, StateMap)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.routes.len())
            .field("config", &self.config)
            .field("layers", &self.layers.len())
            .field("route_layers", &self.route_layers.len())
            .field(
                "nested",
                &self.nested.iter().map(|n| &n.prefix).collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .field("observe", &self.observe)
            .field(
                "readiness_checks",
                &self.readiness.iter().map(|c| &*c.name).collect::<Vec<_>>(),
            )
            .field(
                "liveness_checks",
                &self.liveness.iter().map(|c| &*c.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Default for App {
    fn default() -> App {
        App::new()
    }
}

impl App {
    /// An application with every route registered with `#[route]` in the program (see
    /// [`routes()`](crate::routes) for when a dependency's routes are present).
    pub fn new() -> App {
        App::with_routes(routes())
    }

    /// An application with the given routes only: for tests, and for programs that serve a
    /// subset of their routes (say, one binary per crate).
    ///
    /// ```
    /// let app = routemark::App::with_routes(
    ///     routemark::routes().filter(|r| r.module_path().starts_with("my_crate::admin")),
    /// );
    /// assert!(app.routes().is_empty()); // this example has no `my_crate::admin` module
    /// ```
    pub fn with_routes(routes: impl IntoIterator<Item = &'static Route>) -> App {
        App {
            routes: sorted(routes),
            state: StateMap::default(),
            config: RouterConfig::default(),
            layers: Vec::new(),
            route_layers: Vec::new(),
            nested: Vec::new(),
            fallback: None,
            observe: ObserveConfig {
                probes: true,
                metrics: true,
                admin_addr: None,
            },
            readiness: Vec::new(),
            liveness: Vec::new(),
            check_timeout: Duration::from_secs(1),
            overlay_file: None,
            #[cfg(feature = "etcd")]
            overlay_etcd: None,
            tenancy: None,
            tenant_states: Vec::new(),
        }
    }

    /// Provides the value handlers receive as [`State<T>`](crate::State). One value per
    /// type; a second call with the same type replaces the first.
    #[must_use]
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> App {
        self.state.insert(value);
        self
    }

    /// Where the tenant of a request comes from: a header, the host, or the first path
    /// segment (see [`Tenancy`]). Without it, no request names a tenant and the routes
    /// declared with `tenant = "…"` are unreachable (the start-up table warns).
    ///
    /// ```
    /// use routemark::{App, Tenancy};
    ///
    /// let app = App::new().tenancy(Tenancy::host([("acme.example.com", "acme")]));
    /// # drop(app);
    /// ```
    #[must_use]
    pub fn tenancy(mut self, tenancy: Tenancy) -> App {
        self.tenancy = Some(tenancy);
        self
    }

    /// Provides the value `tenant`'s requests receive as [`State<T>`](crate::State), before
    /// the shared one given to [`App::state`]: on the tenant's own routes and on the shared
    /// routes it reaches. One value per tenant and type; a second call replaces the first.
    /// A tenant that no route declares is a build error, so that a typo does not go unseen.
    ///
    /// ```
    /// use routemark::{App, State, Tenancy, route};
    ///
    /// #[derive(Clone)]
    /// struct Db(&'static str);
    ///
    /// #[route(GET "/db", tenant = "acme")]
    /// fn db(State(db): State<Db>) -> &'static str { db.0 }
    ///
    /// let app = App::new()
    ///     .tenancy(Tenancy::header("x-tenant"))
    ///     .state(Db("shared"))
    ///     .tenant_state("acme", Db("acme"));
    /// assert!(app.build().is_ok());
    /// ```
    #[must_use]
    pub fn tenant_state<T: Clone + Send + Sync + 'static>(
        mut self,
        tenant: impl AsRef<str>,
        value: T,
    ) -> App {
        let tenant = tenant.as_ref();
        match self.tenant_states.iter_mut().find(|(t, _)| t == tenant) {
            Some((_, map)) => map.insert(value),
            None => {
                let mut map = StateMap::default();
                map.insert(value);
                self.tenant_states.push((tenant.to_owned(), map));
            }
        }
        self
    }

    /// The request body limit of routes that declare none (`body_limit` option), in bytes.
    /// Default 2 MiB. Body extractors answer `413 Payload Too Large` past it.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> App {
        self.config.body_limit = bytes;
        self
    }

    /// What to do with a request whose path matches a route only with the trailing slash
    /// added or removed. Default [`TrailingSlash::Strict`]: 404.
    #[must_use]
    pub fn trailing_slash(mut self, policy: TrailingSlash) -> App {
        self.config.trailing_slash = policy;
        self
    }

    /// How long a handler may run before the request is answered
    /// `503 Service Unavailable`. Default 30 s.
    ///
    /// The time counts from the end of the handler's first poll: a handler that finishes
    /// without waiting costs no timer, and no timer could interrupt a poll that blocks. Time
    /// spent waiting for the request body is excluded; the body's own timeouts bound it. A
    /// route's `timeout = "2s"` option overrides it for that route.
    #[must_use]
    pub fn handler_timeout(mut self, timeout: Duration) -> App {
        self.config.handler_timeout = timeout;
        self
    }

    /// The longest request target accepted, in bytes; longer ones are answered
    /// `414 URI Too Long`. Default 8 KiB.
    #[must_use]
    pub fn max_uri_len(mut self, bytes: usize) -> App {
        self.config.max_uri_len = bytes;
        self
    }

    /// Renders every [`HttpError`] answer with `catcher`, so that an API answers its errors
    /// in one format of its own.
    ///
    /// Caught: the framework's answers (`400` for a bad parameter, query or framing, `404`,
    /// `405`, `408` and `413` of a body, `414`, `415`, `422`, `500` of a panic or missing
    /// state, `503` of a handler timeout) and the `HttpError`s handlers and extractors
    /// return. Not caught: the health probes, answers of layers and mounted services that
    /// are not `HttpError`s, and what hyper answers before routing (a malformed request,
    /// `431`), which have no body. The catcher's answer keeps the `connection`, `allow` and
    /// `retry-after` headers of the framework's answer unless it sets them, and the error's
    /// status unless it sets another (a catcher answering a `String` for a `404` still
    /// answers `404`, as Rocket's catchers do). Without a catcher, errors keep the JSON format of [`HttpError`]; a second call replaces the
    /// first.
    ///
    /// ```
    /// use routemark::{App, HttpError, Json};
    ///
    /// let app = App::new().catch(|err: HttpError| {
    ///     let body = serde_json::json!({ "code": err.status().as_u16(), "detail": err.message() });
    ///     (err.status(), Json(body))
    /// });
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn catch<F, R>(mut self, catcher: F) -> App
    where
        F: Fn(HttpError) -> R + Clone + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.config.catcher = Some(Catcher::new(Arc::new(move |err| {
            catcher(err).into_response()
        })));
        self
    }

    /// Wraps **every request** in `layer`: matched routes, `404`, `405` and `OPTIONS`
    /// answers, nested and fallback services. It runs after the server's framing and `Host`
    /// checks and before routing, so it may rewrite the path. Any `tower::Layer` whose
    /// service takes `http::Request<Body>` and answers anything [`IntoResponse`](crate::IntoResponse) works,
    /// tower-http's included; the last layer added is the outermost. A panic in a layer is
    /// caught like a handler's (`500`, logged).
    ///
    /// ```
    /// use std::time::Duration;
    /// use routemark::{App, http::StatusCode};
    /// use tower_http::timeout::TimeoutLayer;
    ///
    /// let timeout = TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(10));
    /// let app = App::new().layer(timeout);
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn layer<L>(mut self, layer: L) -> App
    where
        L: Layer<RouteService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.layers.push(layer_fn(layer));
        self
    }

    /// Wraps the handler of **every matched route** in `layer` (not `404`, `405` or nested
    /// services): an authorization layer, say, that must not turn a `404` into a `401`. It
    /// runs after the lookup, with [`MatchedRoute`](crate::MatchedRoute) in the request
    /// extensions; it must not rewrite the path (use [`App::layer`] for that). A route
    /// without any route layer keeps the fast path.
    #[must_use]
    pub fn route_layer<L>(self, layer: L) -> App
    where
        L: Layer<RouteService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.route_layer_for(RouteFilter::all(), layer)
    }

    /// [`App::route_layer`] for the routes `filter` selects: by tag (`tags = ["admin"]` in
    /// the attribute) or by module.
    ///
    /// ```
    /// use routemark::{App, RouteFilter};
    /// use tower_http::validate_request::ValidateRequestHeaderLayer;
    ///
    /// #[allow(deprecated)] // tower-http calls a static token "too basic": an example
    /// let auth = ValidateRequestHeaderLayer::bearer("s3cret");
    /// let app = App::new().route_layer_for(RouteFilter::tag("admin"), auth);
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn route_layer_for<L>(mut self, filter: RouteFilter, layer: L) -> App
    where
        L: Layer<RouteService> + Send + Sync + 'static,
        L::Service: HttpService,
    {
        self.route_layers.push((filter, layer_fn(layer)));
        self
    }

    /// Mounts `service` under `prefix` (`"/legacy"`): every method at the prefix and below
    /// it reaches the service, with the prefix stripped from the URI (`/legacy/a?b` arrives
    /// as `/a?b`, `/legacy` as `/`) and the client's URI in
    /// [`OriginalUri`](crate::OriginalUri). Any tower service of `http::Request<Body>` works:
    /// an axum `Router`, tower-http's `ServeDir`. Routes under the prefix keep their
    /// priority over it (a static segment beats the service's catch-all); a route or another
    /// service with the same paths is a build error naming both.
    ///
    /// ```
    /// use routemark::App;
    /// use tower_http::services::ServeDir;
    ///
    /// let app = App::new().nest_service("/static", ServeDir::new("assets"));
    /// # let _ = app;
    /// ```
    #[must_use]
    #[track_caller]
    pub fn nest_service<S>(mut self, prefix: &str, service: S) -> App
    where
        S: HttpService,
    {
        self.nested.push(Nest {
            prefix: prefix.to_owned(),
            service: RouteService::new(service),
            location: std::panic::Location::caller(),
        });
        self
    }

    /// Answers what no route matches with `service` instead of `404` (a `405` stays a
    /// `405`). The request arrives unchanged.
    #[must_use]
    pub fn fallback_service<S>(mut self, service: S) -> App
    where
        S: HttpService,
    {
        self.fallback = Some(RouteService::new(service));
        self
    }

    /// Adds a readiness check: `/readyz` (and `/healthz`) answer `503` while it fails, and
    /// `/readyz/<name>` runs it alone. `f` is called at each probe and runs with the probe
    /// timeout ([`App::probe_timeout`], 1 s); its error goes to the log, not to the client.
    ///
    /// ```
    /// # #[derive(Clone)] struct Db;
    /// # impl Db { async fn ping(&self) -> Result<(), String> { Ok(()) } }
    /// let db = Db;
    /// let app = routemark::App::new().readiness_check("db", move || {
    ///     let db = db.clone();
    ///     async move { db.ping().await }
    /// });
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn readiness_check<F, Fut, E>(mut self, name: &str, f: F) -> App
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        self.readiness.retain(|c| &*c.name != name);
        self.readiness.push(Check::new(name, f));
        self
    }

    /// Adds a liveness check: `/livez` answers `503` while it fails (Kubernetes then
    /// restarts the pod: check only what a restart fixes), and `/livez/<name>` runs it
    /// alone. Same form and timeout as [`App::readiness_check`].
    #[must_use]
    pub fn liveness_check<F, Fut, E>(mut self, name: &str, f: F) -> App
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        self.liveness.retain(|c| &*c.name != name);
        self.liveness.push(Check::new(name, f));
        self
    }

    /// How long each health check may take before it counts as failed. Default 1 s, the
    /// default `timeoutSeconds` of a Kubernetes probe: keep it below the probe's own.
    #[must_use]
    pub fn probe_timeout(mut self, timeout: Duration) -> App {
        self.check_timeout = timeout;
        self
    }

    /// Serves the health probes (`/livez`, `/readyz`, `/healthz`) on the main listener, or
    /// not. Default: on. Off, their paths are free for routes.
    #[must_use]
    pub fn probes(mut self, on: bool) -> App {
        self.observe.probes = on;
        self
    }

    /// Counts requests and serves `/metrics` (Prometheus), or not. Default: on. Off,
    /// requests skip the clock and the counters, and `/metrics` is free for a route.
    #[must_use]
    pub fn metrics(mut self, on: bool) -> App {
        self.observe.metrics = on;
        self
    }

    /// Moves the probes and `/metrics` to a listener of their own at `addr`, which also
    /// serves the live route table as JSON at `/routes`. [`App::serve`] and
    /// [`App::serve_on`] start it beside the main one and stop it after the main one has
    /// drained (liveness answers until exit). Keep it off the public network.
    #[must_use]
    pub fn admin_addr(mut self, addr: std::net::SocketAddr) -> App {
        self.observe.admin_addr = Some(addr);
        self
    }

    /// Applies the overlay in `path` (JSON; see the README's "Changing routes at run time")
    /// when the app is built, and watches it while it serves: a change is applied within a
    /// second, once the file has stopped changing; an invalid change is rejected whole and
    /// the table in force keeps serving. A missing or empty file is an empty overlay. The
    /// environment variable `ROUTEMARK_OVERLAY_FILE` does the same without code (this call
    /// wins).
    #[must_use]
    pub fn overlay_file(mut self, path: impl Into<std::path::PathBuf>) -> App {
        self.overlay_file = Some(path.into());
        self
    }

    /// Reads the overlay from etcd (feature `etcd`): one key per route identity under
    /// `prefix` (`"/routemark/shop/"` + `GET /users/<id>`), whose value is that route's JSON
    /// entry. `endpoints` are URLs (`http://127.0.0.1:2379`). While it serves, the app lists
    /// the prefix and watches it: every key changed in one revision applies together, an
    /// invalid change is rejected whole, and an etcd outage keeps the last table. Until the
    /// first list, the readiness check `overlay` fails. `ROUTEMARK_ETCD_ENDPOINTS`
    /// (comma-separated) and `ROUTEMARK_ETCD_PREFIX` (default `/routemark/`) do the same
    /// without code (this call wins).
    #[cfg(feature = "etcd")]
    #[must_use]
    pub fn overlay_etcd<E: Into<String>>(
        mut self,
        endpoints: impl IntoIterator<Item = E>,
        prefix: impl Into<String>,
    ) -> App {
        self.overlay_etcd = Some((
            endpoints.into_iter().map(Into::into).collect(),
            prefix.into(),
        ));
        self
    }

    /// The routes of the application, sorted by crate, path and location.
    pub fn routes(&self) -> &[&'static Route] {
        &self.routes
    }

    /// Checks the whole table and builds the [`Router`].
    ///
    /// # Errors
    ///
    /// A [`BuildError`] listing **every** problem at once: each pair of conflicting routes
    /// (same method, same path shape) with both `file:line`, and each route whose
    /// `State<T>` was never provided.
    #[cfg_attr(not(feature = "etcd"), allow(unused_mut))]
    pub fn build(mut self) -> Result<Router, BuildError> {
        #[cfg(feature = "etcd")]
        let etcd = self.etcd_source();
        let recipe = Recipe {
            state: Arc::new(self.state),
            config: self.config,
            route_layers: self.route_layers,
            nested: self.nested,
            fallback: self.fallback,
            resilience: Default::default(),
            observe: Arc::new(Observe::new(
                self.observe,
                Health::new(self.readiness, self.liveness, self.check_timeout),
            )),
            tenants: TenantConfig {
                tenancy: self.tenancy,
                states: self
                    .tenant_states
                    .into_iter()
                    .map(|(tenant, map)| (tenant, Arc::new(map)))
                    .collect(),
            },
        };
        if let Some(metrics) = &recipe.observe.metrics {
            let _ = metrics.resilience.set(recipe.resilience.clone());
        }
        let table = recipe.build(&self.routes)?;
        let router = Router::new(table, recipe, &self.layers);
        let overlay_file = self
            .overlay_file
            .or_else(|| std::env::var_os("ROUTEMARK_OVERLAY_FILE").map(Into::into));
        if let Some(path) = overlay_file {
            let problem = |problems: Vec<String>| {
                BuildError::new(vec![crate::error::Problem::Overlay {
                    source: format!("file `{}`", path.display()),
                    problems,
                }])
            };
            let content = crate::overlay::file::read(&path)
                .map_err(|e| problem(vec![format!("cannot read it: {e}")]))?;
            router
                .apply_overlay(
                    crate::overlay::file::overlay_text(&content),
                    &crate::overlay::file::revision(&content),
                )
                .map_err(|problems| problem(problems.iter().map(ToString::to_string).collect()))?;
            *router
                .inner
                .shared
                .overlay
                .file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((path, content));
        }
        #[cfg(feature = "etcd")]
        if let Some(source) = etcd {
            *router
                .inner
                .shared
                .overlay
                .etcd
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(source);
        }
        Ok(router)
    }

    /// Builds the router, prints the route table, listens on `addr` and serves until
    /// SIGINT or SIGTERM, then drains in-flight requests (see [`Server`] for the defaults,
    /// and to change them).
    ///
    /// # Errors
    ///
    /// [`Error::Build`] when the table has problems (nothing is bound), [`Error::Bind`]
    /// when the address cannot be bound.
    pub async fn serve(self, addr: impl ToSocketAddrs + std::fmt::Display) -> Result<(), Error> {
        let router = self.build()?;
        let server = Server::bind(addr).await?;
        let admin = bind_admin(&router).await?;
        eprint!("{}", router.route_table());
        eprintln!("routemark: listening on http://{}", server.local_addr());
        let observe = &router.inner.shared.recipe.observe;
        match &admin {
            Some(admin) => eprintln!(
                "routemark: probes, metrics and /routes on http://{}",
                admin.local_addr()
            ),
            None => {
                let builtins: Vec<&str> = observe
                    .builtins_on_main()
                    .iter()
                    .map(|(path, _)| *path)
                    .collect();
                if !builtins.is_empty() {
                    eprintln!("routemark: also serving {}", builtins.join(" "));
                }
            }
        }
        serve_with_admin(server, admin, router).await
    }

    /// Like [`App::serve`] with an already bound server, for tests (`127.0.0.1:0`) and
    /// custom settings.
    ///
    /// # Errors
    ///
    /// As [`App::serve`].
    pub async fn serve_on(self, server: Server) -> Result<(), Error> {
        let router = self.build()?;
        let admin = bind_admin(&router).await?;
        serve_with_admin(server, admin, router).await
    }
}

#[cfg(feature = "etcd")]
impl App {
    /// The etcd source, from `overlay_etcd` or the environment, with its readiness check
    /// `overlay` added (failing until the first list is applied).
    fn etcd_source(&mut self) -> Option<crate::overlay::etcd::EtcdSource> {
        let (endpoints, prefix) = self.overlay_etcd.take().or_else(|| {
            let endpoints = std::env::var("ROUTEMARK_ETCD_ENDPOINTS").ok()?;
            let endpoints: Vec<String> = endpoints
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect();
            let prefix =
                std::env::var("ROUTEMARK_ETCD_PREFIX").unwrap_or_else(|_| "/routemark/".to_owned());
            (!endpoints.is_empty()).then_some((endpoints, prefix))
        })?;
        let synced = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = synced.clone();
        self.readiness.retain(|c| &*c.name != "overlay");
        self.readiness.push(Check::new("overlay", move || {
            let synced = flag.load(std::sync::atomic::Ordering::Acquire);
            async move {
                if synced {
                    Ok(())
                } else {
                    Err("not yet synced with etcd")
                }
            }
        }));
        Some(crate::overlay::etcd::EtcdSource {
            endpoints,
            prefix,
            synced,
        })
    }
}

/// The admin listener of `router`'s application, bound, when it has one.
async fn bind_admin(router: &Router) -> Result<Option<Server>, Error> {
    match router.inner.shared.recipe.observe.config.admin_addr {
        Some(addr) => Ok(Some(Server::bind(addr).await?)),
        None => Ok(None),
    }
}

/// Serves `router` on `server` until SIGINT/SIGTERM, and the admin listener beside it until
/// the main server has drained.
async fn serve_with_admin(
    server: Server,
    admin: Option<Server>,
    router: Router,
) -> Result<(), Error> {
    #[cfg(feature = "otel")]
    crate::observe::otel::install_from_env();
    let served = serve_both(server, admin, router).await;
    #[cfg(feature = "otel")]
    crate::observe::otel::shutdown().await;
    served
}

async fn serve_both(server: Server, admin: Option<Server>, router: Router) -> Result<(), Error> {
    let Some(admin) = admin else {
        return server.serve(router).await;
    };
    let done = Arc::new(tokio::sync::Notify::new());
    let admin_service = crate::observe::admin::service(router.inner.shared.clone());
    let admin_done = done.clone();
    let admin_task = tokio::spawn(async move {
        let stop = async move { admin_done.notified().await };
        admin.serve_with_shutdown(admin_service, stop).await
    });
    let served = server.serve(router).await;
    done.notify_one();
    let _ = admin_task.await;
    served
}

/// `routes` in a stable order, each once: inventory's order is unspecified, and tables,
/// conflicts and logs should not be. Cached keys: one key per route instead of two per
/// comparison (10,000 routes sort in about a millisecond instead of over ten).
pub(crate) fn sorted(routes: impl IntoIterator<Item = &'static Route>) -> Vec<&'static Route> {
    let mut routes: Vec<&'static Route> = routes.into_iter().collect();
    routes.sort_by_cached_key(|r| (r.crate_name(), r.path(), r.file(), r.line()));
    routes.dedup_by(|a, b| std::ptr::eq(*a, *b));
    routes
}

/// Runs the checks of [`App::build`] that do not depend on state, over every route of the
/// program: paths parse and no two routes conflict. Call it from a unit test to catch a
/// cross-crate conflict before deploying:
///
/// ```
/// // in tests/routes.rs, as a `#[test] fn route_table_is_sound()`:
/// routemark::check().unwrap();
/// ```
///
/// # Errors
///
/// Every problem found, as [`App::build`] reports them.
pub fn check() -> Result<(), BuildError> {
    let mut app = App::new();
    // Provide every state type the routes need, so only table problems remain.
    let needs: Vec<_> = app
        .routes
        .iter()
        .flat_map(|r| r.state().into_iter().map(|need| need.type_id()))
        .collect();
    for type_id in needs {
        app.state.insert_placeholder(type_id);
    }
    app.build().map(drop)
}
