use routemark::route;

#[route(GET "/users")]
fn list_users() -> &'static str {
    "users"
}

#[route(GET "/users")]
fn all_users() -> &'static str {
    "all users"
}

fn main() {}
