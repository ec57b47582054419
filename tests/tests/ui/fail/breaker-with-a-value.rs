use routemark::route;

#[route(GET "/reports", breaker = true)]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
