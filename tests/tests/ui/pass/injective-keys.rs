//! Paths that differ only in characters the duplicate key must escape: none of them may
//! collide with another.

use routemark::route;

#[route(GET "/a_b/c")]
fn a_underscore_b() {}

#[route(GET "/a/b_c")]
fn b_underscore_c() {}

#[route(GET "/a/b/c")]
fn a_b_c() {}

#[route(GET "/a-b/c")]
fn a_dash_b() {}

#[route(GET "/a.b/c")]
fn a_dot_b() {}

#[route(GET "/A/b/c")]
fn upper_a() {}

#[route(GET "/a/b/c/")]
fn trailing_slash() {}

#[route(GET "/a/b/<c>")]
fn param_c(c: String) {
    drop(c);
}

#[route(GET "/a/b/<c..>")]
fn catch_all_c(c: String) {
    drop(c);
}

#[route(GET "/a/b/P")]
fn letter_p() {}

#[route(GET "/a/b~")]
fn tilde() {}

#[route(GET "/a/bT")]
fn letter_t() {}

#[route(GET "/a/b%5F")]
fn escaped_underscore() {}

#[route(GET "/")]
fn root() {}

#[route(GET "/a/")]
fn a_slash() {}

#[route(GET "/a")]
fn a() {}

fn main() {
    assert_eq!(routemark::routes().count(), 16);
}
