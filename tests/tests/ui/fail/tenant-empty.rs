use routemark::route;

#[route(GET "/orders", tenant = "")]
fn orders() {}

fn main() {}
