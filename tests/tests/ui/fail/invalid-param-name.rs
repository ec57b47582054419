use routemark::route;

#[route(GET "/users/<1st>")]
fn get_user(first: u64) -> String {
    first.to_string()
}

fn main() {}
