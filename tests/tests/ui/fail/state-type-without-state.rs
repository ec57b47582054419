use routemark::route;

#[derive(Clone)]
struct Db;

// `Db` given to `App::state` is read through `State<Db>`, not as a bare argument.
#[route(GET "/books")]
fn list_books(db: Db) -> &'static str {
    let _ = db;
    "books"
}

fn main() {}
