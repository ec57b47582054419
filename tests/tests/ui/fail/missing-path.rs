use routemark::route;

#[route(GET)]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
