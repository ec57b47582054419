//! Shared code of routemark's benchmarks: the route sets of `bench/data/` (read at compile
//! time) in one neutral form, and each router's spelling of them.
//!
//! The benchmarks themselves are `benches/router.rs` (criterion, router lookup against
//! matchit, path-tree and actix-router) and the binaries in `src/bin/` (allocations per
//! request). See `bench/README.md` for the figures and the commands.

use routemark::router::{RouteTable, RouteTableBuilder};
use routemark_path::{Method, MethodSet, PathTemplate};

/// One segment of a route template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// Literal text.
    Static(String),
    /// A one-segment parameter.
    Param(String),
}

/// A route: its method and its segments (after the leading `/`).
#[derive(Clone, Debug)]
pub struct RouteSpec {
    /// The method (`GET` for the sets that have none).
    pub method: Method,
    /// The segments; `[Static("")]` is `/`.
    pub segments: Vec<Seg>,
}

impl RouteSpec {
    /// The template in the given parameter syntax: `open` + name + `close` per parameter.
    pub fn render(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            out.push('/');
            match seg {
                Seg::Static(s) => out.push_str(s),
                Seg::Param(name) => {
                    out.push_str(open);
                    out.push_str(name);
                    out.push_str(close);
                }
            }
        }
        out
    }

    /// routemark's syntax: `/users/<id>`.
    pub fn routemark(&self) -> String {
        self.render("<", ">")
    }

    /// matchit's and actix-router's syntax: `/users/{id}`.
    pub fn braces(&self) -> String {
        self.render("{", "}")
    }

    /// path-tree's syntax: `/users/:id`.
    pub fn colon(&self) -> String {
        self.render(":", "")
    }

    /// A request path for this route: parameter `i` (0-based) replaced by `values(i)`.
    pub fn request(&self, values: impl Fn(usize) -> String) -> String {
        let mut out = String::new();
        let mut i = 0;
        for seg in &self.segments {
            out.push('/');
            match seg {
                Seg::Static(s) => out.push_str(s),
                Seg::Param(_) => {
                    out.push_str(&values(i));
                    i += 1;
                }
            }
        }
        out
    }
}

/// Parses one template, with parameters written `:name`, `{name}` or `<name>`.
pub fn parse_template(method: Method, path: &str) -> RouteSpec {
    assert!(path.starts_with('/'), "not a path: {path}");
    let segments = path[1..]
        .split('/')
        .map(|s| {
            if let Some(name) = s.strip_prefix(':') {
                Seg::Param(name.to_owned())
            } else if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Seg::Param(name.to_owned())
            } else if let Some(name) = s.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                Seg::Param(name.to_owned())
            } else {
                assert!(
                    !s.contains(['{', '}', '*', '<', '>']),
                    "unsupported: {path}"
                );
                Seg::Static(s.to_owned())
            }
        })
        .collect();
    RouteSpec { method, segments }
}

/// A route set and the requests one benchmark iteration looks up, each with the index of
/// the route it must find.
#[derive(Clone, Debug)]
pub struct RouteSet {
    /// A short name for reports.
    pub name: &'static str,
    /// The routes, in file order.
    pub routes: Vec<RouteSpec>,
    /// `(method, path, index of the expected route)`.
    pub requests: Vec<(Method, String, usize)>,
}

fn method_lines(text: &str) -> Vec<RouteSpec> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (m, p) = l.split_once(' ').expect("METHOD PATH");
            parse_template(Method::parse(m).expect("method"), p.trim())
        })
        .collect()
}

fn path_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// matchit's own set: 130 GET routes and the 130 request paths its benchmark looks up.
pub fn matchit_set() -> RouteSet {
    let routes: Vec<RouteSpec> = path_lines(include_str!("../data/matchit_github_routes.txt"))
        .map(|p| parse_template(Method::Get, p))
        .collect();
    let requests = path_lines(include_str!("../data/matchit_github_requests.txt"))
        .enumerate()
        .map(|(i, p)| (Method::Get, p.to_owned(), i))
        .collect();
    RouteSet {
        name: "matchit-130",
        routes,
        requests,
    }
}

/// path-tree's set: 315 GET routes of the modern GitHub API and one realistic request each.
pub fn pathtree_set() -> RouteSet {
    let routes: Vec<RouteSpec> = path_lines(include_str!("../data/pathtree_github_routes.txt"))
        .map(|p| parse_template(Method::Get, p))
        .collect();
    let requests = path_lines(include_str!("../data/pathtree_github_requests.txt"))
        .enumerate()
        .map(|(i, p)| (Method::Get, p.to_owned(), i))
        .collect();
    RouteSet {
        name: "pathtree-315",
        routes,
        requests,
    }
}

/// The 203 GitHub API routes with their methods; each looked up once with its own method,
/// parameter `i` of a route given the value `v{i}`.
pub fn github_set() -> RouteSet {
    with_requests(
        "github-203",
        method_lines(include_str!("../data/github.txt")),
    )
}

/// The 157 static paths of the Go documentation site.
pub fn static_set() -> RouteSet {
    with_requests(
        "static-157",
        method_lines(include_str!("../data/static.txt")),
    )
}

fn with_requests(name: &'static str, routes: Vec<RouteSpec>) -> RouteSet {
    let requests = routes
        .iter()
        .enumerate()
        .map(|(i, r)| (r.method, r.request(|p| format!("v{p}")), i))
        .collect();
    RouteSet {
        name,
        routes,
        requests,
    }
}

/// Every set, in report order.
pub fn all_sets() -> Vec<RouteSet> {
    vec![matchit_set(), github_set(), static_set(), pathtree_set()]
}

/// The slot of `method` in a per-path method table (what a peer router without method
/// dispatch needs next to it, as axum's `MethodRouter` does).
pub fn method_slot(method: Method) -> usize {
    Method::ALL
        .iter()
        .position(|&m| m == method)
        .expect("known method")
}

/// How many method slots [`method_slot`] uses.
pub const METHOD_SLOTS: usize = Method::ALL.len();

/// Per distinct path (in the given syntax): the route index serving each method. Peers with
/// no method dispatch store this as the value of one path.
pub fn by_path(
    set: &RouteSet,
    render: impl Fn(&RouteSpec) -> String,
) -> Vec<(String, [Option<u32>; METHOD_SLOTS])> {
    let mut out: Vec<(String, [Option<u32>; METHOD_SLOTS])> = Vec::new();
    for (i, r) in set.routes.iter().enumerate() {
        let path = render(r);
        let slot = method_slot(r.method);
        let index = u32::try_from(i).expect("small set");
        match out.iter_mut().find(|(p, _)| *p == path) {
            Some((_, slots)) => slots[slot] = Some(index),
            None => {
                let mut slots = [None; METHOD_SLOTS];
                slots[slot] = Some(index);
                out.push((path, slots));
            }
        }
    }
    out
}

/// routemark's route table of a set; the value is the route index.
pub fn routemark_table(set: &RouteSet) -> RouteTable<u32> {
    let mut builder = RouteTableBuilder::new();
    for (i, r) in set.routes.iter().enumerate() {
        let template = PathTemplate::parse(&r.routemark()).expect("valid template");
        builder.insert(
            MethodSet::single(r.method),
            &template,
            u32::try_from(i).expect("small set"),
        );
    }
    builder.build().expect("no conflicts")
}
