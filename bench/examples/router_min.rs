//! A cross-check of `benches/router.rs` that holds up on a busy machine: routemark's
//! `RouteTable` against matchit only, in alternating batches (ten passes over a set each),
//! reporting the ratio of each router's *fastest* batch. Preemption by other processes only
//! ever makes a batch slower, so the minimum over many batches is close to the unloaded time,
//! where criterion's median follows the load.
//!
//! ```text
//! cargo build --profile bench -p routemark-bench --example router_min
//! taskset -c 1 target/release/examples/router_min [BATCHES]   # default 2000
//! ```

use std::hint::black_box;
use std::time::Instant;

use routemark::router::{Lookup, RouteTable};
use routemark_bench::{METHOD_SLOTS, all_sets, by_path, method_slot, routemark_table};
use routemark_path::Method;

type Slots = [Option<u32>; METHOD_SLOTS];

/// The same work as the criterion benchmark: route, method, parameter lengths summed.
#[inline(always)]
fn routemark_lookup(table: &RouteTable<u32>, method: Method, path: &str) -> Option<(u32, usize)> {
    match table.lookup(method, path) {
        Lookup::Found { value, params } => Some((*value, params.iter().map(str::len).sum())),
        _ => None,
    }
}

#[inline(always)]
fn matchit_lookup(
    router: &matchit::Router<Slots>,
    slot: usize,
    path: &str,
) -> Option<(u32, usize)> {
    let m = router.at(path).ok()?;
    let index = m.value[slot]?;
    Some((index, m.params.iter().map(|(_, v)| v.len()).sum()))
}

/// Seconds per pass over the set, for the fastest of the batches timed so far.
fn time_batch(best: &mut f64, mut pass: impl FnMut()) {
    const PASSES: u32 = 10;
    let start = Instant::now();
    for _ in 0..PASSES {
        pass();
    }
    *best = best.min(start.elapsed().as_secs_f64() / f64::from(PASSES));
}

fn main() {
    let batches: usize = std::env::args()
        .nth(1)
        .map_or(2000, |a| a.parse().expect("BATCHES is a number"));
    println!("| set | routemark (fastest pass) | matchit (fastest pass) | × matchit |");
    println!("|---|---:|---:|---:|");
    for set in all_sets() {
        let table = routemark_table(&set);
        let mut matchit = matchit::Router::new();
        for (path, slots) in by_path(&set, |r| r.braces()) {
            matchit
                .insert(path, slots)
                .expect("matchit accepts the set");
        }
        let requests: Vec<(Method, usize, &str)> = set
            .requests
            .iter()
            .map(|(m, p, _)| (*m, method_slot(*m), p.as_str()))
            .collect();
        for &(method, slot, path) in &requests {
            assert_eq!(
                routemark_lookup(&table, method, path),
                matchit_lookup(&matchit, slot, path),
                "{method} {path}"
            );
        }
        let (mut routemark_best, mut matchit_best) = (f64::MAX, f64::MAX);
        for _ in 0..batches {
            time_batch(&mut routemark_best, || {
                for &(method, _, path) in black_box(&requests) {
                    black_box(routemark_lookup(&table, method, path));
                }
            });
            time_batch(&mut matchit_best, || {
                for &(_, slot, path) in black_box(&requests) {
                    black_box(matchit_lookup(&matchit, slot, path));
                }
            });
        }
        println!(
            "| {} | {:.2} µs | {:.2} µs | {:.2} |",
            set.name,
            routemark_best * 1e6,
            matchit_best * 1e6,
            routemark_best / matchit_best
        );
    }
}
