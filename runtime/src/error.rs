//! The errors of building and serving an application.

use std::fmt;
use std::io;

use routemark_path::MethodSet;

use crate::route::Route;

/// What [`App::serve`](crate::App::serve) and [`Server`](crate::Server) return on failure.
///
/// Its `Debug` is the readable report of its `Display` (as `anyhow`'s is), so that a `main`
/// returning `Result<(), routemark::Error>` prints the report, not a struct dump; `{:#?}`
/// still prints the structure.
#[non_exhaustive]
pub enum Error {
    /// The route table has problems; the server did not start.
    Build(BuildError),
    /// The address could not be bound.
    Bind {
        /// The address as given.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// Any other I/O failure of the server.
    Io(io::Error),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            Error::Build(e) => f.debug_tuple("Build").field(e).finish(),
            Error::Bind { addr, source } => f
                .debug_struct("Bind")
                .field("addr", addr)
                .field("source", source)
                .finish(),
            Error::Io(e) => f.debug_tuple("Io").field(e).finish(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Build(e) => e.fmt(f),
            Error::Bind { addr, source } => write!(f, "cannot listen on `{addr}`: {source}"),
            Error::Io(e) => write!(f, "server I/O error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Build(e) => Some(e),
            Error::Bind { source, .. } => Some(source),
            Error::Io(e) => Some(e),
        }
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Error {
        Error::Build(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

/// Every problem of a route table, found at once when an [`App`](crate::App) is built.
///
/// Its `Display` lists them one per paragraph, each naming the routes with `file:line`:
///
/// ```text
/// 2 problems in the route table:
/// error: routes conflict on `GET /users/<>`:
///   `GET /users/<id>` (users::get_user) at src/users.rs:12
///   `GET /users/<name>` (admin::by_name) at admin/src/lib.rs:40
/// error: route `GET /stats` needs `State<app::Db>`, which was never provided
///   `stats` at src/main.rs:30; call `App::state` with a `app::Db`
/// ```
///
/// Its `Debug` is that report too (`{:#?}` prints the structure), so that
/// `routemark::check().unwrap()` and a `main` that returns the error read well.
pub struct BuildError {
    problems: Vec<Problem>,
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("BuildError")
                .field("problems", &self.problems)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

/// One problem of a route table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Problem {
    /// Two routes can match the same request with the same method, and neither wins by
    /// priority: they have the same method and the same path shape. Within one crate this is
    /// a compile error; across crates it is found here.
    Conflict {
        /// The route declared first (by crate, file and line).
        first: &'static Route,
        /// The other route.
        second: &'static Route,
        /// The methods both declare.
        methods: MethodSet,
    },
    /// A route takes `State<T>` and the application was never given a `T`.
    MissingState {
        /// The route.
        route: &'static Route,
        /// `T`, as `std::any::type_name` spells it.
        type_name: &'static str,
    },
    /// A route's path does not parse. `#[route]` rejects such paths at compile time, so this
    /// comes only from routes built by hand.
    InvalidPath {
        /// The route.
        route: &'static Route,
        /// What is wrong.
        message: String,
    },
    /// A service given to [`App::nest_service`](crate::App::nest_service) has a prefix that
    /// is not a plain path (`/legacy`, no trailing slash, no parameter), or shares it with
    /// a route or another service.
    NestedService {
        /// The prefix as given.
        prefix: String,
        /// `file:line` of the `nest_service` call.
        location: String,
        /// What is wrong, naming the other side of a conflict.
        message: String,
    },
    /// The overlay given at start-up (`App::overlay_file`, `ROUTEMARK_OVERLAY_FILE`) does not
    /// fit the routes.
    Overlay {
        /// Where it came from.
        source: String,
        /// Every reason.
        problems: Vec<String>,
    },
    /// A route is declared on a path the framework serves on the main listener (a probe,
    /// `/metrics`).
    ReservedPath {
        /// The route.
        route: &'static Route,
        /// The framework's path it collides with.
        path: &'static str,
    },
}

impl BuildError {
    pub(crate) fn new(problems: Vec<Problem>) -> BuildError {
        BuildError { problems }
    }

    /// Every problem found, conflicts first.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

pub(crate) fn describe(route: &Route) -> String {
    format!(
        "`{} {}` ({}::{}) at {}",
        route.methods(),
        route.path(),
        route.module_path(),
        route.name(),
        route.location()
    )
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Conflict {
                first,
                second,
                methods,
            } => {
                let shape = routemark_path::PathTemplate::parse(first.path_without_query())
                    .map(|t| t.shape())
                    .unwrap_or_else(|_| first.path().to_owned());
                write!(
                    f,
                    "error: routes conflict on `{methods} {shape}`:\n  {}\n  {}",
                    describe(first),
                    describe(second)
                )
            }
            Problem::MissingState { route, type_name } => write!(
                f,
                "error: route `{} {}` needs `State<{type_name}>`, which was never provided\n  `{}` at {}; call `App::state` with a `{type_name}`",
                route.methods(),
                route.path(),
                route.name(),
                route.location()
            ),
            Problem::InvalidPath { route, message } => {
                write!(f, "error: {message}\n  {}", describe(route))
            }
            Problem::Overlay { source, problems } => {
                write!(f, "error: the overlay {source} is rejected:")?;
                for problem in problems {
                    write!(f, "\n  {problem}")?;
                }
                Ok(())
            }
            Problem::ReservedPath { route, path } => write!(
                f,
                "error: route {} is on `{path}`, which routemark serves (health probes and metrics)\n  move them to their own listener with `App::admin_addr(..)`, switch them off with `App::probes(false)` / `App::metrics(false)`, or move the route",
                describe(route)
            ),
            Problem::NestedService {
                prefix,
                location,
                message,
            } => write!(
                f,
                "error: {message}\n  `nest_service(\"{prefix}\", ..)` at {location}"
            ),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.len() {
            1 => writeln!(f, "1 problem in the route table:")?,
            n => writeln!(f, "{n} problems in the route table:")?,
        }
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BuildError {}
