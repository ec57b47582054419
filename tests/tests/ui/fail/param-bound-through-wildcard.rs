use routemark::route;

#[route(GET "/users/<id>")]
fn get_user(_: u64) -> &'static str {
    "user"
}

fn main() {}
