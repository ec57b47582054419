use routemark::route;

#[route(GET "/reports", timeout = "2sec")]
fn reports() -> &'static str {
    "ok"
}

fn main() {}
