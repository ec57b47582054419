//! The route descriptor: what `#[route]` registers for every handler.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use routemark_path::MethodSet;

use crate::Body;
use crate::request::RequestParts;
use crate::response::Response;

/// What a handler shim returns: the answer itself when the handler has already run (a
/// `fn` handler of parameters only, which cannot wait), else the handler's future, boxed.
///
/// Either way it is a future of the answer. The ready form saves what a handler that cannot
/// wait would otherwise cost every request: an allocation, a move of the request into it,
/// and a call through the future's vtable (bench/notes/2026-12-06-sync-handlers.md).
pub struct HandlerFuture(Handler);

/// A handler's future, boxed.
pub(crate) type BoxedHandler = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

enum Handler {
    Ready(Option<Response>),
    Boxed(BoxedHandler),
    /// A shim's answer to a probe (a request without route) when it runs no extractor: it
    /// declares no state and reads none (`Route::reads_state`). Polled, an empty answer.
    /// A variant, not a marker in the answer's extensions: it is asked per route at every
    /// table build and overlay swap, and costs no allocation.
    ParamsOnly,
}

impl HandlerFuture {
    /// `future`, boxed.
    pub fn new(future: impl Future<Output = Response> + Send + 'static) -> HandlerFuture {
        HandlerFuture(Handler::Boxed(Box::pin(future)))
    }

    /// An answer already made.
    pub fn ready(response: Response) -> HandlerFuture {
        HandlerFuture(Handler::Ready(Some(response)))
    }

    /// A probe's answer from a shim that runs no extractor (`__private::declared_params_only`).
    pub(crate) fn params_only() -> HandlerFuture {
        HandlerFuture(Handler::ParamsOnly)
    }

    /// Whether this is a probe's answer from a shim that runs no extractor.
    pub(crate) fn is_params_only(&self) -> bool {
        matches!(self.0, Handler::ParamsOnly)
    }

    /// The answer, if already made; else the handler's boxed future, which is all a
    /// request's future then holds of it (the answer's room is not carried across an
    /// `await` for every handler that waits).
    pub(crate) fn into_answer(self) -> Result<Response, BoxedHandler> {
        match self.0 {
            Handler::Ready(response) => Ok(response.expect("a shim's answer, not yet taken")),
            Handler::Boxed(future) => Err(future),
            Handler::ParamsOnly => Ok(Response::new(Body::empty())),
        }
    }
}

/// A future boxed by hand, as `HandlerFuture` was before it could hold an answer.
impl From<Pin<Box<dyn Future<Output = Response> + Send + 'static>>> for HandlerFuture {
    fn from(future: Pin<Box<dyn Future<Output = Response> + Send + 'static>>) -> HandlerFuture {
        HandlerFuture(Handler::Boxed(future))
    }
}

impl Future for HandlerFuture {
    type Output = Response;

    #[inline]
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Response> {
        match &mut self.0 {
            Handler::Ready(response) => std::task::Poll::Ready(
                response
                    .take()
                    .expect("a HandlerFuture polled after it answered"),
            ),
            Handler::Boxed(future) => future.as_mut().poll(cx),
            Handler::ParamsOnly => std::task::Poll::Ready(Response::new(Body::empty())),
        }
    }
}

impl fmt::Debug for HandlerFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Handler::Ready(_) => "HandlerFuture::Ready",
            Handler::Boxed(_) => "HandlerFuture::Boxed",
            Handler::ParamsOnly => "HandlerFuture::ParamsOnly",
        })
    }
}

/// The type-erased entry point `#[route]` generates for each handler: it extracts the
/// arguments, calls the handler and converts its result into a response.
pub type HandlerFn = fn(RequestParts, Body) -> HandlerFuture;

/// The type-erased entry point of a route's `fallback = f`: it extracts the handler's
/// arguments from the request head when `f` takes them, calls `f` and converts its result.
pub type FallbackFn = fn(RequestParts) -> HandlerFuture;

