use routemark::route;

#[route(GET "/reports", breaker(window = "10 seconds", open_for = "5S"))]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
