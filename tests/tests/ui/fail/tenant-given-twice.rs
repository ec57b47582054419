use routemark::route;

#[route(GET "/orders", tenant = "acme", tenant = "globex")]
fn orders() {}

fn main() {}