/// The answer of a handler shim that was probed for the state its extractors declare.
#[derive(Clone)]
pub(crate) struct DeclaredState(pub(crate) Vec<StateRequirement>);

/// A `State<T>` a route needs, recorded so that [`App`](crate::App) can refuse to start when
/// it was never provided.
#[derive(Clone, Copy)]
pub struct StateRequirement {
    type_id: fn() -> TypeId,
    type_name: fn() -> &'static str,
}

impl StateRequirement {
    #[doc(hidden)]
    pub const fn __new(type_id: fn() -> TypeId, type_name: fn() -> &'static str) -> Self {
        StateRequirement { type_id, type_name }
    }

    /// The requirement of a `T` given to [`App::state`](crate::App::state): what an
    /// extractor that reads `T` from the state lists in its `STATE`, so that the application
    /// refuses to start without it.
    ///
    /// ```
    /// use routemark::{FromRequestParts, HttpError, RequestParts, StateRequirement};
    /// use routemark::http::StatusCode;
    ///
    /// #[derive(Clone)]
    /// struct AuthConfig { token: String }
    ///
    /// struct Admin;
    ///
    /// impl FromRequestParts for Admin {
    ///     type Rejection = HttpError;
    ///     const STATE: &'static [StateRequirement] = &[StateRequirement::of::<AuthConfig>()];
    ///
    ///     async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
    ///         let config = parts.state::<AuthConfig>().expect("checked at start-up");
    ///         let sent = parts.headers().get("authorization").and_then(|v| v.to_str().ok());
    ///         match sent {
    ///             Some(token) if token == config.token => Ok(Admin),
    ///             _ => Err(HttpError::new(StatusCode::UNAUTHORIZED, "not an admin")),
    ///         }
    ///     }
    /// }
    ///
    /// #[routemark::route(GET "/admin/stats")]
    /// fn stats(_admin: Admin) -> &'static str {
    ///     "all good"
    /// }
    ///
    /// // Without `.state(AuthConfig { .. })`, `build` names the route and `AuthConfig`.
    /// let app = routemark::App::new().state(AuthConfig { token: "s3cret".into() });
    /// assert!(app.build().is_ok());
    /// ```
    pub const fn of<T: Send + Sync + 'static>() -> StateRequirement {
        StateRequirement {
            type_id: TypeId::of::<T>,
            type_name: std::any::type_name::<T>,
        }
    }

    /// The `TypeId` of `T` in `State<T>`.
    pub fn type_id(&self) -> TypeId {
        (self.type_id)()
    }

    /// The name of `T` in `State<T>`, as `std::any::type_name` spells it.
    pub fn type_name(&self) -> &'static str {
        (self.type_name)()
    }
}

impl fmt::Debug for StateRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "State<{}>", self.type_name())
    }
}

/// A route as `#[route]` declares it: the one field of [`Route`], filled by field
/// name so that an option can be added without changing what the macro emits for the
/// others. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct RouteDecl {
    pub methods: MethodSet,
    pub path: &'static str,
    /// Called with a request without route (a probe from `Route::state`), it must answer at
    /// once with the `DeclaredState` of its extractors and run nothing, as `callN` does.
    pub handler: HandlerFn,
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub state: &'static [StateRequirement],
    pub options: &'static OptionsDecl,
}

/// The route's options as the attribute declares them: the macro writes the ones the user
/// gave and takes the rest from [`OptionsDecl::DEFAULT`] (`..OptionsDecl::DEFAULT`), or
/// points to [`NO_OPTIONS`] when none is given. Not public API: read them through
/// [`RouteOptions`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct OptionsDecl {
    pub body_limit: Option<usize>,
    pub tags: &'static [&'static str],
    pub tenant: Option<&'static str>,
    pub timeout: Option<Duration>,
    pub concurrency: Option<u32>,
    pub breaker: Option<BreakerConfig>,
    pub fallback: Option<FallbackFn>,
}

