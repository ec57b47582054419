use routemark::{Method, route};

#[route(GET | HEAD | POST | PUT | PATCH | DELETE | OPTIONS | TRACE "/everything")]
fn everything() -> &'static str {
    "any method"
}

#[route(PUT | PATCH "/users/<id>")]
fn update_user(id: u64) -> String {
    format!("updated {id}")
}

fn main() {
    let route = routemark::routes()
        .find(|r| r.path() == "/everything")
        .expect("`/everything` is registered");
    assert_eq!(route.methods().iter().collect::<Vec<_>>(), Method::ALL);
    assert_eq!(route.name(), "everything");

    let route = routemark::routes()
        .find(|r| r.path() == "/users/<id>")
        .expect("`/users/<id>` is registered");
    assert_eq!(route.methods().to_string(), "PUT | PATCH");
    assert_eq!(update_user(3), "updated 3");
}
