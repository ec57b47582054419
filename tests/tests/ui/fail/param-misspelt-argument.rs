use routemark::route;

#[route(GET "/users/<name>")]
fn get_user(nmae: String) -> String {
    nmae
}

fn main() {}
