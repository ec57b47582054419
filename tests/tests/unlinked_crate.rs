//! The other side of `registration.rs`: a library crate that this program lists as a
//! dependency but never names is not linked, so its routes are absent. The README and the
//! crate docs say so; this test keeps that statement true.

#[routemark::route(GET "/local")]
fn local() -> &'static str {
    "local"
}

#[test]
fn routes_of_an_unnamed_dependency_are_absent() {
    let crates: Vec<&str> = routemark::routes().map(|r| r.crate_name()).collect();
    assert_eq!(crates, ["unlinked_crate"]);
    assert_eq!(local(), "local");
}
