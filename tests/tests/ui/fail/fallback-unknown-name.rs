use routemark::route;

#[route(GET "/reports", breaker, fallback = cached_reprts)]
fn reports() -> &'static str {
    "ok"
}

fn cached_reports() -> &'static str {
    "cached"
}

fn main() {}
