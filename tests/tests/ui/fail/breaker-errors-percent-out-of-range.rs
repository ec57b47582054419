use routemark::route;

#[route(GET "/reports", breaker(errors_percent = 0))]
fn reports() -> &'static str {
    "ok"
}

#[route(GET "/summary", breaker(errors_percent = 101))]
fn summary() -> &'static str {
    "ok"
}

#[route(GET "/export", breaker(errors_percent = 300))]
fn export() -> &'static str {
    "ok"
}

fn main() {}
