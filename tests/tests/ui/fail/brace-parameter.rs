use routemark::route;

#[route(GET "/books/{id}")]
fn get_book(id: u64) -> String {
    id.to_string()
}

#[route(GET "/files/{*path}")]
fn get_file(path: String) -> String {
    path
}

fn main() {}