/// A route that sets no option: what `RouteDecl::options` points to for most routes, a
/// `static` so that each route's descriptor holds a pointer to it rather than a copy that
/// `cargo check` evaluates and validates once per route. Not public API.
#[doc(hidden)]
pub static NO_OPTIONS: OptionsDecl = OptionsDecl::DEFAULT;

impl OptionsDecl {
    /// A route that sets no option.
    pub const DEFAULT: OptionsDecl = OptionsDecl {
        body_limit: None,
        tags: &[],
        tenant: None,
        timeout: None,
        concurrency: None,
        breaker: None,
        fallback: None,
    };

    /// A route that sets only `tenant`.
    pub const fn tenant(tenant: &'static str) -> OptionsDecl {
        OptionsDecl {
            tenant: Some(tenant),
            ..OptionsDecl::DEFAULT
        }
    }
}

/// The thresholds of a route's circuit breaker (`breaker` or
/// `breaker(errors_percent = 25, min_requests = 10, window = "30s", open_for = "10s")` in
/// the attribute). The defaults are Hystrix's: a 10 s rolling window, at least 20 requests,
/// 50 % failures, open for 5 s.
///
/// ```
/// use std::time::Duration;
/// use routemark::BreakerConfig;
///
/// let config = BreakerConfig::default();
/// assert_eq!(config.errors_percent(), 50);
/// assert_eq!(config.min_requests(), 20);
/// assert_eq!(config.window(), Duration::from_secs(10));
/// assert_eq!(config.open_for(), Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BreakerConfig {
    errors_percent: u8,
    min_requests: u32,
    window: Duration,
    open_for: Duration,
}

impl BreakerConfig {
    /// Hystrix's defaults.
    pub const DEFAULT: BreakerConfig = BreakerConfig {
        errors_percent: 50,
        min_requests: 20,
        window: Duration::from_secs(10),
        open_for: Duration::from_secs(5),
    };

    /// Thresholds as the attribute checked them: `errors_percent` in 1–100, the others not
    /// zero. Not public API: the macro's constructor.
    #[doc(hidden)]
    pub const fn __new(
        errors_percent: u8,
        min_requests: u32,
        window: Duration,
        open_for: Duration,
    ) -> BreakerConfig {
        BreakerConfig {
            errors_percent,
            min_requests,
            window,
            open_for,
        }
    }

    #[doc(hidden)]
    pub const fn __errors_percent(mut self, percent: u8) -> BreakerConfig {
        self.errors_percent = percent;
        self
    }

    #[doc(hidden)]
    pub const fn __min_requests(mut self, min: u32) -> BreakerConfig {
        self.min_requests = min;
        self
    }

    #[doc(hidden)]
    pub const fn __window(mut self, window: Duration) -> BreakerConfig {
        self.window = window;
        self
    }

    #[doc(hidden)]
    pub const fn __open_for(mut self, open_for: Duration) -> BreakerConfig {
        self.open_for = open_for;
        self
    }

    /// The share of failed requests in the window, in percent, at which the breaker opens.
    pub fn errors_percent(&self) -> u8 {
        self.errors_percent
    }

    /// The fewest requests in the window before the breaker may open.
    pub fn min_requests(&self) -> u32 {
        self.min_requests
    }

    /// The rolling window the failures are counted over (ten buckets).
    pub fn window(&self) -> Duration {
        self.window
    }

    /// How long the breaker stays open before it lets one trial request through.
    pub fn open_for(&self) -> Duration {
        self.open_for
    }
}

impl Default for BreakerConfig {
    fn default() -> BreakerConfig {
        BreakerConfig::DEFAULT
    }
}

