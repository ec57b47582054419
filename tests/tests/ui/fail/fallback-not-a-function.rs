use routemark::route;

const CACHED: &str = "cached";

#[route(GET "/reports", breaker, fallback = CACHED)]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
