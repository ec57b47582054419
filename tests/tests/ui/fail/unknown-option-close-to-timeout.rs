use routemark::route;

#[route(GET "/reports", timout = "2s")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
