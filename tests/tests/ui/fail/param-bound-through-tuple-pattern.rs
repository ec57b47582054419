use routemark::route;

#[route(GET "/users/<id>")]
fn get_user((id, _): (u64, u64)) -> String {
    id.to_string()
}

fn main() {}
