use routemark::route;

#[route(GET "/orders", tenant = "acme")]
fn acme_orders() -> &'static str {
    "acme orders"
}

#[route(GET "/orders", tenant = "acme")]
fn more_acme_orders() -> &'static str {
    "more acme orders"
}

fn main() {}
