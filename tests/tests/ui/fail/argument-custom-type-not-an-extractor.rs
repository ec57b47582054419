use routemark::route;

struct User {
    name: String,
}

#[route(POST "/users")]
fn create_user(user: User) -> String {
    user.name
}

fn main() {}
