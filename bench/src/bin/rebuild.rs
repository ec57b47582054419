//! What an overlay swap costs: the time `Router::apply_overlay` takes to check an overlay
//! and rebuild the table (parse, conflict check, trie, entries) for the 203 GitHub routes,
//! the 3,562 GitLab routes and 10,000 routes (the GitHub set under `/v1` … `/v50`).
//!
//!     cargo run --release -p routemark-bench --bin rebuild [ROUNDS]
//!
//! Each round applies an overlay that switches one route off, then the empty overlay: two
//! full rebuilds. Prints the median and range of each, in milliseconds.

use std::time::Instant;

use routemark::__private::{OptionsDecl, RouteDecl};
use routemark::{App, Body, HandlerFuture, Method, MethodSet, RequestParts, Route};

fn handler(_: RequestParts, _: Body) -> HandlerFuture {
    HandlerFuture::ready(routemark::IntoResponse::into_response(""))
}

/// A route of `path` for `methods`, leaked: descriptors are `'static`, as `#[route]` makes them.
fn route(methods: MethodSet, path: String) -> &'static Route {
    let path: &'static str = Box::leak(path.into_boxed_str());
    Box::leak(Box::new(Route::__new(RouteDecl {
        methods,
        path,
        handler,
        name: "handler",
        module_path: "rebuild",
        file: file!(),
        line: line!(),
        state: &[],
        options: &OptionsDecl::DEFAULT,
    })))
}

fn github(prefix: &str) -> Vec<&'static Route> {
    include_str!("../../data/github.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (method, path) = line.split_once(' ').expect("METHOD PATH");
            let template: Vec<String> = path
                .trim()
                .split('/')
                .map(|seg| match seg.strip_prefix(':') {
                    Some(name) => format!("<{name}>"),
                    None => seg.to_owned(),
                })
                .collect();
            let method = Method::parse(method).expect("method");
            route(
                MethodSet::single(method),
                format!("{prefix}{}", template.join("/")),
            )
        })
        .collect()
}

/// The GitLab set as routemark can declare it: its mid-path catch-alls (`<*branch>`)
/// become one-segment parameters, and of the paths that then have the same shape (a
/// conflict) the first is kept.
fn gitlab() -> Vec<&'static Route> {
    let mut shapes = std::collections::HashSet::new();
    include_str!("../../data/gitlab.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|path| path.replace("<*", "<"))
        .filter(|path| {
            routemark_path::PathTemplate::parse(path)
                .is_ok_and(|template| shapes.insert(template.shape()))
        })
        .map(|path| route(MethodSet::single(Method::Get), path))
        .collect()
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(21);
    let sets: Vec<(&str, Vec<&'static Route>)> = vec![
        ("github-203", github("")),
        ("gitlab (3,562 lines)", gitlab()),
        (
            "github x 50 = 10,150",
            (1..=50).flat_map(|n| github(&format!("/v{n}"))).collect(),
        ),
    ];
    println!(
        "| routes | rebuild with an overlay (median, range) | rebuild to the compiled table |"
    );
    println!("|---|---:|---:|");
    for (name, routes) in sets {
        let first = routes[0];
        let identity = format!(
            "{} {}",
            first.methods().iter().next().expect("a method").as_str(),
            first.path_without_query()
        );
        let overlay = format!(r#"{{ "routes": {{ "{identity}": {{ "enabled": false }} }} }}"#);
        let router = App::with_routes(routes)
            .build()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut with = Vec::new();
        let mut without = Vec::new();
        for round in 0..rounds {
            let start = Instant::now();
            router
                .apply_overlay(&overlay, &format!("a{round}"))
                .expect("valid overlay");
            with.push(start.elapsed().as_secs_f64() * 1e3);
            let start = Instant::now();
            router
                .apply_overlay("{}", &format!("b{round}"))
                .expect("empty overlay");
            without.push(start.elapsed().as_secs_f64() * 1e3);
        }
        let show = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            format!(
                "{:.1} ms ({:.1}–{:.1})",
                v[v.len() / 2],
                v[0],
                v[v.len() - 1]
            )
        };
        println!(
            "| {name}: {} routes | {} | {} |",
            router.routes().count(),
            show(with),
            show(without)
        );
    }
}
