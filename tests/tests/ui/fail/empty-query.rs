use routemark::route;

#[route(GET "/search?")]
fn search() -> &'static str {
    "results"
}

fn main() {}
