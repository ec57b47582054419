use routemark::route;

#[route(GET "/reports", timeout = "2 s")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
