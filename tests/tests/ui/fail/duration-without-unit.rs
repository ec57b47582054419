use routemark::route;

#[route(GET "/reports", timeout = "500")]
fn reports() -> &'static str {
    "ok"
}

#[route(GET "/summary", timeout = 2)]
fn summary() -> &'static str {
    "ok"
}

fn main() {}