/// The options a route sets in its attribute, after the method and the path:
/// `#[route(POST "/users", body_limit = 65536, tags = ["admin"])]`.
///
/// Read-only: built by `#[route]`, read through [`Route::options`].
///
/// ```
/// #[routemark::route(POST "/admin/users", tags = ["admin", "write"])]
/// fn create_admin_user() {}
///
/// let route = routemark::routes().find(|r| r.name() == "create_admin_user").unwrap();
/// assert_eq!(route.options().tags(), ["admin", "write"]);
/// assert_eq!(route.options().body_limit(), None);
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct RouteOptions(OptionsDecl);

impl RouteOptions {
    /// The route's own request body limit in bytes (`body_limit = 10485760`), which overrides
    /// the server's default; `None` when the route does not set one.
    pub fn body_limit(&self) -> Option<usize> {
        self.0.body_limit
    }

    /// The route's tags (`tags = ["admin", "internal"]`), in the order written; empty when
    /// the route has none. Each is a name of ASCII letters, digits, `_` and `-`, starting with
    /// a letter, and none appears twice.
    pub fn tags(&self) -> &'static [&'static str] {
        self.0.tags
    }

    /// The tenant the route belongs to (`tenant = "acme"`); `None` for a shared route.
    pub fn tenant(&self) -> Option<&'static str> {
        self.0.tenant
    }

    /// The handler's own time limit (`timeout = "2s"`), which overrides
    /// [`App::handler_timeout`](crate::App::handler_timeout); `None` when the route does not
    /// set one.
    pub fn timeout(&self) -> Option<Duration> {
        self.0.timeout
    }

    /// The most requests the handler runs at once (`concurrency = 32`); `None` for no limit.
    pub fn concurrency(&self) -> Option<u32> {
        self.0.concurrency
    }

    /// The route's circuit breaker (`breaker` or `breaker(...)`); `None` when it has none.
    pub fn breaker(&self) -> Option<BreakerConfig> {
        self.0.breaker
    }

    /// Whether the route names a `fallback` to answer while its breaker is open, while it
    /// sheds requests, or when its handler times out.
    pub fn has_fallback(&self) -> bool {
        self.0.fallback.is_some()
    }

    /// The fallback's entry point.
    pub(crate) fn fallback(&self) -> Option<FallbackFn> {
        self.0.fallback
    }
}

impl fmt::Debug for RouteOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RouteOptions");
        debug
            .field("body_limit", &self.0.body_limit)
            .field("tags", &self.0.tags)
            .field("timeout", &self.0.timeout)
            .field("concurrency", &self.0.concurrency)
            .field("breaker", &self.0.breaker)
            .field("fallback", &self.0.fallback.is_some());
        // Shown only when set: a shared route reads as it did before tenants existed.
        if let Some(tenant) = self.0.tenant {
            debug.field("tenant", &tenant);
        }
        debug.finish()
    }
}

/// One route of the program, as declared by `#[route]` and collected by [`routes()`].
///
/// Built by generated code in a `const` context; users read it through the accessors.
pub struct Route {
    /// Not public API: what `#[route]` declares. A field the macro fills with a struct
    /// literal, not an argument of a constructor: a `const fn` call in each route's `static`
    /// costs `cargo check` about 220 K instructions per route
    /// (bench/notes/2026-12-06-compile-time-descriptor.md).
    #[doc(hidden)]
    pub __decl: RouteDecl,
}

impl Route {
    /// A route of `decl`, for a program that builds its routes by hand (a benchmark of the
    /// router); `#[route]` writes the struct literal. Not public API.
    #[doc(hidden)]
    pub const fn __new(decl: RouteDecl) -> Route {
        Route { __decl: decl }
    }

    /// The methods the route answers (`GET | POST`).
    pub fn methods(&self) -> MethodSet {
        self.__decl.methods
    }

