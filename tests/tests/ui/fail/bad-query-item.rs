use routemark::route;

#[route(GET "/search?q")]
fn search(q: String) -> String {
    q
}

fn main() {}
