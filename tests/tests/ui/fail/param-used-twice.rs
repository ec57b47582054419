use routemark::route;

#[route(GET "/users/<id>/friends/<id>")]
fn get_friend(id: u64) -> String {
    id.to_string()
}

fn main() {}
