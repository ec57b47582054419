use routemark::route;

#[route(GET "/files/<path..>/edit")]
fn edit_file(path: String) -> String {
    path
}

fn main() {}
