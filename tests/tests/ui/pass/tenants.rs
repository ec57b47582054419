//! The same method and path in two tenants, and as a shared route (which the tenant routes
//! override): all compile, and each descriptor carries its tenant.

use routemark::{Route, Tenant, route};

#[route(GET "/orders")]
fn shared_orders() -> &'static str {
    "shared"
}

#[route(GET "/orders", tenant = "acme")]
fn acme_orders() -> &'static str {
    "acme"
}

#[route(GET "/orders", tenant = "globex")]
fn globex_orders(tenant: Tenant) -> String {
    tenant.to_string()
}

#[route(GET | POST "/orders/<id>", tenant = "Globex_2-eu", tags = ["billing"], body_limit = 64)]
fn eu_order(id: u64) -> String {
    id.to_string()
}

#[route(GET "/orders/<id>", tenant = "acme")]
fn acme_order(id: u64, matched: routemark::MatchedRoute) -> String {
    format!("{id} {:?}", matched.tenant())
}

// A tenant whose name differs from another's only where keys escape characters.
#[route(GET "/orders/<id>", tenant = "acme-1")]
fn acme_dash_order(id: u64) -> String {
    id.to_string()
}

#[route(GET "/orders/<id>", tenant = "acme_1")]
fn acme_underscore_order(id: u64) -> String {
    id.to_string()
}

fn route(name: &str) -> &'static Route {
    routemark::routes()
        .find(|r| r.name() == name)
        .expect("registered")
}

fn main() {
    assert_eq!(route("shared_orders").tenant(), None);
    assert_eq!(route("acme_orders").tenant(), Some("acme"));
    assert_eq!(route("globex_orders").options().tenant(), Some("globex"));
    let eu = route("eu_order");
    assert_eq!(eu.tenant(), Some("Globex_2-eu"));
    assert_eq!(eu.tags(), ["billing"]);
    assert_eq!(eu.body_limit(), Some(64));
    assert_eq!(eu.identity(), "Globex_2-eu:GET | POST /orders/<id>");
    assert_eq!(route("shared_orders").identity(), "GET /orders");
    assert_eq!(
        format!("{:?}", route("acme_orders").options()),
        r#"RouteOptions { body_limit: None, tags: [], timeout: None, concurrency: None, breaker: None, fallback: false, tenant: "acme" }"#
    );
    assert_eq!(
        format!("{:?}", route("shared_orders").options()),
        "RouteOptions { body_limit: None, tags: [], timeout: None, concurrency: None, breaker: None, fallback: false }"
    );
    assert_eq!(route("acme_dash_order").tenant(), Some("acme-1"));
    assert_eq!(route("acme_underscore_order").tenant(), Some("acme_1"));
}
