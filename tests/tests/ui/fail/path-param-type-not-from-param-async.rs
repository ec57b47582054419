use routemark::route;

struct UserId(u64);

// The same error as for a `fn` handler, through the `async` handler's extraction.
#[route(GET "/users/<id>")]
async fn get_user(id: UserId) -> String {
    id.0.to_string()
}

fn main() {}
