//! Compile-time behaviour of `#[route]`: every mistake in `ui/fail/` is rejected with the
//! message in its `.stderr`, and every program in `ui/pass/` compiles and runs.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p routemark-tests --test ui`,
//! then read every changed `.stderr` as a user would.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
