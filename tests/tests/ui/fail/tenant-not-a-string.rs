use routemark::route;

#[route(GET "/orders", tenant = acme)]
fn orders() {}

#[route(GET "/invoices", tenant = ["acme"])]
fn invoices() {}

const ACME: &str = "acme";

#[route(GET "/users", tenant = 42)]
fn users() {}

fn main() {
    let _ = ACME;
}
