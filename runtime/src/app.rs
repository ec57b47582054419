//! [`App`]: collect the routes, check the table, build the [`Router`], serve it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use routemark_path::PathTemplate;
use tokio::net::ToSocketAddrs;

use crate::dispatch::{Router, RouterConfig, TrailingSlash};
use crate::error::{BuildError, Error, Problem};
use crate::request::StateMap;
use crate::route::{Route, routes};
use crate::router::RouteTableBuilder;
use crate::server::Server;

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
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.routes.len())
            .field("config", &self.config)
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
        let mut routes: Vec<&'static Route> = routes.into_iter().collect();
        // inventory's order is unspecified; sort so that tables, conflicts and logs are stable.
        // Cached keys: one key per route instead of two per comparison (10,000 routes sort
        // in about a millisecond instead of over ten).
        routes.sort_by_cached_key(|r| (r.crate_name(), r.path(), r.file(), r.line()));
        routes.dedup_by(|a, b| std::ptr::eq(*a, *b));
        App {
            routes,
            state: StateMap::default(),
            config: RouterConfig::default(),
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
    /// spent waiting for the request body is excluded; the body's own timeouts bound it.
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
        let mut problems = Vec::new();
        let mut builder = RouteTableBuilder::new();
        let mut inserted = Vec::new();
        for &route in &self.routes {
            match PathTemplate::parse(route.path()) {
                Ok(template) => {
                    builder.insert_owned(route.methods(), template, route);
                    inserted.push(route);
                }
                Err(errors) => problems.push(Problem::InvalidPath {
                    route,
                    message: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            }
        }
        let table = match builder.build() {
            Ok(table) => Some(table),
            Err(conflicts) => {
                problems.extend(conflicts.into_iter().map(|c| Problem::Conflict {
                    first: inserted[c.first],
                    second: inserted[c.second],
                    methods: c.methods,
                }));
                None
            }
        };
        problems.extend(missing_state(&self.routes, &self.state));
        match table {
            Some(table) if problems.is_empty() => {
                Ok(Router::new(table, Arc::new(self.state), self.config))
            }
            _ => Err(BuildError::new(problems)),
        }
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

/// Rule: every `State<T>` a route takes was given to [`App::state`].
fn missing_state(routes: &[&'static Route], state: &StateMap) -> Vec<Problem> {
    let mut missing = BTreeMap::new();
    for &route in routes {
        for need in route.state() {
            if !state.contains(need.type_id()) {
                missing
                    .entry((route.file(), route.line(), need.type_name()))
                    .or_insert(Problem::MissingState {
                        route,
                        type_name: need.type_name(),
                    });
            }
        }
    }
    missing.into_values().collect()
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
