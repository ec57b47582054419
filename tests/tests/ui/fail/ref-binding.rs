use routemark::route;

#[route(GET "/users/<id>")]
fn get_user(ref id: String) -> String {
    id.clone()
}

fn main() {}
