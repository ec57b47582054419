use routemark::route;

#[route(GET "/reports", breaker(min_requests = 0))]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
