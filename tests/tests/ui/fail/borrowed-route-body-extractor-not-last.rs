use routemark::http::Method;
use routemark::{Json, route};

// A route with a borrowed parameter has a shim of its own: its type errors land on the
// user's tokens, once, as those of any other route.
#[route(POST "/notes/<name>")]
async fn create(name: &str, Json(text): Json<String>, method: Method) -> String {
    format!("{name} {text} {method}")
}

fn main() {}
