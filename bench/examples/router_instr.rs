//! Router lookup for instruction counting: loops `N` times over the requests of a set with one
//! router, the set built exactly as `benches/router.rs` builds it. Run it under callgrind with
//! two values of `N`; the difference divided by the extra lookups is the instructions per
//! lookup, free of criterion's noise.
//!
//! ```text
//! cargo build --profile bench -p routemark-bench --example router_instr
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/router_instr matchit-130 routemark 1000
//! ```

use std::hint::black_box;

use routemark::router::{Lookup, RouteTable};
use routemark_bench::{METHOD_SLOTS, all_sets, by_path, method_slot, routemark_table};
use routemark_path::Method;

type Slots = [Option<u32>; METHOD_SLOTS];

#[inline(never)]
fn routemark_lookup(table: &RouteTable<u32>, method: Method, path: &str) -> Option<(u32, usize)> {
    match table.lookup(method, path) {
        Lookup::Found { value, params } => Some((*value, params.iter().map(str::len).sum())),
        _ => None,
    }
}

#[inline(never)]
fn matchit_lookup(
    router: &matchit::Router<Slots>,
    slot: usize,
    path: &str,
) -> Option<(u32, usize)> {
    let m = router.at(path).ok()?;
    let index = m.value[slot]?;
    Some((index, m.params.iter().map(|(_, v)| v.len()).sum()))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let set_name = args.get(1).map_or("matchit-130", String::as_str);
    let router = args.get(2).map_or("routemark", String::as_str);
    let n: usize = args.get(3).map_or(1000, |s| s.parse().expect("N"));
    let set = all_sets()
        .into_iter()
        .find(|s| s.name == set_name)
        .expect("known set");
    let requests: Vec<(Method, usize, &str, usize)> = set
        .requests
        .iter()
        .map(|(m, p, e)| (*m, method_slot(*m), p.as_str(), *e))
        .collect();
    let mut sum = 0usize;
    match router {
        "routemark" => {
            let table = routemark_table(&set);
            for &(method, _, path, expected) in &requests {
                let hit = routemark_lookup(&table, method, path);
                assert_eq!(hit.map(|h| h.0 as usize), Some(expected), "{path}");
            }
            for _ in 0..n {
                for &(method, _, path, _) in black_box(&requests) {
                    sum += black_box(routemark_lookup(&table, method, path)).map_or(0, |h| h.1);
                }
            }
        }
        "matchit" => {
            let mut matchit = matchit::Router::new();
            for (path, slots) in by_path(&set, |r| r.braces()) {
                matchit
                    .insert(path, slots)
                    .expect("matchit accepts the set");
            }
            for &(_, slot, path, expected) in &requests {
                let hit = matchit_lookup(&matchit, slot, path);
                assert_eq!(hit.map(|h| h.0 as usize), Some(expected), "{path}");
            }
            for _ in 0..n {
                for &(_, slot, path, _) in black_box(&requests) {
                    sum += black_box(matchit_lookup(&matchit, slot, path)).map_or(0, |h| h.1);
                }
            }
        }
        other => panic!("unknown router {other}"),
    }
    println!("{sum}");
}
