use std::borrow::Cow;

use routemark::http::{self, HeaderMap, StatusCode};
use routemark::{Bytes, Html, HttpError, IntoResponse, Json, Text, route};

#[derive(serde::Serialize)]
struct User {
    id: u64,
}

#[route(GET "/string")]
fn string() -> String {
    String::from("string")
}

#[route(GET "/str")]
fn static_str() -> &'static str {
    "str"
}

#[route(GET "/cow")]
fn cow() -> Cow<'static, str> {
    Cow::Borrowed("cow")
}

#[route(GET "/json/<id>")]
async fn json(id: u64) -> Json<User> {
    Json(User { id })
}

#[route(GET "/status")]
fn status() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[route(POST "/created")]
fn created() -> (StatusCode, Json<User>) {
    (StatusCode::CREATED, Json(User { id: 1 }))
}

#[route(POST "/with-headers")]
fn with_headers() -> (StatusCode, HeaderMap, &'static str) {
    (StatusCode::ACCEPTED, HeaderMap::new(), "accepted")
}

#[route(GET "/result/<id>")]
async fn result(id: u64) -> Result<Json<User>, StatusCode> {
    if id == 0 {
        Err(StatusCode::NOT_FOUND)
    } else {
        Ok(Json(User { id }))
    }
}

#[route(GET "/error")]
fn error() -> Result<String, HttpError> {
    Err(HttpError::new(StatusCode::CONFLICT, "taken"))
}

#[route(GET "/response")]
fn response() -> http::Response<String> {
    http::Response::new(String::from("raw"))
}

#[route(GET "/unit")]
fn unit() {}

#[route(GET "/explicit-unit")]
async fn explicit_unit() -> () {}

#[route(GET "/impl")]
async fn opaque() -> impl IntoResponse {
    (StatusCode::IM_A_TEAPOT, "teapot")
}

#[route(GET "/html")]
fn html() -> Html<&'static str> {
    Html("<p>hi</p>")
}

#[route(GET "/text")]
fn text() -> Text {
    Text(String::from("text"))
}

#[route(GET "/bytes")]
fn bytes() -> Vec<u8> {
    vec![1, 2, 3]
}

#[route(GET "/cover")]
fn cover() -> ([(http::HeaderName, &'static str); 1], Bytes) {
    (
        [(http::header::CONTENT_TYPE, "image/png")],
        Bytes::from_static(b"png"),
    )
}

#[route(POST "/made")]
fn made() -> (StatusCode, [(&'static str, String); 1], Json<User>) {
    (
        StatusCode::CREATED,
        [("location", "/users/1".to_owned())],
        Json(User { id: 1 }),
    )
}

#[route(GET "/headers")]
fn headers() -> (HeaderMap, &'static str) {
    (HeaderMap::new(), "with headers")
}

fn main() {
    assert_eq!(status(), StatusCode::NO_CONTENT);
    assert_eq!(created().0, StatusCode::CREATED);
    assert_eq!(error().unwrap_err().status(), StatusCode::CONFLICT);
    assert_eq!(opaque_status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(routemark::routes().count(), 19);
}

fn opaque_status() -> StatusCode {
    let response = (StatusCode::IM_A_TEAPOT, "teapot").into_response();
    response.status()
}
