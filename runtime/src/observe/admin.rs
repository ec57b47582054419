//! The admin listener ([`App::admin_addr`](crate::App::admin_addr)): the probes, the metrics
//! and the live route table as JSON, on an address of their own.

use std::convert::Infallible;
use std::sync::Arc;

use super::Builtin;
use crate::Body;
use crate::response::Response;
use crate::service::Shared;
use crate::service::entry::Table;

/// The live table as JSON: one object per route, in the start-up table's order, and the
/// overlay in force.
pub(crate) fn routes_json(table: &Table, overlay: &crate::overlay::Overlay) -> String {
    let routes: Vec<serde_json::Value> = table
        .descriptors
        .iter()
        .map(|route| {
            let options = route.options();
            serde_json::json!({
                "identity": route
                    .methods()
                    .iter()
                    .map(|m| format!("{} {}", m.as_str(), route.path_without_query()))
                    .collect::<Vec<_>>(),
                "methods": route.methods().iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "template": route.path(),
                "handler": route.name(),
                "module": route.module_path(),
                "crate": route.crate_name(),
                "location": route.location(),
                "options": {
                    "body_limit": options.body_limit(),
                    "tags": options.tags(),
                },
                "tenant": serde_json::Value::Null,
            })
        })
        .collect();
    let view = serde_json::json!({ "routes": routes, "overlay": overlay.to_json() });
    let mut json = serde_json::to_string_pretty(&view).unwrap_or_else(|_| "{}".to_owned());
    json.push('\n');
    json
}

/// The admin listener's service: `/livez`, `/readyz`, `/healthz` (with `/<check>` and
/// `?verbose`), `/metrics`, `/routes`; `404` for anything else.
pub(crate) fn service(
    shared: Arc<Shared>,
) -> impl tower_service::Service<
    http::Request<Body>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |request: http::Request<Body>| {
        let shared = shared.clone();
        async move {
            let path = request.uri().path();
            let (builtin, check) = match path {
                "/livez" => (Builtin::Live { one: false }, None),
                "/readyz" | "/healthz" => (Builtin::Ready { one: false }, None),
                "/metrics" => (Builtin::Metrics, None),
                "/routes" => (Builtin::Routes, None),
                _ => match (path.strip_prefix("/livez/"), path.strip_prefix("/readyz/")) {
                    (Some(check), _) => (Builtin::Live { one: true }, Some(check)),
                    (_, Some(check)) => (Builtin::Ready { one: true }, Some(check)),
                    _ => {
                        return Ok(crate::dispatch::answers::not_found(path));
                    }
                },
            };
            let observe = &shared.recipe.observe;
            let table = shared.live.load();
            Ok(observe
                .answer(
                    builtin,
                    request.method(),
                    request.uri().query(),
                    request.headers().get(http::header::ACCEPT),
                    check,
                    Some((&table, &shared.overlay)),
                )
                .await)
        }
    })
}
