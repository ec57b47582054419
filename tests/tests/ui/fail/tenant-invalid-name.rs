use routemark::route;

#[route(GET "/orders", tenant = "acme corp")]
fn orders() {}

#[route(GET "/invoices", tenant = "1acme")]
fn invoices() {}

#[route(GET "/users", tenant = "acme.example.com")]
fn users() {}

fn main() {}
