//! The route table: which route answers a request, written down once.
//!
//! A [`RouteTableBuilder`] collects routes (a [`MethodSet`], a [`PathTemplate`] and a value of
//! any type `T`), then [`build`](RouteTableBuilder::build)s an immutable [`RouteTable`], or
//! reports every [`Conflict`] at once. [`RouteTable::lookup`] takes a method and the raw
//! request path and returns a [`Lookup`]: the winning value with its [`Params`], a
//! method-not-allowed answer with its `Allow` set, or not found.
//!
//! ```
//! use routemark::router::{Lookup, RouteTableBuilder};
//! use routemark_path::{Method, MethodSet, PathTemplate};
//!
//! let get = MethodSet::single(Method::Get);
//! let mut builder = RouteTableBuilder::new();
//! builder.insert(get, &PathTemplate::parse("/users/<id>").unwrap(), "user");
//! builder.insert(get, &PathTemplate::parse("/users/me").unwrap(), "me");
//! let table = builder.build().unwrap();
//!
//! match table.lookup(Method::Get, "/users/a%2Fb") {
//!     Lookup::Found { value, params } => {
//!         assert_eq!(*value, "user");
//!         assert_eq!(params.get(0), Some("a%2Fb")); // raw: decoding is the caller's job
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(table.lookup(Method::Get, "/users/me"), Lookup::Found { value: &"me", .. }));
//! assert!(matches!(table.lookup(Method::Post, "/users/me"), Lookup::MethodNotAllowed { .. }));
//! assert!(matches!(table.lookup(Method::Get, "/users/me/"), Lookup::NotFound));
//! ```
//!
//! # Routing semantics
//!
//! This section is the definition; the tests of this module refer to it, and check the router
//! against a brute-force implementation of it.
//!
//! ## What one template matches
//!
//! Exactly what [`PathTemplate::match_path`] says. The request path is the raw path of the
//! request target, without the query, and is never decoded or normalised before matching:
//!
//! - The path must start with `/`; anything else (`*`, `http://a/b`, the empty string) matches
//!   nothing. The path after the leading `/` is split at every `/` into segments, so `/` is
//!   one empty segment and `/a/` is `a` followed by an empty segment.
//! - A static segment matches a segment with the same bytes. Case, percent-encoding and dot
//!   segments are significant: `/a/../b` is the three segments `a`, `..`, `b`, and `%2e` is not
//!   `.`.
//! - `<name>` matches exactly one non-empty segment. `%2F` is not a `/`, so `/p/a%2Fb` gives
//!   `<name>` = `a%2Fb`, while `/p/a/b` does not match `/p/<name>`.
//! - `<name..>` matches the rest of the path from its segment on, provided that rest is not
//!   empty: one segment or more, slashes and empty segments included. `/f/<r..>` matches
//!   `/f/a`, `/f/a/b/`, `/f//b` (`r` = `/b`) but not `/f/` or `/f`.
//! - Every segment of the path must be consumed, so the trailing slash is significant: `/a`
//!   matches `/a` only, and `/a/` matches `/a/` only. Empty segments elsewhere (`/a//b`) are
//!   matched by a catch-all only.
//!
//! Parameter values are the raw text of their segments (or rest), in path order, in
//! [`Params`].
//!
//! ## Which template wins
//!
//! Of all templates that match the path **and serve the method** (below), the winner is the
//! one whose sequence of [`Segment::rank`]s is lexicographically smallest: at the first
//! segment where two matching templates differ in kind, static beats parameter, which beats
//! catch-all. This is independent of insertion order. It may mean backtracking: with
//! `/a/<x>/c/d` and `/a/b/<y>`, the path `/a/b/c/d` goes to the first (the second does not
//! match it) and `/a/b/c` to the second.
//!
//! Two templates that match the same path never have rank sequences where one is a proper
//! prefix of the other (a template whose segments are exhausted matched the whole path, so
//! the longer one could not have matched it too, unless both end in a catch-all at the same
//! position), so among the matching templates of distinct shapes the order is strict; see
//! [Conflicts](#conflicts) for templates of the same shape.
//!
//! ## Methods
//!
//! A route serves the methods it declares. In addition, a template for which no route
//! declares `HEAD` but one declares `GET` serves `HEAD` with that `GET` route; a route that
//! declares `HEAD` on the same template therefore wins over the `GET` route for `HEAD`
//! requests. The fallback is per template: a `HEAD` request for `/a/b`, with `GET /a/b` and
//! `HEAD /a/<x>`, goes to `GET /a/b`, which wins by priority.
//!
//! The result of a lookup is:
//!
//! - [`Lookup::Found`], with the winning template's value and parameters, when some template
//!   that serves the method matches the path;
//! - otherwise [`Lookup::MethodNotAllowed`] when some template matches the path at all, with
//!   `allow` = the union of the methods declared by the routes of every template that matches
//!   the path, plus `HEAD` when `GET` is in it, plus `OPTIONS` always (a server answers
//!   `OPTIONS` itself when no route declares it);
//! - otherwise [`Lookup::NotFound`].
//!
//! ## Conflicts
//!
//! Two inserted routes conflict if and only if their templates have the same
//! [shape](PathTemplate::shape) (the same segments, parameter names ignored; the query is
//! irrelevant to routing) and their method sets intersect. [`RouteTableBuilder::build`]
//! reports every conflicting pair, so three routes on one shape and method give three pairs,
//! sorted by `(first, second)`. `GET /x` and `HEAD /x` do not conflict: the `HEAD` route
//! serves `HEAD` and the `GET` route serves `GET`.
//!
//! These are the only ambiguous pairs. Two routes are ambiguous when some request matches
//! both, both serve its method, and neither wins by priority, that is, their templates have
//! the same rank sequence. Walk the path's segments left to right: at each position both
//! templates have the same kind of segment. Where both are static, both equal the path's
//! segment byte for byte, so they have the same text; where both are parameters, only the
//! (ignored) names may differ; where both are catch-alls, both take the rest of the path and
//! end there. So the templates have the same shape. Conversely, templates of the same shape
//! match exactly the same paths with the same ranks, so two routes of one shape with a
//! common method are ambiguous for every path they match. Routes of different shapes are
//! never ambiguous: when both match, the one with the smaller rank sequence wins, and when
//! it does not serve the method the other one is simply next in line.
//!
//! # Cost
//!
//! The table is a segment trie, plus a hash table of the whole paths of the templates without
//! parameters, which answers most requests for those with one probe. Otherwise a lookup walks
//! the path's segments once along the trie, trying static, then parameter, then catch-all
//! edges; it visits each trie node at most once however much it backtracks. It allocates
//! nothing unless the winning route has more than eight parameters, and never panics,
//! whatever the path.

