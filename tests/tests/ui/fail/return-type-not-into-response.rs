use routemark::route;

struct User {
    name: String,
}

#[route(GET "/users/<name>")]
async fn get_user(name: String) -> User {
    User { name }
}

fn main() {}
