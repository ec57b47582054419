use routemark::route;

#[route(GET "/reports", breaker(error_percent = 25))]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