mod conflict;
mod params;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
mod tree;

use routemark_path::{Method, MethodSet, PathTemplate, Segment};

pub use conflict::Conflict;
pub(crate) use params::ParamRanges;
pub use params::Params;

use tree::{Outcome, Tree};

/// Collects routes, then [`build`](RouteTableBuilder::build)s a [`RouteTable`].
#[derive(Debug)]
pub struct RouteTableBuilder<T> {
    routes: Vec<Route<T>>,
}

#[derive(Debug)]
struct Route<T> {
    methods: MethodSet,
    segments: Vec<Segment>,
    value: T,
}

impl<T> Default for RouteTableBuilder<T> {
    fn default() -> Self {
        RouteTableBuilder { routes: Vec::new() }
    }
}

impl<T> RouteTableBuilder<T> {
    /// An empty builder.
    pub fn new() -> Self {
        RouteTableBuilder::default()
    }

    /// Adds a route. Its insertion index (0 for the first route inserted, and so on) is what
    /// [`Conflict`] refers to, and the order of [`RouteTable::iter`]. The template's query
    /// part plays no role in routing.
    pub fn insert(&mut self, methods: MethodSet, template: &PathTemplate, value: T) {
        self.insert_owned(methods, template.clone(), value);
    }

    /// [`insert`](Self::insert) with the template given up, so that its segments are moved
    /// into the table rather than copied (a start-up with 10,000 routes copies no strings).
    pub fn insert_owned(&mut self, methods: MethodSet, template: PathTemplate, value: T) {
        self.routes.push(Route {
            methods,
            segments: template.into_segments(),
            value,
        });
    }

    /// [`insert_owned`](Self::insert_owned) with the segments themselves: for a tenant's
    /// routes, under a first segment no template can spell (see `tenant::scoped_segments`).
    pub(crate) fn insert_segments(&mut self, methods: MethodSet, segments: Vec<Segment>, value: T) {
        self.routes.push(Route {
            methods,
            segments,
            value,
        });
    }

