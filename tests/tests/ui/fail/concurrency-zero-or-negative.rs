use routemark::route;

#[route(GET "/reports", concurrency = 0)]
fn reports() -> &'static str {
    "ok"
}

#[route(GET "/summary", concurrency = -1)]
fn summary() -> &'static str {
    "ok"
}

#[route(GET "/export", concurrency = "32")]
fn export() -> &'static str {
    "ok"
}

fn main() {}
