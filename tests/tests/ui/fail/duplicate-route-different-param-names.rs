use routemark::route;

#[route(GET "/users/<id>")]
fn get_user_by_id(id: u64) -> String {
    id.to_string()
}

#[route(GET "/users/<name>")]
fn get_user_by_name(name: String) -> String {
    name
}

fn main() {}
