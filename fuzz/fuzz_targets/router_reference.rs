//! The route table against the brute-force reference router (`routemark::router::reference`,
//! the module documentation's rules written out): for every fuzzed request, the same route,
//! the same parameters, or the same `405` allow set, or both not found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routemark::router::reference;
use routemark_fuzz::TableInput;

fuzz_target!(|input: TableInput| {
    // Drop every route that conflicts with an earlier one: the rest must build.
    let routes = reference::accepted(input.routes());
    let table = match reference::build(&routes) {
        Ok(table) => table,
        Err(conflicts) => panic!(
            "accepted routes {:?} do not build: {conflicts:?}",
            reference::describe(&routes)
        ),
    };
    for (method, path) in input.requests() {
        let got = reference::actual(&table, method, &path);
        let expected = reference::reference(&routes, method, &path);
        assert_eq!(
            got,
            expected,
            "{method} {path:?} with {:?}",
            reference::describe(&routes)
        );
    }
});
