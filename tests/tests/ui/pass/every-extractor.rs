use bytes::Bytes;
use routemark::http::{HeaderMap, Method, Uri};
use routemark::{Json, Query, RequestParts, State, Text, route};

#[derive(Clone)]
struct Db;

#[derive(Clone)]
struct Config;

#[derive(serde::Deserialize)]
struct Page {
    offset: u32,
}

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
}

#[route(GET "/head/<id>?<verbose>")]
async fn head(
    State(_db): State<Db>,
    id: u64,
    _config: State<Config>,
    Query(page): Query<Page>,
    headers: HeaderMap,
    method: Method,
    verbose: Option<bool>,
    uri: Uri,
    parts: RequestParts,
) -> String {
    format!(
        "{id} {} {} {method} {uri} {verbose:?} {parts:?}",
        page.offset,
        headers.len()
    )
}

#[route(POST "/json")]
async fn json(headers: HeaderMap, Json(user): Json<NewUser>) -> String {
    format!("{} {}", user.name, headers.len())
}

#[route(POST "/text")]
fn text(method: Method, Text(body): Text) -> String {
    format!("{method} {body}")
}

#[route(POST "/bytes")]
fn raw_bytes(body: Bytes) -> String {
    body.len().to_string()
}

#[route(POST "/request")]
fn whole_request(request: routemark::Request) -> String {
    request.uri().to_string()
}

#[route(POST "/body")]
fn body_stream(_state: State<Db>, _body: routemark::Body) {}

fn main() {
    assert_eq!(text(Method::POST, Text("hi".into())), "POST hi");
    assert_eq!(raw_bytes(Bytes::from_static(b"abc")), "3");

    let head = routemark::routes()
        .find(|r| r.name() == "head")
        .expect("`head` is registered");
    let mut states: Vec<_> = head.state().iter().map(|s| s.type_name()).collect();
    states.sort_unstable();
    assert_eq!(states.len(), 2);
    assert!(
        states[0].ends_with("Config") && states[1].ends_with("Db"),
        "{states:?}"
    );
    assert_eq!(routemark::routes().count(), 6);
}
