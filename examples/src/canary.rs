//! Routes changed at run time: a checkout with a second version behind a canary split, and
//! a kill switch for payments — driven from a file or from etcd, no restart.
//!
//! ```text
//! # from a file (watched; applied within a second)
//! echo '{ "routes": { "GET /checkout": { "split": { "GET /checkout/v2": 5 } } } }' > /tmp/overlay.json
//! ROUTEMARK_OVERLAY_FILE=/tmp/overlay.json cargo run -p routemark-examples --bin canary
//!
//! # from etcd (Debian: etcd-server; the `etcd` feature needs protoc)
//! etcd --data-dir /tmp/etcd-demo &
//! ROUTEMARK_ETCD_ENDPOINTS=http://127.0.0.1:2379 ROUTEMARK_ETCD_PREFIX=/routemark/shop/ \
//!   cargo run -p routemark-examples --bin canary --features etcd
//! etcdctl put '/routemark/shop/GET /checkout' '{ "split": { "GET /checkout/v2": 5 } }'
//! etcdctl put '/routemark/shop/POST /payments' '{ "enabled": false }'
//! ```

use routemark::http::StatusCode;
use routemark::{App, route};

/// The checkout most clients get.
#[route(GET "/checkout")]
fn checkout() -> &'static str {
    "checkout v1\n"
}

/// The new checkout, reached only through the overlay's split (or directly, for testing).
#[route(GET "/checkout/v2")]
fn checkout_v2() -> &'static str {
    "checkout v2\n"
}

/// Payments: the overlay can take this route out (`"enabled": false`) in an incident.
#[route(POST "/payments")]
fn pay() -> (StatusCode, &'static str) {
    (StatusCode::CREATED, "paid\n")
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr = std::env::var("ROUTEMARK_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    // The overlay's sources come from the environment: no code here.
    App::new().serve(addr).await
}
