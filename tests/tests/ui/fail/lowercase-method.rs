use routemark::route;

#[route(get "/users")]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
