use routemark::route;

#[route(GET "/version")]
unsafe fn version() -> &'static str {
    "1.0"
}

fn main() {}
