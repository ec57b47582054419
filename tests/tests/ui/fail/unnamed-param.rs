use routemark::route;

#[route(GET "/users/<>")]
fn get_user(id: u64) -> String {
    id.to_string()
}

fn main() {}
