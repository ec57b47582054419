use routemark::route;

struct Users;

impl Users {
    #[route(GET "/users")]
    fn list(&self) -> &'static str {
        "users"
    }
}

fn main() {}
