use routemark::route;

#[route(GET | POST | GET "/users")]
fn users() -> &'static str {
    "users"
}

fn main() {}
