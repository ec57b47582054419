//! Route entries and the table they make: what `App::build` turns each descriptor into, and
//! how a table is built again (same checks) when it changes at run time.

use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use routemark_path::{Method, MethodSet, PathTemplate};

use super::RouteFuture;
use super::layer::{LayerFn, RouteFilter, RouteService};
use crate::Body;
use crate::dispatch::{RouterConfig, run, validate};
use crate::error::{BuildError, Problem, describe};
use crate::observe::{Builtin, Observe, RouteMetrics};
use crate::overlay::model::{Plan, key as overlay_key};
use crate::overlay::split::Splitter;
use crate::request::{RequestParts, StateMap};
use crate::resilience::{Guard, Refusal, Registry, Settings};
use crate::route::{HandlerFn, Route};
use crate::router::{ParamRanges, RouteTable, RouteTableBuilder};
use crate::tenant::{TenantConfig, Tenants, scoped_segments};
use std::collections::HashMap;

/// A route's traffic splits, by method (the overlay's).
pub(crate) type Splits = Box<[(Method, Arc<Splitter>)]>;

/// One route of the live table: the descriptor with what the application adds to it.
///
/// One cache line, every field of it read by a request on the fast path: the table's 203
/// routes of the e2e app take turns, so a route's entry is rarely still in the cache when its
/// next request comes. What only a layered or split route needs is behind a thin box.
#[repr(align(64))]
pub(crate) struct RouteEntry {
    pub(crate) route: &'static Route,
    /// The route's handler, copied from its descriptor: the request's path then reads this
    /// entry, not the descriptor's line too.
    pub(crate) handler: HandlerFn,
    /// The route's own limit, else the application's.
    pub(crate) body_limit: usize,
    /// The route layers that select this route, around its handler; `None` keeps the fast
    /// path (the handler called directly, nothing boxed).
    pub(crate) layered: Option<Box<RouteService>>,
    /// The route's timeout, concurrency limit and breaker; `None` keeps the fast path.
    pub(crate) guard: Option<Arc<Guard>>,
    /// The route's request metrics, resolved once (`None` when metrics are off).
    pub(crate) metrics: Option<Arc<RouteMetrics>>,
    /// The overlay's traffic splits, by method; `None` without one.
    pub(crate) splits: Option<Box<Splits>>,
    /// Whether the handler's requests carry the application state: not when its shim runs
    /// no extractor ([`Route::reads_state`]), which spares each request the state's
    /// reference count.
    pub(crate) reads_state: bool,
}

/// A service mounted under a prefix.
pub(crate) struct NestedEntry {
    pub(crate) prefix: Arc<str>,
    pub(crate) service: RouteService,
    pub(crate) metrics: Option<Arc<RouteMetrics>>,
}

/// What a path of the table leads to.
pub(crate) enum Entry {
    Route(RouteEntry),
    Nested(Box<NestedEntry>),
    /// A probe or `/metrics`, served by the framework.
    Builtin(Builtin),
}

// A route's entry is one line of the table's array, not two (see `RouteEntry`).
const _: () = assert!(size_of::<Entry>() == 64);

/// A built table: what one request is routed with from start to end.
pub(crate) struct Table {
    pub(crate) routes: RouteTable<Entry>,
    /// Every method some route serves (`OPTIONS *`).
    pub(crate) all_methods: MethodSet,
    /// What no route matches, instead of `404`.
    pub(crate) fallback: Option<RouteService>,
    /// The descriptors, in `App::routes` order.
    pub(crate) descriptors: Vec<&'static Route>,
    /// The declared tenants and how a request names one; `None` without tenancy, which
    /// routes every request as shared.
    pub(crate) tenants: Option<Tenants>,
    /// What the start-up table warns about (tenant routes no request can reach).
    pub(crate) warnings: Vec<String>,
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
    pub(crate) resilience: Arc<Registry>,
    /// Probes, metrics and where they are served.
    pub(crate) observe: Arc<Observe>,
    /// `App::tenancy` and `App::tenant_state`.
    pub(crate) tenants: TenantConfig,
}

