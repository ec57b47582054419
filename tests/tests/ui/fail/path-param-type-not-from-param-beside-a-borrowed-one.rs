use routemark::route;

struct UserId(u64);

// A `fn` handler of a borrowed and an owned parameter: the route's own shim parses the owned
// one, and reports its type at the same token as `nowN` and `callN` do.
#[route(GET "/users/<name>/<id>")]
fn get_user(name: &str, id: UserId) -> String {
    format!("{name} {}", id.0)
}

fn main() {}
