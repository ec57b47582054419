use routemark::route;

#[route(GET "/reports", timeout = "1s", concurrency = 4, breaker, timeout = "2s", concurrency = 8, breaker(min_requests = 5))]
fn reports() -> &'static str {
    "ok"
}

#[route(GET "/summary", breaker, fallback = cached, fallback = cached)]
fn summary() -> &'static str {
    "ok"
}

fn cached() -> &'static str {
    "cached"
}

fn main() {}