    /// The path template as written in the attribute, query included (`/users/<id>?<q>`).
    pub fn path(&self) -> &'static str {
        self.__decl.path
    }

    /// The path template without its query part (`/users/<id>`).
    pub fn path_without_query(&self) -> &'static str {
        self.__decl
            .path
            .split('?')
            .next()
            .unwrap_or(self.__decl.path)
    }

    /// The handler's entry point.
    pub fn handler(&self) -> HandlerFn {
        self.__decl.handler
    }

    /// The handler function's name.
    pub fn name(&self) -> &'static str {
        self.__decl.name
    }

    /// The module the handler is declared in (`module_path!()`).
    pub fn module_path(&self) -> &'static str {
        self.__decl.module_path
    }

    /// The crate the handler is declared in: the first segment of [`Route::module_path`].
    pub fn crate_name(&self) -> &'static str {
        // A module path has `:` only in `::` separators; a `char` split is a byte search.
        self.__decl
            .module_path
            .split(':')
            .next()
            .unwrap_or(self.__decl.module_path)
    }

    /// The source file of the handler (`file!()`).
    pub fn file(&self) -> &'static str {
        self.__decl.file
    }

    /// The line of the `#[route]` attribute.
    pub fn line(&self) -> u32 {
        self.__decl.line
    }

    /// The state types the handler needs: its `State<T>` arguments, then what its
    /// extractors declare in their `STATE` ([`StateRequirement::of`]), each once.
    pub fn state(&self) -> Vec<StateRequirement> {
        let mut needs: Vec<StateRequirement> = self.__decl.state.to_vec();
        for need in self.declared_state() {
            if !needs.iter().any(|n| n.type_id() == need.type_id()) {
                needs.push(need);
            }
        }
        needs
    }

    /// The state the handler's extractors declare: its shim, called with a request that has
    /// no route, answers at once with their `STATE`s instead of running anything (see
    /// `__private::callN`).
    fn declared_state(&self) -> Vec<StateRequirement> {
        self.probe()
            .and_then(|response| response.extensions().get::<DeclaredState>().cloned())
            .map_or_else(Vec::new, |declared| declared.0)
    }

    /// Whether the handler's requests must carry the application state: `false` for a
    /// shim that runs no extractor, only path and query parameters (its probe answer says
    /// so, `__private::declared_params_only`). Asked once per route, when a table is built.
    pub(crate) fn reads_state(&self) -> bool {
        !(self.__decl.handler)(RequestParts::probe(), Body::empty()).is_params_only()
    }

    /// The shim's answer to a request without route (see [`declared_state`](Self::declared_state)).
    fn probe(&self) -> Option<Response> {
        use futures_util::FutureExt;
        (self.__decl.handler)(RequestParts::probe(), Body::empty()).now_or_never()
    }

    /// The route's own body limit (`#[route(POST "/upload", body_limit = 10485760)]`), which
    /// overrides the server's default.
    ///
    /// The same as `self.options().body_limit()`.
    pub fn body_limit(&self) -> Option<usize> {
        self.__decl.options.body_limit
    }

    /// The route's tags (`#[route(GET "/admin/stats", tags = ["admin", "internal"])]`), in the
    /// order written; empty when it has none. Layers and listings can select routes by tag.
    ///
    /// The same as `self.options().tags()`.
    ///
    /// ```
    /// #[routemark::route(GET "/admin/stats", tags = ["admin", "internal"])]
    /// fn admin_stats() {}
    ///
    /// let route = routemark::routes().find(|r| r.name() == "admin_stats").unwrap();
    /// assert_eq!(route.tags(), ["admin", "internal"]);
    /// assert!(route.tags().contains(&"admin"));
    /// ```
    pub fn tags(&self) -> &'static [&'static str] {
        self.__decl.options.tags
    }

    /// The tenant the route belongs to (`#[route(GET "/orders", tenant = "acme")]`); `None`
    /// for a shared route, which every tenant reaches. See [`Tenancy`](crate::Tenancy).
    ///
    /// ```
    /// #[routemark::route(GET "/orders", tenant = "acme")]
    /// fn acme_orders() {}
    ///
    /// let route = routemark::routes().find(|r| r.name() == "acme_orders").unwrap();
    /// assert_eq!(route.tenant(), Some("acme"));
    /// assert_eq!(route.identity(), "acme:GET /orders");
    /// ```
    pub fn tenant(&self) -> Option<&'static str> {
        self.__decl.options.tenant
    }

    /// The route's identity in overlays: `METHOD /template` for a shared route,
    /// `tenant:METHOD /template` for a tenant's (`acme:GET /orders`); several methods are
    /// written as [`MethodSet`] prints them (`GET | POST`).
    pub fn identity(&self) -> String {
        match self.tenant() {
            Some(tenant) => format!("{tenant}:{} {}", self.methods(), self.path_without_query()),
            None => format!("{} {}", self.methods(), self.path_without_query()),
        }
    }

    /// Every option the route's attribute sets.
    pub fn options(&self) -> RouteOptions {
        RouteOptions(*self.__decl.options)
    }

    /// The route's identity for each of its methods, as overlays address it:
    /// `METHOD /template`, the template without its query part (`GET /users/<id>`).
    pub fn identities(&self) -> impl Iterator<Item = String> + '_ {
        self.__decl
            .methods
            .iter()
            .map(|m| format!("{} {}", m.as_str(), self.path_without_query()))
    }

    /// `file:line`, the way conflicts and the route table name a route.
    pub fn location(&self) -> String {
        format!("{}:{}", self.__decl.file, self.__decl.line)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("methods", &self.__decl.methods)
            .field("path", &self.__decl.path)
            .field(
                "handler",
                &format_args!("{}::{}", self.__decl.module_path, self.__decl.name),
            )
            .field("location", &self.location())
            .field("state", &self.__decl.state)
            .field("tags", &self.tags())
            .field("tenant", &self.tenant())
            .finish()
    }
}

