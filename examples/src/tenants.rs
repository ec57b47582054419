//! Multi-tenant routing: shared routes, a route that one tenant overrides, a tenant's own
//! route, per-tenant state, and the tenant taken from a header.
//!
//! ```console
//! $ cargo run -p routemark-examples --bin tenants
//! $ curl -i localhost:3000/plans                          # the shared plans
//! $ curl -i -H 'x-tenant: acme' localhost:3000/plans      # acme's own plans (an override)
//! $ curl -i -H 'x-tenant: globex' localhost:3000/plans    # globex gets the shared ones
//! $ curl -i -H 'x-tenant: acme' localhost:3000/invoices   # acme's route, acme's database
//! $ curl -i -H 'x-tenant: globex' localhost:3000/invoices # 404: acme's route only
//! $ curl -i -H 'x-tenant: initech' localhost:3000/plans   # 404: unknown tenant `initech`
//! $ curl -i -H 'x-tenant: acme,globex' localhost:3000/plans # 400: one tenant per request
//! ```
//!
//! `ROUTEMARK_TENANCY=path` serves the same routes by path prefix
//! (`curl localhost:3000/acme/invoices`), `ROUTEMARK_TENANCY=host` by host
//! (`curl -H 'host: acme.localhost' localhost:3000/invoices`).

use routemark::{App, MatchedRoute, State, Tenancy, Tenant, route};

/// Where a tenant's data lives: a value per tenant through `App::tenant_state`.
#[derive(Clone)]
struct Database(&'static str);

#[route(GET "/plans")]
fn plans(matched: MatchedRoute) -> String {
    let tenant = matched.tenant().unwrap_or("no tenant");
    format!("shared plans: basic, pro ({tenant})\n")
}

/// Overrides the shared `/plans` for acme only.
#[route(GET "/plans", tenant = "acme")]
fn acme_plans() -> &'static str {
    "acme plans: enterprise\n"
}

#[route(GET "/invoices", tenant = "acme")]
fn acme_invoices(tenant: Tenant, State(db): State<Database>) -> String {
    format!("invoices of {tenant} from {}\n", db.0)
}

/// globex's own route, on the same path as nothing shared.
#[route(GET "/reports", tenant = "globex")]
fn globex_reports(State(db): State<Database>) -> String {
    format!("globex reports from {}\n", db.0)
}

fn tenancy() -> Tenancy {
    match std::env::var("ROUTEMARK_TENANCY").as_deref() {
        Ok("path") => Tenancy::path_prefix(),
        Ok("host") => Tenancy::host([("acme.localhost", "acme"), ("globex.localhost", "globex")]),
        _ => Tenancy::header("x-tenant"),
    }
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    App::new()
        .tenancy(tenancy())
        .state(Database("postgres://shared"))
        .tenant_state("acme", Database("postgres://acme"))
        .tenant_state("globex", Database("postgres://globex"))
        .serve("127.0.0.1:3000")
        .await
}
