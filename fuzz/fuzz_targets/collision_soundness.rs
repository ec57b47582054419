//! Collision soundness: when two routes both match a request, both declare its method and
//! have equal rank sequences (neither wins by priority), the build must have reported the
//! pair as a conflict on that method. Also: the build reports exactly the same-shape pairs
//! with a common method, and a table that builds keeps every route in insertion order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routemark::router::reference;
use routemark_fuzz::TableInput;

fuzz_target!(|input: TableInput| {
    let routes = input.routes();
    let expected = reference::conflicts(&routes);
    let reported = match reference::build(&routes) {
        Ok(table) => {
            assert!(
                expected.is_empty(),
                "{:?} built despite conflicts {expected:?}",
                reference::describe(&routes)
            );
            assert!(table.iter().copied().eq(0..routes.len()));
            Vec::new()
        }
        Err(reported) => {
            assert_eq!(
                reported,
                expected,
                "conflicts of {:?}",
                reference::describe(&routes)
            );
            reported
        }
    };
    for (method, path) in input.requests() {
        for (i, j) in reference::ties(&routes, method, &path) {
            assert!(
                reported
                    .iter()
                    .any(|c| c.first == i && c.second == j && c.methods.contains(method)),
                "{} and {} tie on {method} {path:?} but were not reported",
                routes[i].1,
                routes[j].1
            );
        }
    }
});
