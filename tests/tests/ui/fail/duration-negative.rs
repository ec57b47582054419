use routemark::route;

#[route(GET "/reports", timeout = "-1s")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
