use routemark::route;

#[route(GET "/reports", timeout = "0ms")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