inventory::collect!(Route);

/// Every route registered with `#[route]` anywhere in the program, in no particular order.
///
/// Routes of a dependency are present only when the dependency is linked: a crate that the
/// program never names in code is not linked, however it is listed in `Cargo.toml`. Name it
/// once (`use users_api as _;`) to bring its routes in.
///
/// ```
/// for route in routemark::routes() {
///     println!("{} {} -> {} ({})", route.methods(), route.path(), route.name(), route.location());
/// }
/// ```
pub fn routes() -> impl Iterator<Item = &'static Route> {
    inventory::iter::<Route>.into_iter()
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use futures_util::FutureExt;
    use http::StatusCode;

    use super::HandlerFuture;
    use crate::response::{IntoResponse, Response};

    fn teapot() -> Response {
        StatusCode::IM_A_TEAPOT.into_response()
    }

    mod reads_state {
        use std::borrow::Cow;

        use crate::{App, State, route};

        #[derive(Clone)]
        pub(super) struct Db;

        #[route(GET "/__reads_state/now/<id>?<page>")]
        pub(super) fn now(id: u64, page: Option<u32>) -> String {
            format!("{id} {page:?}")
        }

        #[route(GET "/__reads_state/borrowed/<name>")]
        pub(super) fn borrowed(name: &str) -> String {
            name.to_owned()
        }

        #[route(GET "/__reads_state/borrowed-async/<name>")]
        pub(super) async fn borrowed_async(name: Cow<'_, str>) -> String {
            name.into_owned()
        }

        #[route(GET "/__reads_state/nothing")]
        pub(super) async fn nothing() -> &'static str {
            "nothing"
        }

        #[route(GET "/__reads_state/state")]
        pub(super) fn with_state(State(_db): State<Db>) -> &'static str {
            "state"
        }

        #[route(GET "/__reads_state/owned-async/<id>")]
        pub(super) async fn owned_async(id: u64) -> String {
            id.to_string()
        }

        /// Which routes' requests carry the state: none of the shims that run no extractor
        /// reads it; every shim of `callN` is given it (an extractor may read it without
        /// declaring it), an async handler of owned parameters included.
        #[test]
        fn only_shims_that_run_an_extractor_read_the_state() {
            let mut found: Vec<(&str, bool)> = crate::routes()
                .filter(|r| r.path().starts_with("/__reads_state/"))
                .map(|r| (r.path(), r.reads_state()))
                .collect();
            found.sort();
            assert_eq!(
                found,
                [
                    ("/__reads_state/borrowed-async/<name>", false),
                    ("/__reads_state/borrowed/<name>", false),
                    ("/__reads_state/nothing", false),
                    ("/__reads_state/now/<id>?<page>", false),
                    ("/__reads_state/owned-async/<id>", true),
                    ("/__reads_state/state", true),
                ]
            );
        }

        /// Routes with and without the state in one application: each answers, and the
        /// one that reads it finds it.
        #[tokio::test]
        async fn routes_without_the_state_answer_beside_one_that_reads_it() {
            let router = App::with_routes(
                crate::routes().filter(|r| r.path().starts_with("/__reads_state/")),
            )
            .state(Db)
            .build()
            .unwrap();
            for (path, expected) in [
                ("/__reads_state/now/7?page=2", "7 Some(2)"),
                ("/__reads_state/borrowed/a%20b", "a b"),
                ("/__reads_state/borrowed-async/c", "c"),
                ("/__reads_state/nothing", "nothing"),
                ("/__reads_state/state", "state"),
                ("/__reads_state/owned-async/9", "9"),
            ] {
                let request = http::Request::get(path)
                    .header("host", "test")
                    .body(crate::Body::empty())
                    .unwrap();
                let response = router.handle(request).await;
                assert_eq!(response.status(), http::StatusCode::OK, "{path}");
                let body = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                assert_eq!(body, expected.as_bytes(), "{path}");
            }
        }
    }

    #[test]
    fn a_ready_answer_is_taken_at_once_and_never_boxed() {
        let ready = HandlerFuture::ready(teapot());
        assert_eq!(format!("{ready:?}"), "HandlerFuture::Ready");
        let Ok(response) = ready.into_answer() else {
            panic!("a ready HandlerFuture gave a future");
        };
        assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
        // Awaited, it answers on its first poll.
        let polled = HandlerFuture::ready(teapot()).now_or_never();
        assert_eq!(polled.map(|r| r.status()), Some(StatusCode::IM_A_TEAPOT));
    }

    /// A probe's answer from a shim without extractors: told apart without polling, and an
    /// empty `200` (no declared state) when polled, as `Route::state` polls it.
    #[test]
    fn a_params_only_probe_answer_is_told_apart_and_declares_nothing() {
        let probe = HandlerFuture::params_only();
        assert!(probe.is_params_only());
        assert_eq!(format!("{probe:?}"), "HandlerFuture::ParamsOnly");
        let answer = probe.now_or_never().expect("ready at once");
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(answer.extensions().get::<super::DeclaredState>().is_none());
        assert!(!HandlerFuture::ready(teapot()).is_params_only());
    }

    #[test]
    fn a_future_stays_a_future_until_polled() {
        let waiting = HandlerFuture::new(async { teapot() });
        assert_eq!(format!("{waiting:?}"), "HandlerFuture::Boxed");
        let Err(mut future) = waiting.into_answer() else {
            panic!("a boxed HandlerFuture gave an answer");
        };
        let polled = future.as_mut().now_or_never();
        assert_eq!(polled.map(|r| r.status()), Some(StatusCode::IM_A_TEAPOT));
        // One boxed by hand, as before `HandlerFuture` could hold an answer.
        let boxed: Pin<Box<dyn Future<Output = Response> + Send>> = Box::pin(async { teapot() });
        let from = HandlerFuture::from(boxed);
        assert_eq!(format!("{from:?}"), "HandlerFuture::Boxed");
        assert_eq!(
            from.now_or_never().map(|r| r.status()),
            Some(StatusCode::IM_A_TEAPOT)
        );
    }
}
