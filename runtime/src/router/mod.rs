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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn methods(spec: &str) -> MethodSet {
        spec.split('|')
            .filter(|m| !m.is_empty())
            .map(|m| Method::parse(m).unwrap())
            .collect()
    }

    fn template(path: &str) -> PathTemplate {
        PathTemplate::parse(path).unwrap()
    }

    /// A table whose values are the route specs themselves (`"GET|POST /a/<x>"`).
    fn table<'s>(routes: impl IntoIterator<Item = &'s &'static str>) -> RouteTable<&'static str> {
        let mut b = RouteTableBuilder::new();
        for &spec in routes {
            let (m, path) = spec.split_once(' ').unwrap();
            b.insert(methods(m), &template(path), spec);
        }
        b.build().unwrap()
    }

    /// The lookup written as `GET /a/<x> [b]`, `405 GET | HEAD | OPTIONS` or `404`.
    fn render(lookup: Lookup<'_, '_, &str>) -> String {
        match lookup {
            Lookup::Found { value, params } => {
                format!("{value} {:?}", params.iter().collect::<Vec<_>>())
            }
            Lookup::MethodNotAllowed { allow } => format!("405 {allow}"),
            Lookup::NotFound => "404".to_owned(),
        }
    }

    /// Each case: routes, then `(method, path, expected)`; every case is checked with the
    /// routes inserted in both orders.
    type Case = (
        &'static [&'static str],
        &'static [(&'static str, &'static str, &'static str)],
    );

    fn check_cases(cases: &[Case]) {
        for (routes, requests) in cases {
            for t in [table(routes.iter()), table(routes.iter().rev())] {
                for (method, path, expected) in *requests {
                    let got = render(t.lookup(Method::parse(method).unwrap(), path));
                    assert_eq!(got, *expected, "{method} {path:?} with {routes:?}");
                }
            }
        }
    }

    #[test]
    fn static_beats_param_beats_catch_all_in_any_insertion_order() {
        check_cases(&[(
            &["GET /a/b", "GET /a/<x>", "GET /a/<r..>"],
            &[
                ("GET", "/a/b", r#"GET /a/b []"#),
                ("GET", "/a/c", r#"GET /a/<x> ["c"]"#),
                ("GET", "/a/b/c", r#"GET /a/<r..> ["b/c"]"#),
                ("GET", "/a/b/", r#"GET /a/<r..> ["b/"]"#),
                ("GET", "/a/", "404"),
                ("GET", "/a", "404"),
                ("GET", "/b", "404"),
            ],
        )]);
    }

    #[test]
    fn priority_is_decided_at_the_first_differing_segment() {
        check_cases(&[(
            &["GET /<x>/b/c", "GET /a/<y>/<z>", "GET /a/<r..>"],
            &[
                ("GET", "/a/b/c", r#"GET /a/<y>/<z> ["b", "c"]"#),
                ("GET", "/z/b/c", r#"GET /<x>/b/c ["z"]"#),
                ("GET", "/a/b/c/d", r#"GET /a/<r..> ["b/c/d"]"#),
            ],
        )]);
    }

    #[test]
    fn backtracks_out_of_a_static_branch() {
        check_cases(&[(
            &["GET /a/<x>/c/d", "GET /a/b/<y>"],
            &[
                ("GET", "/a/b/c/d", r#"GET /a/<x>/c/d ["b"]"#),
                ("GET", "/a/b/c", r#"GET /a/b/<y> ["c"]"#),
                ("GET", "/a/z/c/d", r#"GET /a/<x>/c/d ["z"]"#),
                ("GET", "/a/b/x/d", "404"),
                ("GET", "/a/b/c/d/", "404"),
            ],
        )]);
    }

    #[test]
    fn trailing_slash_is_significant() {
        check_cases(&[(
            &["GET /a", "GET /b/", "GET /c/<x>/", "GET /d/<x>"],
            &[
                ("GET", "/a", r#"GET /a []"#),
                ("GET", "/a/", "404"),
                ("GET", "/b/", r#"GET /b/ []"#),
                ("GET", "/b", "404"),
                ("GET", "/c/1/", r#"GET /c/<x>/ ["1"]"#),
                ("GET", "/c/1", "404"),
                ("GET", "/d/1/", "404"),
                ("GET", "/d/1", r#"GET /d/<x> ["1"]"#),
            ],
        )]);
    }

    #[test]
    fn root_is_one_empty_segment() {
        check_cases(&[
            (
                &["GET /", "GET /<r..>"],
                &[
                    ("GET", "/", r#"GET / []"#),
                    ("GET", "//", r#"GET /<r..> ["/"]"#),
                    ("GET", "/x/y", r#"GET /<r..> ["x/y"]"#),
                    ("GET", "", "404"),
                ],
            ),
            (
                &["GET /<r..>", "GET /<x>"],
                &[
                    ("GET", "/", "404"),
                    ("GET", "/x", r#"GET /<x> ["x"]"#),
                    ("GET", "/x/", r#"GET /<r..> ["x/"]"#),
                ],
            ),
        ]);
    }

    #[test]
    fn encoded_slash_stays_inside_a_param() {
        check_cases(&[(
            &["GET /p/<x>", "GET /q/a%2Fb"],
            &[
                ("GET", "/p/a%2Fb", r#"GET /p/<x> ["a%2Fb"]"#),
                ("GET", "/p/a/b", "404"),
                ("GET", "/q/a%2Fb", r#"GET /q/a%2Fb []"#),
                ("GET", "/q/a%2fb", "404"),
                ("GET", "/q/a/b", "404"),
            ],
        )]);
    }

    #[test]
    fn empty_segments_match_only_catch_alls() {
        check_cases(&[(
            &["GET /a/<x>/b", "GET /f/<r..>", "GET /g/<x>"],
            &[
                ("GET", "/a//b", "404"),
                ("GET", "/a/x/b", r#"GET /a/<x>/b ["x"]"#),
                ("GET", "/f//b", r#"GET /f/<r..> ["/b"]"#),
                ("GET", "/f/a//", r#"GET /f/<r..> ["a//"]"#),
                ("GET", "/g/", "404"),
                ("GET", "/g//", "404"),
                ("GET", "//g/x", "404"),
            ],
        )]);
    }

    #[test]
    fn catch_all_needs_a_non_empty_rest() {
        check_cases(&[(
            &["GET /f/<r..>"],
            &[
                ("GET", "/f", "404"),
                ("GET", "/f/", "404"),
                ("GET", "/f/a", r#"GET /f/<r..> ["a"]"#),
                ("GET", "/f/a/", r#"GET /f/<r..> ["a/"]"#),
                ("GET", "/f//", r#"GET /f/<r..> ["/"]"#),
            ],
        )]);
    }

    #[test]
    fn head_falls_back_to_get_per_template() {
        check_cases(&[
            (
                &["GET /x", "POST /y"],
                &[
                    ("HEAD", "/x", r#"GET /x []"#),
                    ("HEAD", "/y", "405 POST | OPTIONS"),
                ],
            ),
            (
                &["GET /x", "HEAD /x"],
                &[
                    ("HEAD", "/x", r#"HEAD /x []"#),
                    ("GET", "/x", r#"GET /x []"#),
                ],
            ),
            (
                &["GET /a/b", "HEAD /a/<x>"],
                &[
                    ("HEAD", "/a/b", r#"GET /a/b []"#),
                    ("HEAD", "/a/c", r#"HEAD /a/<x> ["c"]"#),
                    ("GET", "/a/c", "405 HEAD | OPTIONS"),
                ],
            ),
            (
                &["POST /a/b", "GET /a/<x>"],
                &[("HEAD", "/a/b", r#"GET /a/<x> ["b"]"#)],
            ),
        ]);
    }

    #[test]
    fn method_not_allowed_lists_every_matching_template() {
        check_cases(&[(
            &["POST /a/b", "GET /a/<x>", "DELETE /a/<r..>", "PUT /z"],
            &[
                ("PUT", "/a/b", "405 GET | HEAD | POST | DELETE | OPTIONS"),
                ("POST", "/a/c", "405 GET | HEAD | DELETE | OPTIONS"),
                ("POST", "/a/b", r#"POST /a/b []"#),
                ("GET", "/a/b", r#"GET /a/<x> ["b"]"#),
                ("DELETE", "/a/b", r#"DELETE /a/<r..> ["b"]"#),
                ("GET", "/a/b/c", "405 DELETE | OPTIONS"),
                ("GET", "/z", "405 PUT | OPTIONS"),
                ("TRACE", "/q", "404"),
            ],
        )]);
    }

    #[test]
    fn options_is_always_allowed_unless_routed() {
        check_cases(&[
            (
                &["GET|POST /x"],
                &[("OPTIONS", "/x", "405 GET | HEAD | POST | OPTIONS")],
            ),
            (
                &["GET /x", "OPTIONS /x"],
                &[
                    ("OPTIONS", "/x", r#"OPTIONS /x []"#),
                    ("PUT", "/x", "405 GET | HEAD | OPTIONS"),
                ],
            ),
            (&["HEAD /x"], &[("GET", "/x", "405 HEAD | OPTIONS")]),
        ]);
    }

    #[test]
    fn odd_request_targets_never_match_and_never_panic() {
        check_cases(&[(
            &["GET /<r..>", "GET /<x>/<y>/b", "GET /b"],
            &[
                ("GET", "*", "404"),
                ("OPTIONS", "*", "404"),
                ("GET", "http://a/b", "404"),
                ("GET", "", "404"),
                ("GET", "a/b", "404"),
                ("GET", "//", r#"GET /<r..> ["/"]"#),
                ("GET", "/a/../b", r#"GET /<x>/<y>/b ["a", ".."]"#),
                ("GET", "/b", r#"GET /b []"#),
                ("GET", "/é/ü/b", r#"GET /<x>/<y>/b ["é", "ü"]"#),
            ],
        )]);
        let t = table(&["GET /a/../b", "GET /%2e%2e"]);
        assert_eq!(render(t.lookup(Method::Get, "/a/../b")), "GET /a/../b []");
        assert_eq!(render(t.lookup(Method::Get, "/b")), "404");
        assert_eq!(render(t.lookup(Method::Get, "/..")), "404");
        let empty = table(&[]);
        for path in ["", "/", "*", "//", "http://a/b"] {
            assert_eq!(render(empty.lookup(Method::Get, path)), "404");
        }
    }

    #[test]
    fn more_than_eight_params_spill_and_backtrack() {
        check_cases(&[(
            &[
                "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j>",
                "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/x",
                "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<r..>",
            ],
            &[
                (
                    "GET",
                    "/1/2/3/4/5/6/7/8/9/10",
                    r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j> ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]"#,
                ),
                (
                    "GET",
                    "/1/2/3/4/5/6/7/8/9/x",
                    r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/x ["1", "2", "3", "4", "5", "6", "7", "8", "9"]"#,
                ),
                (
                    "GET",
                    "/1/2/3/4/5/6/7/8/9/10/11",
                    r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<r..> ["1", "2", "3", "4", "5", "6", "7", "8", "9/10/11"]"#,
                ),
            ],
        )]);
    }

    #[test]
    fn many_static_children_are_found() {
        let specs: Vec<&'static str> = (0..40)
            .map(|i| &*format!("GET /s{i:02}").leak())
            .chain(["GET /<x>"])
            .collect();
        let t = table(&specs);
        for i in 0..40 {
            let path = format!("/s{i:02}");
            assert_eq!(
                render(t.lookup(Method::Get, &path)),
                format!("GET {path} []")
            );
        }
        assert_eq!(render(t.lookup(Method::Get, "/s40")), r#"GET /<x> ["s40"]"#);
    }

    #[test]
    fn len_iter_and_thread_safety() {
        fn assert_send_sync<S: Send + Sync>() {}
        assert_send_sync::<RouteTable<String>>();
        assert_send_sync::<Lookup<'static, 'static, String>>();
        let t = table(&["GET /b", "POST /a", "GET /a"]);
        assert_eq!(t.len(), 3);
        assert!(!t.is_empty());
        assert_eq!(
            t.iter().copied().collect::<Vec<_>>(),
            ["GET /b", "POST /a", "GET /a"]
        );
        assert!(table(&[]).is_empty());
        assert!(
            RouteTableBuilder::<()>::default()
                .build()
                .unwrap()
                .is_empty()
        );
    }

    fn conflicts(routes: &[&str]) -> Result<(), Vec<(usize, usize, String)>> {
        let mut b = RouteTableBuilder::new();
        for spec in routes {
            let (m, path) = spec.split_once(' ').unwrap();
            b.insert(methods(m), &template(path), ());
        }
        b.build().map(drop).map_err(|cs| {
            cs.into_iter()
                .map(|c| (c.first, c.second, c.methods.to_string()))
                .collect()
        })
    }

    fn pair(first: usize, second: usize, methods: &str) -> (usize, usize, String) {
        (first, second, methods.to_owned())
    }

    #[test]
    fn same_shape_with_different_names_conflicts() {
        assert_eq!(
            conflicts(&["GET /a/<x>", "GET /a/<y>"]),
            Err(vec![pair(0, 1, "GET")])
        );
        assert_eq!(
            conflicts(&["GET /f/<a..>", "GET /f/<b..>?<q>"]),
            Err(vec![pair(0, 1, "GET")])
        );
    }

    #[test]
    fn conflict_reports_the_common_methods() {
        assert_eq!(
            conflicts(&["GET|POST /a", "POST|PUT /a"]),
            Err(vec![pair(0, 1, "POST")])
        );
    }

    #[test]
    fn same_shape_with_disjoint_methods_does_not_conflict() {
        assert_eq!(conflicts(&["GET /a", "POST /a"]), Ok(()));
        assert_eq!(conflicts(&["GET /a", "HEAD /a"]), Ok(()));
        assert_eq!(conflicts(&["GET /a/<x>", "DELETE /a/<y>"]), Ok(()));
    }

    #[test]
    fn different_shapes_do_not_conflict() {
        assert_eq!(
            conflicts(&[
                "GET /a/<x>",
                "GET /a/b",
                "GET /a/<r..>",
                "GET /a",
                "GET /a/",
                "GET /a/<x>/"
            ]),
            Ok(())
        );
    }

    #[test]
    fn every_conflicting_pair_is_reported_in_order() {
        assert_eq!(
            conflicts(&["GET /a", "GET /a", "GET /a"]),
            Err(vec![
                pair(0, 1, "GET"),
                pair(0, 2, "GET"),
                pair(1, 2, "GET")
            ])
        );
        assert_eq!(
            conflicts(&[
                "GET /b",
                "GET|POST /a/<x>",
                "GET /b",
                "POST /a/<y>",
                "PUT /b"
            ]),
            Err(vec![pair(0, 2, "GET"), pair(1, 3, "POST")])
        );
    }

    // ---- Property tests against a brute-force reading of the module documentation. ----

    /// The methods the generated routes declare and the generated requests use.
    const METHODS: [Method; 5] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Options,
    ];

    fn method_set() -> impl Strategy<Value = MethodSet> {
        // Mostly one method, sometimes several, rarely none.
        prop_oneof![
            4 => prop::sample::select(METHODS.to_vec()).prop_map(MethodSet::single),
            2 => prop::sample::subsequence(METHODS.to_vec(), 1..=3)
                .prop_map(|ms| ms.into_iter().collect()),
            1 => Just(MethodSet::EMPTY),
        ]
    }

    fn route_template() -> impl Strategy<Value = PathTemplate> {
        route_template_from(&["a", "b", "c"])
    }

    /// Many static segments, several with the same length, first and last byte (the
    /// trie's edge key), so that nodes get more children than a linear scan handles.
    const WIDE: [&str; 15] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "ab", "axb", "ayb", "azb", "abcb", "b.b", "%2F",
    ];

    fn route_template_from(pool: &'static [&'static str]) -> impl Strategy<Value = PathTemplate> {
        let seg = prop_oneof![
            3 => prop::sample::select(pool).prop_map(Some),
            2 => Just(None), // a parameter
        ];
        (prop::collection::vec(seg, 0..4), 0..3u8).prop_map(|(segs, end)| {
            let mut parts: Vec<String> = segs
                .iter()
                .enumerate()
                .map(|(i, s)| s.map_or_else(|| format!("<p{i}>"), str::to_owned))
                .collect();
            match end {
                1 => parts.push(String::new()),                     // trailing slash
                2 => parts.push("<rest..>".to_owned()),             // catch-all
                _ if parts.is_empty() => parts.push(String::new()), // root
                _ => {}
            }
            template(&format!("/{}", parts.join("/")))
        })
    }

    fn request_path() -> impl Strategy<Value = String> {
        let seg = prop::sample::select(vec!["a", "b", "c", "", "x", "%2F", "a.b"]);
        prop_oneof![
            10 => prop::collection::vec(seg, 0..6).prop_map(|s| format!("/{}", s.join("/"))),
            1 => prop::sample::select(vec!["", "*", "//", "a/b", "http://a/b", "/a/../b"])
                .prop_map(str::to_owned),
        ]
    }

    fn routes() -> impl Strategy<Value = Vec<(MethodSet, PathTemplate)>> {
        prop::collection::vec((method_set(), route_template()), 0..12)
    }

    fn wide_routes() -> impl Strategy<Value = Vec<(MethodSet, PathTemplate)>> {
        prop::collection::vec((method_set(), route_template_from(&WIDE)), 0..60)
    }

    fn wide_requests() -> impl Strategy<Value = Vec<(Method, String)>> {
        let seg = prop_oneof![
            8 => prop::sample::select(&WIDE[..]),
            1 => prop::sample::select(vec!["", "x", "aab", "azzb"]),
        ];
        let path = prop::collection::vec(seg, 0..5).prop_map(|s| format!("/{}", s.join("/")));
        prop::collection::vec((prop::sample::select(METHODS.to_vec()), path), 1..40)
    }

    fn requests() -> impl Strategy<Value = Vec<(Method, String)>> {
        prop::collection::vec(
            (prop::sample::select(METHODS.to_vec()), request_path()),
            1..40,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn build_reports_exactly_the_same_shape_pairs(routes in routes()) {
            let expected = reference::conflicts(&routes);
            match reference::build(&routes) {
                Ok(t) => {
                    prop_assert!(expected.is_empty());
                    prop_assert_eq!(t.iter().copied().collect::<Vec<_>>(), (0..routes.len()).collect::<Vec<_>>());
                }
                Err(got) => prop_assert_eq!(got, expected),
            }
        }

        #[test]
        fn lookup_agrees_with_the_brute_force_reference(routes in routes(), requests in requests()) {
            let kept = reference::accepted(routes);
            let table = reference::build(&kept).unwrap();
            for (method, path) in &requests {
                prop_assert_eq!(
                    reference::actual(&table, *method, path),
                    reference::reference(&kept, *method, path),
                    "{} {:?} with {:?}", method, path, reference::describe(&kept)
                );
            }
        }

        #[test]
        fn lookup_agrees_with_the_reference_on_wide_nodes(routes in wide_routes(), requests in wide_requests()) {
            let kept = reference::accepted(routes);
            let table = reference::build(&kept).unwrap();
            for (method, path) in &requests {
                prop_assert_eq!(
                    reference::actual(&table, *method, path),
                    reference::reference(&kept, *method, path),
                    "{} {:?} with {:?}", method, path, reference::describe(&kept)
                );
            }
        }

        #[test]
        fn ties_are_always_reported_as_conflicts(routes in routes(), requests in requests()) {
            let reported = reference::build(&routes).err().unwrap_or_default();
            for (method, path) in &requests {
                for (i, j) in reference::ties(&routes, *method, path) {
                    prop_assert!(
                        reported.iter().any(|c| c.first == i && c.second == j && c.methods.contains(*method)),
                        "{} and {} tie on {} {:?}", routes[i].1, routes[j].1, method, path
                    );
                }
            }
        }
    }
}
