use routemark::{Method, MethodSet, route};

// A route of one method is declared with the runtime's constant for it (`ONLY_GET`, ...):
// each of the eight must exist and hold that method alone.

#[route(GET "/get")]
fn get() {}

#[route(HEAD "/head")]
fn head() {}

#[route(POST "/post")]
fn post() {}

#[route(PUT "/put")]
fn put() {}

#[route(PATCH "/patch")]
fn patch() {}

#[route(DELETE "/delete")]
fn delete() {}

#[route(OPTIONS "/options")]
fn options() {}

#[route(TRACE "/trace")]
fn trace() {}

fn main() {
    for method in Method::ALL {
        let path = format!("/{}", method.as_str().to_ascii_lowercase());
        let route = routemark::routes()
            .find(|r| r.path() == path)
            .unwrap_or_else(|| panic!("`{path}` is registered"));
        assert_eq!(route.methods(), MethodSet::single(method), "{path}");
    }
    assert_eq!(routemark::routes().count(), 8);
}
