//! A server for `tests/otel.rs`: a few routes on `127.0.0.1:0`, the address printed on
//! stdout, served by `App::serve_on` like any application, so that the `OTEL_*` variables
//! its environment sets are honoured with no code here.

use routemark::http::StatusCode;
use routemark::{App, Server, TraceContext, route};

#[route(GET "/shop/items/<id>")]
fn item(id: u32) -> String {
    format!("item {id}")
}

#[route(GET "/shop/broken")]
fn broken() -> (StatusCode, &'static str) {
    (StatusCode::BAD_GATEWAY, "upstream down")
}

#[route(GET "/shop/forward")]
fn forward(trace: TraceContext) -> String {
    trace.traceparent().unwrap_or("none").to_owned()
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    let server = Server::bind("127.0.0.1:0").await?;
    println!("{}", server.local_addr());
    App::new().serve_on(server).await
}
