use routemark::route;

#[route(GET "/users/<id>")]
fn get_user(user_id: u64) -> String {
    user_id.to_string()
}

fn main() {}
