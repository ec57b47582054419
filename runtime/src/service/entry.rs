//! Route entries and the table they make: what `App::build` turns each descriptor into, and
//! how a table is built again (same checks) when it changes at run time.

use std::convert::Infallible;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::Either;

use routemark_path::{Method, MethodSet, PathTemplate};

use super::layer::{LayerFn, RouteFilter, RouteService};
use crate::Body;
use crate::dispatch::{RouterConfig, run, validate};
use crate::error::{BuildError, Problem, describe};
use crate::request::{RequestParts, StateMap};
use crate::resilience::{Guard, Registry, ResilienceOverride, Settings};
use crate::route::Route;
use crate::router::{ParamRanges, RouteTable, RouteTableBuilder};

/// One route of the live table: the descriptor with what the application adds to it.
pub(crate) struct RouteEntry {
    pub(crate) route: &'static Route,
    /// The route's own limit, else the application's.
    pub(crate) body_limit: usize,
    /// The route layers that select this route, around its handler; `None` keeps the fast
    /// path (the handler called directly, nothing boxed).
    pub(crate) layered: Option<RouteService>,
    /// The route's timeout, concurrency limit and breaker; `None` keeps the fast path.
    pub(crate) guard: Option<Arc<Guard>>,
    // Metrics handles (issue 13) hang here.
}

/// A service mounted under a prefix.
pub(crate) struct NestedEntry {
    pub(crate) prefix: Arc<str>,
    pub(crate) service: RouteService,
}

/// What a path of the table leads to.
pub(crate) enum Entry {
    Route(RouteEntry),
    Nested(NestedEntry),
}

/// A built table: what one request is routed with from start to end.
pub(crate) struct Table {
    pub(crate) routes: RouteTable<Entry>,
    /// Every method some route serves (`OPTIONS *`).
    pub(crate) all_methods: MethodSet,
    /// What no route matches, instead of `404`.
    pub(crate) fallback: Option<RouteService>,
    /// The descriptors, in `App::routes` order.
    pub(crate) descriptors: Vec<&'static Route>,
}

/// A service given to `App::nest_service`, kept until the table is built.
pub(crate) struct Nest {
    pub(crate) prefix: String,
    pub(crate) service: RouteService,
    pub(crate) location: &'static Location<'static>,
}

/// Everything a table is built from besides its routes, kept by the router so that a table
/// built again at run time gets the same layers, services and checks.
pub(crate) struct Recipe {
    pub(crate) state: Arc<StateMap>,
    pub(crate) config: RouterConfig,
    pub(crate) route_layers: Vec<(RouteFilter, LayerFn)>,
    pub(crate) nested: Vec<Nest>,
    pub(crate) fallback: Option<RouteService>,
    /// What each route's resilience keeps across tables (in-flight count, breaker).
    pub(crate) resilience: Registry,
    /// The overlay's resilience overrides, by route identity (`GET /users/<id>`).
    pub(crate) overrides: std::sync::Mutex<std::collections::HashMap<String, ResilienceOverride>>,
}

