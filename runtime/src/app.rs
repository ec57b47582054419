//! [`App`]: collect the routes, check the table, build the [`Router`], serve it.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::ToSocketAddrs;
use tower::Layer;

use crate::dispatch::{RouterConfig, TrailingSlash};
use crate::error::{BuildError, Error};
use crate::request::StateMap;
use crate::route::{Route, routes};
use crate::server::Server;
use crate::service::entry::{Nest, Recipe};
use crate::service::layer::{LayerFn, layer_fn};
use crate::service::{HttpService, RouteFilter, RouteService, Router};

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
        }
    }

    /// Provides the value handlers receive as [`State<T>`](crate::State). One value per
    /// type; a second call with the same type replaces the first.
    #[must_use]
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> App {
        self.state.insert(value);
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
    pub fn build(self) -> Result<Router, BuildError> {
        let recipe = Recipe {
            state: Arc::new(self.state),
            config: self.config,
            route_layers: self.route_layers,
            nested: self.nested,
            fallback: self.fallback,
            resilience: Default::default(),
            overrides: Default::default(),
        };
        let table = recipe.build(&self.routes)?;
        Ok(Router::new(table, recipe, &self.layers))
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
        eprint!("{}", router.route_table());
        eprintln!("routemark: listening on http://{}", server.local_addr());
        server.serve(router).await
    }

    /// Like [`App::serve`] with an already bound server, for tests (`127.0.0.1:0`) and
    /// custom settings.
    ///
    /// # Errors
    ///
    /// As [`App::serve`].
    pub async fn serve_on(self, server: Server) -> Result<(), Error> {
        let router = self.build()?;
        server.serve(router).await
    }
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
        .flat_map(|r| r.state().iter().map(crate::StateRequirement::type_id))
        .collect();
    for type_id in needs {
        app.state.insert_placeholder(type_id);
    }
    app.build().map(drop)
}
