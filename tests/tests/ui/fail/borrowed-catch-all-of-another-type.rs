use std::path::Path;

use routemark::route;

#[route(GET "/files/<path..>")]
fn file(path: &Path) -> String {
    path.display().to_string()
}

fn main() {}
