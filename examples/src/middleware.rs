//! Middleware and interop: tower-http layers on every request, an authorization layer on the
//! routes tagged `admin`, a value a layer hands to handlers, static files from a nested
//! `ServeDir`, and a fallback service.
//!
//! ```console
//! $ cargo run -p routemark-examples --bin middleware
//! $ curl -i localhost:3000/hello                                  # x-request-id: 1, traced
//! $ curl -i localhost:3000/admin/stats                            # 401: the admin tag's layer
//! $ curl -i -H 'authorization: Bearer s3cret' localhost:3000/admin/stats
//! $ curl -i localhost:3000/static/Cargo.toml                      # a file, from ServeDir
//! $ curl -i localhost:3000/nowhere                                # the fallback's 404
//! ```

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use routemark::http::{HeaderValue, Request, StatusCode};
use routemark::{App, Extension, MatchedRoute, route};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// Which build served the request: a value a layer puts into every request.
#[derive(Clone)]
struct Build(&'static str);

#[route(GET "/hello")]
fn hello(Extension(build): Extension<Build>, matched: MatchedRoute) -> String {
    format!("hello from {} (route {})\n", build.0, matched.template())
}

#[route(GET "/admin/stats", tags = ["admin"])]
fn stats() -> &'static str {
    "all systems nominal\n"
}

/// Request ids `1`, `2`, … for requests that come without one.
#[derive(Clone, Default)]
struct Sequential(Arc<AtomicU64>);

impl MakeRequestId for Sequential {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Some(RequestId::new(HeaderValue::from(id)))
    }
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=debug".into()),
        )
        .init();
    let addr = std::env::var("ROUTEMARK_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    #[allow(deprecated)] // tower-http 0.6's documented constructors
    let (auth, timeout) = (
        ValidateRequestHeaderLayer::bearer("s3cret"),
        tower_http::timeout::TimeoutLayer::new(Duration::from_secs(10)),
    );
    App::new()
        // Every request, 404 and 405 included; the last added runs first.
        .layer(Extension(Build(env!("CARGO_PKG_VERSION"))))
        .layer(CompressionLayer::new())
        .layer(timeout)
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(Sequential::default()))
        // Only the routes declared with `tags = ["admin"]`.
        .route_layer_for(routemark::RouteFilter::tag("admin"), auth)
        // Any tower service under a prefix, the prefix stripped: files of this crate.
        .nest_service("/static", ServeDir::new(env!("CARGO_MANIFEST_DIR")))
        // What no route matches.
        .fallback_service(tower::service_fn(
            |request: Request<routemark::Body>| async move {
                let message = format!("nothing at {}\n", request.uri().path());
                Ok::<_, Infallible>((StatusCode::NOT_FOUND, message))
            },
        ))
        .serve(addr.as_str())
        .await
}
