//! A server for `tests/shutdown.rs`: serves slow requests on `127.0.0.1:0`, prints the address
//! on stdout, and runs until SIGINT or SIGTERM like any routemark application.

use std::time::Duration;

use routemark::{App, Server, route};

#[route(GET "/slow")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(700)).await;
    "finished"
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    let server = Server::bind("127.0.0.1:0").await?;
    println!("{}", server.local_addr());
    App::new().serve_on(server).await
}
