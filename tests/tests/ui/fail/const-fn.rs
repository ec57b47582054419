use routemark::route;

#[route(GET "/version")]
const fn version() -> &'static str {
    "1.0"
}

fn main() {}
