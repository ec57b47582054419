use routemark::route;

#[route]
fn list_users() -> &'static str {
    "users"
}

fn main() {}
