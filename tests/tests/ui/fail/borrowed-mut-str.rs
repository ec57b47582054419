use routemark::route;

#[route(GET "/users/<name>")]
fn user(name: &mut str) -> String {
    name.make_ascii_uppercase();
    name.to_owned()
}

fn main() {}
