use routemark::route;

#[route(GET "/reports", breaker(min_requests = 5, min_requests = 10))]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
