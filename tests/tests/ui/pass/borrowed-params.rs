use std::borrow::Cow;

use routemark::{Json, State, route};

#[derive(Clone)]
struct Db;

#[route(GET "/users/<name>")]
async fn user(name: &str) -> String {
    format!("user {name}")
}

#[route(GET "/cow/<name>")]
async fn cow(name: Cow<'_, str>) -> String {
    name.into_owned()
}

#[route(GET "/search?<q>&<page>&<lang>")]
async fn search(q: &str, page: Option<&str>, lang: Option<Cow<'_, str>>) -> String {
    format!("{q} {page:?} {lang:?}")
}

#[route(GET "/files/<path..>")]
fn file(path: &str) -> String {
    path.to_owned()
}

// Not `async`: called by the shim as a `callN` calls it.
#[route(GET "/hello/<name>")]
fn hello(name: &str) -> String {
    format!("hello {name}")
}

// Borrowed and owned parameters, an extractor, and a body extractor last.
#[route(POST "/orgs/<org>/items/<id>?<note>")]
async fn create(
    State(_db): State<Db>,
    org: &str,
    id: u64,
    note: Option<&str>,
    Json(value): Json<u32>,
) -> Json<String> {
    Json(format!("{org} {id} {note:?} {value}"))
}

// Lifetimes spelled `'_` and paths spelled out.
#[route(GET "/spelled/<a>/<b>")]
fn spelled(a: &'_ str, b: std::borrow::Cow<'_, str>) -> String {
    format!("{a}{b}")
}

// A fallback of a route with borrowed parameters takes no arguments, or takes them owned.
#[route(GET "/report/<id>", timeout = "2s", fallback = report_unavailable)]
async fn report(id: &str) -> String {
    id.to_owned()
}

fn report_unavailable(id: String) -> String {
    format!("{id} unavailable")
}

#[route(GET "/busy/<id>", concurrency = 4, fallback = busy)]
async fn busy_route(id: &str) -> String {
    id.to_owned()
}

fn busy() -> &'static str {
    "busy"
}

fn main() {
    let names: Vec<_> = routemark::routes().map(|r| r.name()).collect();
    for name in ["user", "cow", "search", "file", "hello", "create", "spelled", "report"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // The handlers stay plain functions.
    assert_eq!(hello("a"), "hello a");
    assert_eq!(spelled("a", Cow::Borrowed("b")), "ab");
    let _ = (user("a"), cow(Cow::Borrowed("a")), search("a", None, None), file("a"));
    let _ = (create, report, busy_route, report_unavailable("1".into()), busy());
}
