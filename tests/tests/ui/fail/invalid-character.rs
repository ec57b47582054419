use routemark::route;

#[route(GET "/user list")]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
