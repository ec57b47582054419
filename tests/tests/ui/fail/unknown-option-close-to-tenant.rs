use routemark::route;

#[route(GET "/orders", tennant = "acme")]
fn orders() {}

fn main() {}
