use routemark::route;

#[route(POST "/users")]
fn create_user(name: String) -> String {
    name
}

fn main() {}
