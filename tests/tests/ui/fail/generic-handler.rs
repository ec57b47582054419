use routemark::route;

#[route(GET "/users/<id>")]
fn get_user<T: std::str::FromStr>(id: String) -> String {
    id
}

fn main() {}
