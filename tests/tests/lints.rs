//! The code `#[route]` generates stays clean under a user's strictest lints: this file is
//! checked by `cargo clippy --workspace --all-targets -- -D warnings` with every pedantic lint
//! denied, and by rustc with the lints below.

#![forbid(unsafe_code)]
#![deny(
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_docs_in_private_items,
    clippy::needless_pass_by_value,
    clippy::unused_async,
    clippy::used_underscore_binding,
    clippy::wildcard_imports,
    clippy::absolute_paths,
    missing_docs,
    unused_qualifications,
    unused_results,
    rust_2018_idioms,
    unreachable_pub,
    non_local_definitions
)]

use std::borrow::Cow;

use routemark::http::{HeaderMap, StatusCode};
use routemark::{Json, Query, State, Text, route};

/// The application's state.
#[derive(Clone, Debug)]
struct Db;

/// A query string.
#[derive(Debug, serde::Deserialize)]
struct Page {
    /// Where to start.
    offset: u32,
}

/// A user, in and out.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
struct User {
    /// Its name.
    name: String,
}

/// Every kind of argument, in an async handler.
#[route(GET | HEAD "/lints/users/<id>/files/<rest..>?<verbose>&<limit>")]
async fn get_user(
    id: u64,
    rest: String,
    verbose: Option<bool>,
    limit: u32,
    State(_db): State<Db>,
    Query(page): Query<Page>,
    headers: HeaderMap,
) -> Result<Json<User>, StatusCode> {
    if id == 0 || verbose == Some(true) {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(Json(User {
        name: format!("{rest} {limit} {} {}", page.offset, headers.len()),
    }))
}

/// A sync handler with a body and an option.
#[route(POST "/lints/users", body_limit = 4096)]
fn create_user(Json(user): Json<User>) -> (StatusCode, Json<User>) {
    (StatusCode::CREATED, Json(user))
}

/// No arguments, no return value.
#[route(DELETE "/lints/cache")]
fn clear_cache() {}

/// A raw identifier.
#[route(PUT "/lints/refs/<ref>")]
fn update_ref(r#ref: String, Text(body): Text) -> String {
    r#ref + &body
}

/// Borrowed parameters, an extractor between them and a body last: a shim of its own.
#[route(POST "/lints/borrowed/<name>/<rest..>?<lang>&<tag>")]
async fn borrowed(
    name: &str,
    State(_db): State<Db>,
    rest: Cow<'_, str>,
    lang: Option<&str>,
    tag: Option<Cow<'_, str>>,
    Text(body): Text,
) -> String {
    let (rest, tag) = (rest.into_owned(), tag.map(Cow::into_owned));
    format!("{name} {rest} {lang:?} {tag:?} {body}")
}

/// A sync handler of one borrowed parameter.
#[route(GET "/lints/borrowed/<name>")]
fn borrowed_sync(name: &str) -> String {
    name.to_uppercase()
}

/// Routes in a module.
mod nested {
    /// A route in a module.
    #[routemark::route(GET "/lints/nested")]
    pub(crate) fn nested() -> &'static str {
        "nested"
    }
}

#[test]
fn generated_code_raises_no_lint() {
    /// A route in a function body.
    #[route(GET "/lints/local")]
    fn local() -> StatusCode {
        StatusCode::NO_CONTENT
    }

    assert_eq!(nested::nested(), "nested");
    assert_eq!(local(), StatusCode::NO_CONTENT);
    assert_eq!(update_ref("a".to_owned(), Text("b".to_owned())), "ab");
    assert_eq!(borrowed_sync("a"), "A");
    let _ = (get_user, create_user, clear_cache, borrowed);
    let count = routemark::routes()
        .filter(|r| r.path().starts_with("/lints/"))
        .count();
    assert_eq!(count, 8);
}