/// Who put a path into the table, to name both sides of a conflict.
enum Origin {
    Route(&'static Route),
    Nest(usize),
    Builtin(&'static str),
}

impl Recipe {
    /// Builds the table of `routes`, or reports every problem: paths that do not parse,
    /// conflicts (between routes, and with nested services), `State<T>` never provided.
    pub(crate) fn build(&self, routes: &[&'static Route]) -> Result<Table, BuildError> {
        self.build_overlaid(routes, &Plan::default(), &mut HashMap::new(), true)
    }

    /// [`build`](Self::build) with an overlay's plan: disabled methods left out, aliases
    /// added, splits attached. `splitters` holds the live table's split choosers on the way
    /// in (one whose weights did not change keeps its counters) and the new table's on the
    /// way out. `check_state`: whether to run the missing-state check, which calls every
    /// handler's shim once (an overlay over routes already checked skips it: it cannot add
    /// a handler).
    pub(crate) fn build_overlaid(
        &self,
        routes: &[&'static Route],
        plan: &Plan,
        splitters: &mut HashMap<(usize, Method), Arc<Splitter>>,
        check_state: bool,
    ) -> Result<Table, BuildError> {
        let mut problems = Vec::new();
        let mut builder = RouteTableBuilder::new();
        let mut origins = Vec::new();
        let mut kept = HashMap::new();
        for &route in routes {
            let methods: MethodSet = route
                .methods()
                .iter()
                .filter(|&m| !plan.disabled.contains(&overlay_key(route, m)))
                .collect();
            if methods.is_empty() {
                continue;
            }
            match PathTemplate::parse(route.path()) {
                Ok(template) => {
                    let mut entry = self.entry(route, plan);
                    entry.splits = self.splits(route, plan, splitters, &mut kept);
                    let entry = Entry::Route(entry);
                    match route.tenant() {
                        None => builder.insert_owned(methods, template, entry),
                        Some(tenant) => builder.insert_segments(
                            methods,
                            scoped_segments(tenant, template),
                            entry,
                        ),
                    }
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
                let entry = Entry::Nested(Box::new(NestedEntry {
                    prefix: nest.prefix.as_str().into(),
                    service: nest.service.clone(),
                    metrics: self
                        .observe
                        .metrics
                        .as_ref()
                        .map(|m| m.nested(&nest.prefix)),
                }));
                // Every method: a nested service answers them all.
                builder.insert_owned(Method::ALL.into_iter().collect(), template, entry);
                origins.push(Origin::Nest(index));
            }
        }
        *splitters = kept;
        for alias in &plan.aliases {
            // Validated by the plan: it parses and binds the target's parameters.
            if let Ok(template) = PathTemplate::parse(&alias.identity.template) {
                let methods = MethodSet::single(alias.identity.method);
                let entry = Entry::Route(self.entry(alias.target, plan));
                match &alias.identity.tenant {
                    None => builder.insert_owned(methods, template, entry),
                    Some(tenant) => {
                        builder.insert_segments(methods, scoped_segments(tenant, template), entry);
                    }
                }
                origins.push(Origin::Route(alias.target));
            }
        }
        for (path, builtin) in self.observe.builtins_on_main() {
            let Ok(template) = PathTemplate::parse(path) else {
                unreachable!("the built-in paths parse");
            };
            // Every method, so that a user route of any method on the path is reported.
            builder.insert_owned(
                Method::ALL.into_iter().collect(),
                template,
                Entry::Builtin(builtin),
            );
            origins.push(Origin::Builtin(path));
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
                        Origin::Builtin(path) => (2, path.as_ptr() as usize),
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
                        (Origin::Builtin(path), Origin::Route(route))
                        | (Origin::Route(route), Origin::Builtin(path)) => {
                            problems.push(Problem::ReservedPath { route, path });
                        }
                        (Origin::Builtin(path), Origin::Nest(n))
                        | (Origin::Nest(n), Origin::Builtin(path)) => {
                            problems.push(nest_problem(
                                &self.nested[*n],
                                format!(
                                    "the nested service covers `{path}`, which routemark serves; move the probes and metrics with `App::admin_addr`, or switch them off with `App::probes(false)` / `App::metrics(false)`"
                                ),
                            ));
                        }
                        (Origin::Builtin(_), Origin::Builtin(_)) => {}
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
        let tenants = table.as_ref().and_then(|table| {
            Tenants::build(&self.tenants, routes, table, &self.state, &mut problems)
        });
        if check_state {
            problems.extend(missing_state(routes, &self.state, tenants.as_ref()));
        }
        match table {
            Some(routes_table) if problems.is_empty() => {
                let warnings = unreachable_tenants(routes, tenants.as_ref());
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
                    tenants,
                    warnings,
                })
            }
            _ => Err(BuildError::new(problems)),
        }
    }

    /// The split choosers of `route`'s methods in `plan`: the old one when its weights are
    /// the same (its counters go on), else a new one.
    fn splits(
        &self,
        route: &'static Route,
        plan: &Plan,
        old: &HashMap<(usize, Method), Arc<Splitter>>,
        kept: &mut HashMap<(usize, Method), Arc<Splitter>>,
    ) -> Option<Box<Splits>> {
        if plan.splits.is_empty() {
            return None;
        }
        let splits: Splits = route
            .methods()
            .iter()
            .filter_map(|method| {
                let key = overlay_key(route, method);
                let split = plan.splits.get(&key)?;
                let handle = |r: &'static Route| self.observe.metrics.as_ref().map(|m| m.route(r));
                let fresh = Splitter::new(route, &split.targets, split.sticky.clone(), handle);
                let splitter = match old.get(&key) {
                    Some(old) if old.same_as(&fresh) => old.clone(),
                    _ => Arc::new(fresh),
                };
                kept.insert(key, splitter.clone());
                Some((method, splitter))
            })
            .collect();
        (!splits.is_empty()).then(|| Box::new(splits))
    }

    /// The entry of `route`: its limits, its resilience (the attribute's options with the
    /// overlay's over them) and the route layers that select it.
    fn entry(&self, route: &'static Route, plan: &Plan) -> RouteEntry {
        let body_limit = route.body_limit().unwrap_or(self.config.body_limit);
        // The overlay addresses a route by method; an entry serves all of its methods, and
        // takes the first override found (routes of several methods rarely get one).
        let over = if plan.resilience.is_empty() {
            None
        } else {
            route
                .methods()
                .iter()
                .find_map(|method| plan.resilience.get(&overlay_key(route, method)))
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
            Box::new(selected.fold(handler, |inner, (_, layer)| layer(inner)))
        });
        RouteEntry {
            route,
            handler: route.handler(),
            body_limit,
            layered,
            guard,
            metrics: self.observe.metrics.as_ref().map(|m| m.route(route)),
            splits: None,
            reads_state: route.reads_state(),
        }
    }
}

/// Rule (a warning): a tenant route is reachable by the chosen tenancy. Without tenancy no
/// request names a tenant; a host tenancy names only the tenants of its map.
fn unreachable_tenants(routes: &[&'static Route], tenants: Option<&Tenants>) -> Vec<String> {
    let mut warnings = Vec::new();
    for route in routes {
        let Some(tenant) = route.tenant() else {
            // Under path-prefix tenancy, a shared path that starts with a tenant's name is
            // that tenant's prefix: the route is reached only under `/acme/acme/…`.
            if let Some(tenant) = tenants.and_then(|t| t.prefix_shadowing(route.path())) {
                warnings.push(format!(
                    "warning: shared route `{}` starts with tenant `{tenant}`, which path-prefix tenancy strips first: it answers at `/{tenant}{}` only\n  `{}` at {}",
                    route.identity(),
                    route.path_without_query(),
                    route.name(),
                    route.location()
                ));
            }
            continue;
        };
        let why = match tenants {
            None => "no `App::tenancy` is set",
            Some(tenants) if !tenants.reachable(tenant) => "no host of `Tenancy::host` maps to it",
            Some(_) => continue,
        };
        warnings.push(format!(
            "warning: route `{}` of tenant `{tenant}` is unreachable: {why}\n  `{}` at {}",
            route.identity(),
            route.name(),
            route.location()
        ));
    }
    warnings
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

/// Rule: every `State<T>` a route takes was given to [`App::state`](crate::App::state), or,
/// for a tenant's route, to [`App::tenant_state`](crate::App::tenant_state) for its tenant.
fn missing_state(
    routes: &[&'static Route],
    state: &StateMap,
    tenants: Option<&Tenants>,
) -> Vec<Problem> {
    let mut missing = std::collections::BTreeMap::new();
    for &route in routes {
        let state = match (route.tenant(), tenants) {
            (Some(tenant), Some(tenants)) => tenants.state(tenant).unwrap_or(state),
            _ => state,
        };
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
    /// The tenant's state, for a tenant's request.
    pub(crate) state: Option<Arc<StateMap>>,
}

/// The innermost service of a layered route: its handler, run as on the fast path.
pub(crate) fn handler_service(
    route: &'static Route,
    state: Arc<StateMap>,
    body_limit: usize,
    app_timeout: Duration,
    guard: Option<Arc<Guard>>,
) -> RouteService {
    RouteService::handler(HandlerService {
        route,
        state,
        body_limit,
        app_timeout,
        guard,
    })
}

/// A route's handler as the innermost service of its route layers. A type of its own, not
/// a boxed closure: the stack is cloned per request, and a handler that answers at once
/// (a `fn` handler) is the answer itself ([`RouteFuture`]), neither boxed.
#[derive(Clone)]
pub(crate) struct HandlerService {
    route: &'static Route,
    state: Arc<StateMap>,
    body_limit: usize,
    app_timeout: Duration,
    guard: Option<Arc<Guard>>,
}

impl HandlerService {
    pub(crate) fn call(&self, request: http::Request<Body>) -> RouteFuture {
        let route = self.route;
        let (mut head, body) = request.into_parts();
        let found = head.extensions.remove::<RouteMatch>();
        let client_id = validate::request_id(&head.headers);
        let method = found.as_ref().map_or(Method::Get, |found| found.method);
        let (params, tenant_state) = match found {
            Some(found) => (found.params, found.state),
            None => (ParamRanges::default(), None),
        };
        // A tenant's request gets the tenant's state.
        let state = tenant_state.unwrap_or_else(|| self.state.clone());
        let mut parts = RequestParts::new(head, state, self.body_limit);
        parts.params = params;
        parts.route = Some(route);
        let timeout = self
            .guard
            .as_ref()
            .map_or(self.app_timeout, |guard| guard.timeout(self.app_timeout));
        match self.guard.as_ref().map(|guard| (guard, guard.enter())) {
            None => match run::start(route.handler(), parts, body, &tracing::Span::none()) {
                run::Begun::Answered(mut response) => {
                    run::head_only(method, &mut response);
                    RouteFuture::ready(response)
                }
                begun => RouteFuture::later(Box::pin(async move {
                    let id = client_id.as_ref();
                    Ok(run::finish(begun, route, method, timeout, id, run::Canned).await)
                })),
            },
            Some((guard, Ok(ticket))) => {
                let mut ticket = ticket.own(guard.clone());
                RouteFuture::later(Box::pin(async move {
                    ticket.keep_for_fallback(|| parts.snapshot());
                    let begun = run::start(route.handler(), parts, body, &tracing::Span::none());
                    let id = client_id.as_ref();
                    let response =
                        run::finish(begun, route, method, timeout, id, Some(&mut ticket)).await;
                    ticket.leave(&response, tokio::time::Instant::now());
                    Ok(response)
                }))
            }
            Some((guard, Err(why))) => {
                let answer = Refusal::new(guard, why).answer(parts, method, client_id);
                RouteFuture::later(Box::pin(async move { Ok(answer.await) }))
            }
        }
    }
}
