//! The size of the future that answers one request, as `Router::handle` returns it, for a
//! route without options and for one with a breaker and a concurrency limit.
//!
//! Over HTTP/2 hyper spawns a task per stream and moves this future into it, so every byte
//! of it is copied once per request (bench/README.md, HTTP/2); over HTTP/1.1 it lives in the
//! connection's task. Its size is a compile-time property of the dispatch code.
//!
//! ```text
//! cargo run --release -p routemark-bench --bin future_size
//! ```

use routemark::route;

#[route(GET "/plain")]
fn plain() -> &'static str {
    "ok"
}

#[route(GET "/guard", breaker, concurrency = 1024)]
fn guarded() -> &'static str {
    "ok"
}

fn main() {
    sizes();
    let router = routemark::App::new().build().expect("the routes build");
    let request = routemark::http::Request::get("/plain")
        .body(routemark::Body::empty())
        .expect("a request");
    let future = router.handle(request);
    println!("Router::handle's future: {} bytes", size_of_val(&future));
}
#[allow(dead_code)]
fn sizes() {
    println!("Body {}", size_of::<routemark::Body>());
    println!("Response {}", size_of::<routemark::Response>());
    println!("RequestParts {}", size_of::<routemark::RequestParts>());
    println!(
        "http Parts {}",
        size_of::<routemark::http::request::Parts>()
    );
    println!(
        "Request<Body> {}",
        size_of::<routemark::http::Request<routemark::Body>>()
    );
    println!("tokio Sleep {}", size_of::<tokio::time::Sleep>());
}