    /// Builds the table.
    ///
    /// # Errors
    ///
    /// Every [`Conflict`] among the inserted routes, sorted by `(first, second)`; see
    /// [Conflicts](self#conflicts).
    pub fn build(self) -> Result<RouteTable<T>, Vec<Conflict>> {
        let (tree, groups) = Tree::build(
            self.routes
                .iter()
                .map(|r| (r.methods, r.segments.as_slice())),
        );
        let methods: Vec<MethodSet> = self.routes.iter().map(|r| r.methods).collect();
        let conflicts = conflict::find_conflicts(groups.iter().map(Vec::as_slice), &methods);
        if !conflicts.is_empty() {
            return Err(conflicts);
        }
        Ok(RouteTable {
            tree,
            values: self.routes.into_iter().map(|r| r.value).collect(),
        })
    }
}

/// An immutable route table; see the [module documentation](self) for what
/// [`lookup`](RouteTable::lookup) returns. `Send` and `Sync` when `T` is.
#[derive(Debug)]
pub struct RouteTable<T> {
    tree: Tree,
    /// In insertion order.
    values: Vec<T>,
}

/// A node of the table under which a tenant's routes sit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subtree(u32);

/// The answer of [`RouteTable::lookup`].
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'t, 'p, T> {
    /// The value of the winning route, with the raw parameter text from the path.
    Found {
        /// The value inserted with the route.
        value: &'t T,
        /// The route's path parameters, raw, in path order.
        params: Params<'p>,
    },
    /// Routes match the path, but none serves the method.
    MethodNotAllowed {
        /// The `Allow` set: every method declared by a route matching the path, plus `HEAD`
        /// when `GET` is in it, plus `OPTIONS`.
        allow: MethodSet,
    },
    /// No route matches the path, whatever the method.
    NotFound,
}

impl<T> RouteTable<T> {
    /// Finds the route for `method` and the raw request path `path` (no query). Accepts any
    /// string and never panics; allocates nothing unless the winning route has more than
    /// eight parameters.
    #[inline(always)]
    pub fn lookup<'t, 'p>(&'t self, method: Method, path: &'p str) -> Lookup<'t, 'p, T> {
        // Parameterless routes first, by one probe of the whole-path table. Answering here,
        // with empty `Params` built in place, also spares the caller a move of the `Params`
        // that `find` filled in, which costs more than the probe (the move is copied in
        // pieces that straddle the stores just made, and stalls on store forwarding).
        if let Some(index) = self.tree.find_static(method, path) {
            if let Some(value) = self.values.get(index as usize) {
                return Lookup::Found {
                    value,
                    params: Params::new(),
                };
            }
        }
        let mut params = Params::new();
        match self.tree.find(method, path, &mut params) {
            Outcome::Found(index) => match self.values.get(index as usize) {
                Some(value) => Lookup::Found { value, params },
                None => Lookup::NotFound,
            },
            Outcome::MethodNotAllowed(allow) => Lookup::MethodNotAllowed { allow },
            Outcome::NotFound => Lookup::NotFound,
        }
    }

    /// The routes under the first static segment `segment`, for [`lookup_scoped`]; `None`
    /// when no route starts with it.
    ///
    /// [`lookup_scoped`]: Self::lookup_scoped
    pub(crate) fn subtree(&self, segment: &str) -> Option<Subtree> {
        self.tree.root_child(segment).map(Subtree)
    }

    /// The lookup of a tenant's request: the routes of `scope` (the tenant's), then the
    /// others (the shared ones), whose paths never start with the tenant's segment. A route
    /// of `scope` that serves the method wins over any other; `405` when neither serves the
    /// method but some route matches the path in either, with the union of their `Allow`
    /// sets. The tenant's routes are tried first so that a tenant route overrides a shared
    /// one on the same method and path.
    pub(crate) fn lookup_scoped<'t, 'p>(
        &'t self,
        scope: Option<Subtree>,
        method: Method,
        path: &'p str,
    ) -> Lookup<'t, 'p, T> {
        let mut allow = None;
        if let Some(Subtree(node)) = scope {
            let mut params = Params::new();
            match self.tree.find_from(node, method, path, &mut params) {
                Outcome::Found(index) => {
                    if let Some(value) = self.values.get(index as usize) {
                        return Lookup::Found { value, params };
                    }
                }
                Outcome::MethodNotAllowed(set) => allow = Some(set),
                Outcome::NotFound => {}
            }
        }
        match (self.lookup(method, path), allow) {
            (Lookup::MethodNotAllowed { allow: shared }, Some(own)) => Lookup::MethodNotAllowed {
                allow: shared.union(own),
            },
            (Lookup::NotFound, Some(own)) => Lookup::MethodNotAllowed { allow: own },
            (shared, _) => shared,
        }
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the table has no routes.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The route values, in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests;