/// Who put a path into the table, to name both sides of a conflict.
enum Origin {
    Route(&'static Route),
    Nest(usize),
}

impl Recipe {
    /// Builds the table of `routes`, or reports every problem: paths that do not parse,
    /// conflicts (between routes, and with nested services), `State<T>` never provided.
    pub(crate) fn build(&self, routes: &[&'static Route]) -> Result<Table, BuildError> {
        let overrides = self
            .overrides
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut problems = Vec::new();
        let mut builder = RouteTableBuilder::new();
        let mut origins = Vec::new();
        for &route in routes {
            match PathTemplate::parse(route.path()) {
                Ok(template) => {
                    builder.insert_owned(
                        route.methods(),
                        template,
                        Entry::Route(self.entry(route, &overrides)),
                    );
                    origins.push(Origin::Route(route));
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
        for (index, nest) in self.nested.iter().enumerate() {
            let templates = match nest_templates(&nest.prefix) {
                Ok(templates) => templates,
                Err(message) => {
                    problems.push(nest_problem(nest, message));
                    continue;
                }
            };
            for template in templates {
                let entry = Entry::Nested(NestedEntry {
                    prefix: nest.prefix.as_str().into(),
                    service: nest.service.clone(),
                });
                // Every method: a nested service answers them all.
                builder.insert_owned(Method::ALL.into_iter().collect(), template, entry);
                origins.push(Origin::Nest(index));
            }
        }
        let table = match builder.build() {
            Ok(table) => Some(table),
            Err(conflicts) => {
                // A nested service puts two paths in the table (the prefix, and what is
                // under it): report each pair of parties once.
                let mut reported = std::collections::HashSet::new();
                for c in conflicts {
                    let party = |origin: &Origin| match origin {
                        Origin::Route(route) => (0, std::ptr::from_ref(*route) as usize),
                        Origin::Nest(n) => (1, *n),
                    };
                    if !reported.insert((party(&origins[c.first]), party(&origins[c.second]))) {
                        continue;
                    }
                    match (&origins[c.first], &origins[c.second]) {
                        (Origin::Route(first), Origin::Route(second)) => {
                            problems.push(Problem::Conflict {
                                first,
                                second,
                                methods: c.methods,
                            });
                        }
                        (Origin::Nest(n), Origin::Route(route))
                        | (Origin::Route(route), Origin::Nest(n)) => {
                            problems.push(nest_problem(
                                &self.nested[*n],
                                format!(
                                    "a nested service and route {} serve the same paths",
                                    describe(route)
                                ),
                            ));
                        }
                        (Origin::Nest(a), Origin::Nest(b)) if a == b => {}
                        (Origin::Nest(a), Origin::Nest(b)) => {
                            let other = &self.nested[*b];
                            problems.push(nest_problem(
                                &self.nested[*a],
                                format!(
                                    "two nested services under the same prefix; the other is `nest_service(\"{}\", ..)` at {}",
                                    other.prefix, other.location
                                ),
                            ));
                        }
                    }
                }
                None
            }
        };
        problems.extend(missing_state(routes, &self.state));
        match table {
            Some(routes_table) if problems.is_empty() => {
                let mut all_methods = routes
                    .iter()
                    .fold(MethodSet::EMPTY, |acc, r| acc.union(r.methods()));
                if all_methods.contains(Method::Get) {
                    all_methods = all_methods.with(Method::Head);
                }
                Ok(Table {
                    routes: routes_table,
                    all_methods,
                    fallback: self.fallback.clone(),
                    descriptors: routes.to_vec(),
                })
            }
            _ => Err(BuildError::new(problems)),
        }
    }

    /// The entry of `route`: its limits, its resilience and the route layers that select
    /// it.
    fn entry(
        &self,
        route: &'static Route,
        overrides: &std::collections::HashMap<String, ResilienceOverride>,
    ) -> RouteEntry {
        let body_limit = route.body_limit().unwrap_or(self.config.body_limit);
        let over = if overrides.is_empty() {
            None
        } else {
            route.identities().find_map(|id| overrides.get(&id))
        };
        let guard = Guard::new(route, Settings::of(route, over), &self.resilience);
        let mut selected = self
            .route_layers
            .iter()
            .filter(|(filter, _)| filter.matches(route))
            .peekable();
        let layered = selected.peek().is_some().then(|| {
            let handler = handler_service(
                route,
                self.state.clone(),
                body_limit,
                self.config.handler_timeout,
                guard.clone(),
            );
            selected.fold(handler, |inner, (_, layer)| layer(inner))
        });
        RouteEntry {
            route,
            body_limit,
            layered,
            guard,
        }
    }
}

fn nest_problem(nest: &Nest, message: String) -> Problem {
    Problem::NestedService {
        prefix: nest.prefix.clone(),
        location: nest.location.to_string(),
        message,
    }
}

/// Rule: a nested service's prefix is a plain path of static segments (`/legacy`,
/// `/api/v1`), without a trailing slash; it serves the prefix itself and everything under
/// it.
fn nest_templates(prefix: &str) -> Result<[PathTemplate; 2], String> {
    let invalid = |why: &str| format!("invalid nested service prefix `{prefix}`: {why}");
    if !prefix.starts_with('/') || prefix == "/" {
        return Err(invalid(
            "it must start with `/` and name a path (use `App::fallback_service` for `/`)",
        ));
    }
    if prefix.ends_with('/') {
        return Err(invalid("remove the trailing `/`"));
    }
    let exact = PathTemplate::parse(prefix).map_err(|errors| invalid(&errors[0].to_string()))?;
    if exact.path_params().next().is_some() || !exact.query().is_empty() {
        return Err(invalid("a prefix has no parameters or query"));
    }
    let under = PathTemplate::parse(&format!("{prefix}/<nested_path..>"))
        .map_err(|errors| invalid(&errors[0].to_string()))?;
    Ok([exact, under])
}

/// Rule: every `State<T>` a route takes was given to [`App::state`](crate::App::state).
fn missing_state(routes: &[&'static Route], state: &StateMap) -> Vec<Problem> {
    let mut missing = std::collections::BTreeMap::new();
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

/// What the lookup found, handed to a layered route's handler through the request
/// extensions (route layers must not rewrite the path: the ranges point into it).
#[derive(Clone)]
pub(crate) struct RouteMatch {
    pub(crate) method: Method,
    pub(crate) params: ParamRanges,
}

/// The innermost service of a layered route: its handler, run as on the fast path.
fn handler_service(
    route: &'static Route,
    state: Arc<StateMap>,
    body_limit: usize,
    app_timeout: Duration,
    guard: Option<Arc<Guard>>,
) -> RouteService {
    RouteService::new(tower::service_fn(move |request: http::Request<Body>| {
        let (mut head, body) = request.into_parts();
        let found = head.extensions.remove::<RouteMatch>();
        let client_id = validate::request_id(&head.headers);
        let method = found.as_ref().map_or(Method::Get, |found| found.method);
        let mut parts = RequestParts::new(head, state.clone(), body_limit);
        parts.params = found.map(|found| found.params).unwrap_or_default();
        parts.route = Some(route);
        let timeout = guard
            .as_ref()
            .map_or(app_timeout, |guard| guard.timeout(app_timeout));
        // Either way, the future is boxed once, by `RouteService`.
        let answer = match guard.clone().map(Guard::enter) {
            None => Either::Left(async move {
                let started = run::start(route, parts, body);
                let id = client_id.as_ref();
                run::finish(started, route, method, timeout, id, run::Canned).await
            }),
            Some(Ok(mut ticket)) => Either::Right(Either::Left(async move {
                ticket.keep_for_fallback(|| parts.snapshot());
                let started = run::start(route, parts, body);
                let id = client_id.as_ref();
                let response = run::finish(started, route, method, timeout, id, &mut ticket).await;
                ticket.leave(&response);
                response
            })),
            Some(Err(refusal)) => {
                Either::Right(Either::Right(refusal.answer(parts, method, client_id)))
            }
        };
        async move { Ok::<_, Infallible>(answer.await) }
    }))
}
