use routemark::route;

#[route(GET /users/list)]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
