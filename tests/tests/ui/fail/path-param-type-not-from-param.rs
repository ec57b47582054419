use routemark::route;

struct UserId(u64);

#[route(GET "/users/<id>")]
fn get_user(id: UserId) -> String {
    id.0.to_string()
}

fn main() {}
