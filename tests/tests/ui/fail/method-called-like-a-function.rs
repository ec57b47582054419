use routemark::route;

// Rocket's form, `get("/books")`, instead of `GET "/books"`.
#[route(get("/books"))]
fn list_books() -> &'static str {
    "books"
}

fn main() {}
