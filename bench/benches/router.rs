//! Router lookup: routemark's `RouteTable` against matchit, path-tree and actix-router, in
//! one binary, over the route sets of `bench/data/`.
//!
//! One iteration looks up every request of a set. What is timed for each router is the
//! whole lookup a request pays for: the route found, the method resolved, and the
//! parameters available as strings (their lengths are summed, so none can be skipped).
//! Peers have no method dispatch; each of their paths holds a per-method array of route
//! indices (what axum's `MethodRouter` is to matchit), and the timed lookup indexes it.
//!
//! ```text
//! taskset -c 1 cargo bench -p routemark-bench --bench router
//! ```

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use routemark::router::{Lookup, RouteTable};
use routemark_bench::{METHOD_SLOTS, RouteSet, all_sets, by_path, method_slot, routemark_table};
use routemark_path::Method;

type Slots = [Option<u32>; METHOD_SLOTS];

/// A found route: its index and the total length of its parameters.
type Hit = Option<(u32, usize)>;

#[inline(always)]
fn routemark_lookup(table: &RouteTable<u32>, method: Method, path: &str) -> Hit {
    match table.lookup(method, path) {
        Lookup::Found { value, params } => Some((*value, params.iter().map(str::len).sum())),
        _ => None,
    }
}

#[inline(always)]
fn matchit_lookup(router: &matchit::Router<Slots>, slot: usize, path: &str) -> Hit {
    let m = router.at(path).ok()?;
    let index = m.value[slot]?;
    Some((index, m.params.iter().map(|(_, v)| v.len()).sum()))
}

#[inline(always)]
fn path_tree_lookup(tree: &path_tree::PathTree<Slots>, slot: usize, path: &str) -> Hit {
    let (value, found) = tree.find(path)?;
    let index = value[slot]?;
    Some((index, found.raws.iter().map(|v| v.len()).sum()))
}

#[inline(always)]
fn actix_lookup(router: &actix_router::Router<Slots>, slot: usize, path: &str) -> Hit {
    let mut resource = actix_router::Path::new(path);
    let (value, _) = router.recognize(&mut resource)?;
    let index = value[slot]?;
    Some((index, resource.iter().map(|(_, v)| v.len()).sum()))
}

struct Routers {
    routemark: RouteTable<u32>,
    matchit: matchit::Router<Slots>,
    path_tree: path_tree::PathTree<Slots>,
    actix: actix_router::Router<Slots>,
}

fn build(set: &RouteSet) -> Routers {
    let mut matchit = matchit::Router::new();
    for (path, slots) in by_path(set, |r| r.braces()) {
        matchit
            .insert(path, slots)
            .expect("matchit accepts the set");
    }
    let mut path_tree = path_tree::PathTree::new();
    for (path, slots) in by_path(set, |r| r.colon()) {
        let _ = path_tree.insert(&path, slots);
    }
    let mut actix = actix_router::Router::build();
    for (path, slots) in by_path(set, |r| r.braces()) {
        actix.path(path.as_str(), slots);
    }
    Routers {
        routemark: routemark_table(set),
        matchit,
        path_tree,
        actix: actix.finish(),
    }
}

/// Checks that every router finds the expected route for every request, so that the timed
/// loops compare equal work.
fn verify(set: &RouteSet, r: &Routers) {
    for (method, path, expected) in &set.requests {
        let slot = method_slot(*method);
        let want = u32::try_from(*expected).ok();
        let got = [
            ("routemark", routemark_lookup(&r.routemark, *method, path)),
            ("matchit", matchit_lookup(&r.matchit, slot, path)),
            ("path-tree", path_tree_lookup(&r.path_tree, slot, path)),
            ("actix-router", actix_lookup(&r.actix, slot, path)),
        ];
        let first_params = got[0].1.map(|h| h.1);
        for (name, hit) in got {
            assert_eq!(hit.map(|h| h.0), want, "{name}: {method} {path}");
            assert_eq!(hit.map(|h| h.1), first_params, "{name}: params of {path}");
        }
    }
}

fn lookups(c: &mut Criterion) {
    for set in all_sets() {
        let routers = build(&set);
        verify(&set, &routers);
        let requests: Vec<(Method, usize, &str)> = set
            .requests
            .iter()
            .map(|(m, p, _)| (*m, method_slot(*m), p.as_str()))
            .collect();
        let mut group = c.benchmark_group(set.name);
        group.throughput(Throughput::Elements(requests.len() as u64));
        group.bench_function("routemark", |b| {
            b.iter(|| {
                for &(method, _, path) in black_box(&requests) {
                    black_box(routemark_lookup(&routers.routemark, method, path));
                }
            });
        });
        group.bench_function("matchit", |b| {
            b.iter(|| {
                for &(_, slot, path) in black_box(&requests) {
                    black_box(matchit_lookup(&routers.matchit, slot, path));
                }
            });
        });
        group.bench_function("path-tree", |b| {
            b.iter(|| {
                for &(_, slot, path) in black_box(&requests) {
                    black_box(path_tree_lookup(&routers.path_tree, slot, path));
                }
            });
        });
        group.bench_function("actix-router", |b| {
            b.iter(|| {
                for &(_, slot, path) in black_box(&requests) {
                    black_box(actix_lookup(&routers.actix, slot, path));
                }
            });
        });
        group.finish();
    }
}

criterion_group!(benches, lookups);
criterion_main!(benches);
