//! Routes declared in a library crate. A program collects them once it links this crate
//! (`use routemark_extra_routes as _;`).

use routemark::route;

/// Answers with the crate's name, so a test can tell where the answer came from.
#[route(GET "/extra/hello")]
pub fn extra_hello() -> &'static str {
    "hello from routemark-extra-routes"
}

/// A route with a parameter, declared outside the binary.
#[route(GET | POST "/extra/items/<id>")]
pub async fn extra_item(id: u32) -> String {
    format!("extra item {id}")
}

/// A tenant's route, declared outside the binary: a route of the same tenant, method and
/// path in another crate conflicts at build; one of another tenant does not.
#[route(GET "/extra/orders", tenant = "acme")]
pub fn extra_acme_orders() -> &'static str {
    "acme orders from routemark-extra-routes"
}
