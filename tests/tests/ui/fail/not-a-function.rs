use routemark::route;

#[route(GET "/users")]
struct Users;

fn main() {}
