use routemark::route;

#[route(GET "/reports", breaker())]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
