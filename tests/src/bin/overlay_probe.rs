//! A server for `tests/overlay_process.rs`: a few routes on `127.0.0.1:0`, the address
//! printed on stdout, served by `App::serve_on` like any application, so that the overlay
//! sources its environment names (`ROUTEMARK_OVERLAY_FILE`, `ROUTEMARK_ETCD_ENDPOINTS`,
//! `ROUTEMARK_ETCD_PREFIX`) are honoured with no code here.

use routemark::{App, Server, route};

#[route(GET "/pr/users/<id>")]
fn user(id: String) -> String {
    format!("user {id}")
}

#[route(GET "/pr/users/me")]
fn me() -> &'static str {
    "me"
}

#[route(GET "/pr/checkout")]
fn checkout() -> &'static str {
    "v1"
}

#[route(GET "/pr/checkout/v2")]
fn checkout_v2() -> &'static str {
    "v2"
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    let server = Server::bind("127.0.0.1:0").await?;
    println!("{}", server.local_addr());
    App::new().serve_on(server).await
}
