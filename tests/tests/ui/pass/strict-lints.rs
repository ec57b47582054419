//! A crate under the strictest lints a user may set: the code `#[route]` generates must
//! raise none of them.

#![forbid(unsafe_code)]
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    unreachable_pub,
    trivial_casts,
    trivial_numeric_casts,
    single_use_lifetimes,
    variant_size_differences
)]

use routemark::http::{HeaderMap, StatusCode};
use routemark::{Json, State, route};

/// The application's state.
#[derive(Clone, Debug)]
struct Db;

/// A user.
#[derive(Debug, serde::Serialize)]
struct User {
    /// Its id.
    id: u64,
}

/// Gets a user.
#[route(GET | HEAD "/users/<id>?<verbose>")]
async fn get_user(
    id: u64,
    verbose: Option<bool>,
    State(_db): State<Db>,
) -> Result<Json<User>, StatusCode> {
    let _ = verbose;
    if id == 0 {
        Err(StatusCode::NOT_FOUND)
    } else {
        Ok(Json(User { id }))
    }
}

/// Borrowed parameters: a shim of its own.
#[route(GET "/names/<name>?<lang>")]
fn name(name: &str, lang: Option<std::borrow::Cow<'_, str>>, State(_db): State<Db>) -> String {
    format!("{name} {lang:?}")
}

/// Routes in a module.
mod api {
    use routemark::route;

    /// Lists files.
    #[route(GET "/files/<rest..>", body_limit = 1024, tags = ["files"])]
    pub(crate) fn files(rest: String, headers: super::HeaderMap) -> String {
        format!("{rest} {}", headers.len())
    }
}

/// A handler named against the naming lint, which its author allows: its shim, named after
/// it, must not raise the lint either (it carries no `allow`: rustc does not report the lint
/// for a name a macro makes).
#[allow(non_snake_case)]
#[route(GET "/camel")]
fn getCamel() -> &'static str {
    "camel"
}

fn main() {
    /// A route inside a function body.
    #[route(POST "/local")]
    fn local() {}

    assert_eq!(api::files("a".into(), HeaderMap::new()), "a 0");
    assert_eq!(name("a", None, State(Db)), "a None");
    assert_eq!(getCamel(), "camel");
    assert_eq!(routemark::routes().count(), 5);
}
