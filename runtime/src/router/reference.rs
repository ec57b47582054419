//! A brute-force reading of the [routing semantics](super#routing-semantics), for property
//! tests and fuzz targets: every route's [`PathTemplate::match_path`], filtered by method,
//! minimum rank sequence; conflicts as every pair of the same shape with a common method.
//!
//! It is slow on purpose (no trie, no backtracking, quadratic conflict search), so that it
//! is obviously the documentation. Compiled for the crate's own tests and with the
//! `reference` feature, which the fuzz targets enable; not part of the stable API.

use routemark_path::{Method, MethodSet, PathTemplate, Segment};

use super::{Conflict, Lookup, RouteTable, RouteTableBuilder};

/// A route as the reference sees it: its declared methods and its template. A route's
/// index in the slice is its insertion index (and, in tables built by [`build`], its value).
pub type RouteSpec = (MethodSet, PathTemplate);

/// A lookup result with the route named by its index and the parameters as plain strings,
/// so that the router's answer and the reference's compare with `==`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected<'p> {
    /// The index of the winning route and its raw parameters, in path order.
    Found(usize, Vec<&'p str>),
    /// The `Allow` set.
    MethodNotAllowed(MethodSet),
    /// No route matches the path.
    NotFound,
}

/// The rank of each segment of `t`: the routing priority, lexicographically.
pub fn ranks(t: &PathTemplate) -> Vec<u8> {
    t.segments().iter().map(Segment::rank).collect()
}

/// Whether route `i` serves `method`: it declares it, or the method is `HEAD`, it declares
/// `GET` and no route of its shape declares `HEAD`.
pub fn serves(routes: &[RouteSpec], i: usize, method: Method) -> bool {
    let (ms, t) = &routes[i];
    ms.contains(method)
        || (method == Method::Head
            && ms.contains(Method::Get)
            && !routes
                .iter()
                .any(|(m, u)| m.contains(Method::Head) && u.shape() == t.shape()))
}

/// The brute-force router. Panics on a tie between two serving routes, which only a
/// conflict could cause (so only call it on tables that built).
pub fn reference<'p>(routes: &[RouteSpec], method: Method, path: &'p str) -> Expected<'p> {
    let matching: Vec<(usize, Vec<&'p str>)> = routes
        .iter()
        .enumerate()
        .filter_map(|(i, (_, t))| t.match_path(path).map(|p| (i, p)))
        .collect();
    if matching.is_empty() {
        return Expected::NotFound;
    }
    let mut serving: Vec<&(usize, Vec<&str>)> = matching
        .iter()
        .filter(|(i, _)| serves(routes, *i, method))
        .collect();
    serving.sort_by_key(|(i, _)| ranks(&routes[*i].1));
    if let Some((i, params)) = serving.first() {
        if let Some((j, _)) = serving.get(1) {
            assert_ne!(ranks(&routes[*i].1), ranks(&routes[*j].1), "tie");
        }
        return Expected::Found(*i, params.clone());
    }
    let mut allow = matching
        .iter()
        .fold(MethodSet::EMPTY, |acc, (i, _)| acc.union(routes[*i].0))
        .with(Method::Options);
    if allow.contains(Method::Get) {
        allow = allow.with(Method::Head);
    }
    Expected::MethodNotAllowed(allow)
}

/// Every pair with the same shape and a common method, sorted by `(first, second)`: what
/// [`RouteTableBuilder::build`] must report.
pub fn conflicts(routes: &[RouteSpec]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, (mi, ti)) in routes.iter().enumerate() {
        for (j, (mj, tj)) in routes.iter().enumerate().skip(i + 1) {
            let common = mi.intersection(*mj);
            if ti.shape() == tj.shape() && !common.is_empty() {
                out.push(Conflict {
                    first: i,
                    second: j,
                    methods: common,
                });
            }
        }
    }
    out
}

/// The pairs `(i, j)`, `i < j`, of routes that both declare `method`, both match `path`, and
/// have equal rank sequences: neither would win by priority, so the build must have
/// reported each pair as a conflict on `method`.
pub fn ties(routes: &[RouteSpec], method: Method, path: &str) -> Vec<(usize, usize)> {
    let tied: Vec<usize> = routes
        .iter()
        .enumerate()
        .filter(|(_, (ms, t))| ms.contains(method) && t.match_path(path).is_some())
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    for (k, &i) in tied.iter().enumerate() {
        for &j in &tied[k + 1..] {
            if ranks(&routes[i].1) == ranks(&routes[j].1) {
                out.push((i, j));
            }
        }
    }
    out
}

/// The routes kept when each is dropped if it conflicts with an earlier kept one: a table
/// that builds.
pub fn accepted(routes: impl IntoIterator<Item = RouteSpec>) -> Vec<RouteSpec> {
    let mut kept: Vec<RouteSpec> = Vec::new();
    for (ms, t) in routes {
        let clash = kept
            .iter()
            .any(|(m, u)| u.shape() == t.shape() && !m.intersection(ms).is_empty());
        if !clash {
            kept.push((ms, t));
        }
    }
    kept
}

/// Builds the table of `routes`, each route's value being its index.
///
/// # Errors
///
/// The conflicts, as [`RouteTableBuilder::build`] reports them.
pub fn build(routes: &[RouteSpec]) -> Result<RouteTable<usize>, Vec<Conflict>> {
    let mut b = RouteTableBuilder::new();
    for (i, (ms, t)) in routes.iter().enumerate() {
        b.insert(*ms, t, i);
    }
    b.build()
}

/// The router's answer in the reference's terms, for a table built by [`build`].
pub fn actual<'p>(table: &RouteTable<usize>, method: Method, path: &'p str) -> Expected<'p> {
    match table.lookup(method, path) {
        Lookup::Found { value, params } => Expected::Found(*value, params.iter().collect()),
        Lookup::MethodNotAllowed { allow } => Expected::MethodNotAllowed(allow),
        Lookup::NotFound => Expected::NotFound,
    }
}

/// Renders routes as `GET|POST /a/<x>` lines, for failure messages.
pub fn describe(routes: &[RouteSpec]) -> Vec<String> {
    routes.iter().map(|(m, t)| format!("{m} {t}")).collect()
}
