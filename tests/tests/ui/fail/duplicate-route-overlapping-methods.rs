use routemark::route;

#[route(GET | POST "/users")]
fn users() -> &'static str {
    "users"
}

#[route(POST "/users")]
fn create_user() -> &'static str {
    "created"
}

fn main() {}
