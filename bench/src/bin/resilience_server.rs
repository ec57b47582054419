//! The per-request cost of a route's resilience options: one server with two routes that
//! differ only in them, `GET /plain` (no options) and `GET /guard` (a closed breaker and a
//! concurrency limit), measured in the same run by `bench/resilience/measure.py`.
//!
//! ```text
//! cargo build --release -p routemark-bench --bin resilience_server
//! python3 bench/resilience/measure.py
//! ```
//!
//! `resilience_server ADDR mt` serves on a multi-thread runtime (one worker per core), to
//! profile the breaker under concurrent requests from several threads.

use routemark::route;

#[route(GET "/plain")]
fn plain() -> &'static str {
    "ok"
}

#[route(GET "/guard", breaker, concurrency = 1024)]
fn guarded() -> &'static str {
    "ok"
}

fn main() -> Result<(), routemark::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let mut runtime = match std::env::args().nth(2).as_deref() {
        Some("mt") => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    runtime
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async move {
            let router = routemark::App::new().build()?;
            let server = routemark::Server::bind(addr.as_str()).await?;
            eprintln!("resilience_server on {}", server.local_addr());
            server.serve(router).await
        })
}
