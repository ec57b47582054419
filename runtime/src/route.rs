//! The route descriptor: what `#[route]` registers for every handler.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use routemark_path::MethodSet;

use crate::Body;
use crate::request::RequestParts;
use crate::response::Response;

/// The future a handler shim returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// The type-erased entry point `#[route]` generates for each handler: it extracts the
/// arguments, calls the handler and converts its result into a response.
pub type HandlerFn = fn(RequestParts, Body) -> HandlerFuture;

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

/// One route of the program, as declared by `#[route]` and collected by [`routes()`].
///
/// Built by generated code in a `const` context; users read it through the accessors.
pub struct Route {
    methods: MethodSet,
    path: &'static str,
    handler: HandlerFn,
    name: &'static str,
    module_path: &'static str,
    file: &'static str,
    line: u32,
    state: &'static [StateRequirement],
    body_limit: Option<usize>,
}

impl Route {
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        methods: MethodSet,
        path: &'static str,
        handler: HandlerFn,
        name: &'static str,
        module_path: &'static str,
        file: &'static str,
        line: u32,
        state: &'static [StateRequirement],
        body_limit: Option<usize>,
    ) -> Route {
        Route {
            methods,
            path,
            handler,
            name,
            module_path,
            file,
            line,
            state,
            body_limit,
        }
    }

    /// The methods the route answers (`GET | POST`).
    pub fn methods(&self) -> MethodSet {
        self.methods
    }

    /// The path template as written in the attribute, query included (`/users/<id>?<q>`).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The path template without its query part (`/users/<id>`).
    pub fn path_without_query(&self) -> &'static str {
        self.path.split('?').next().unwrap_or(self.path)
    }

    /// The handler's entry point.
    pub fn handler(&self) -> HandlerFn {
        self.handler
    }

    /// The handler function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module the handler is declared in (`module_path!()`).
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// The crate the handler is declared in: the first segment of [`Route::module_path`].
    pub fn crate_name(&self) -> &'static str {
        // A module path has `:` only in `::` separators; a `char` split is a byte search.
        self.module_path
            .split(':')
            .next()
            .unwrap_or(self.module_path)
    }

    /// The source file of the handler (`file!()`).
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the `#[route]` attribute.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The `State<T>` types the handler's arguments need.
    pub fn state(&self) -> &'static [StateRequirement] {
        self.state
    }

    /// The route's own body limit (`#[route(POST "/upload", body_limit = 10485760)]`), which
    /// overrides the server's default.
    pub fn body_limit(&self) -> Option<usize> {
        self.body_limit
    }

    /// The route's tags (`tags = ["admin"]`). (Placeholder until the `tags` option lands.)
    pub fn tags(&self) -> &'static [&'static str] {
        &[]
    }

    /// `file:line`, the way conflicts and the route table name a route.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("methods", &self.methods)
            .field("path", &self.path)
            .field(
                "handler",
                &format_args!("{}::{}", self.module_path, self.name),
            )
            .field("location", &self.location())
            .field("state", &self.state)
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
