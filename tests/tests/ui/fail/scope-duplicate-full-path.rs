use routemark::{route, scope};

#[scope("/api/v1")]
mod v1 {
    #[routemark::route(GET "/books")]
    fn books() -> &'static str {
        "books"
    }
}

// Written whole, the same method and path as the scoped route above.
#[route(GET "/api/v1/books")]
fn books_again() -> &'static str {
    "books"
}

fn main() {}
