use routemark::route;

#[route(GTE "/users")]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
