use routemark::route;

#[route(GET "/reports", breaker, fallback = "cached_reports")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
