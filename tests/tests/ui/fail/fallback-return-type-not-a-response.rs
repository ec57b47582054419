use routemark::route;

struct Report;

#[route(GET "/reports", breaker, fallback = cached)]
fn reports() -> &'static str {
    "ok"
}

fn cached() -> Report {
    Report
}

fn main() {}
