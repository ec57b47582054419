use routemark::http::HeaderMap;
use routemark::{Json, route};

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
}

#[route(POST "/users")]
async fn create_user(Json(user): Json<NewUser>, headers: HeaderMap) -> String {
    format!("{} {}", user.name, headers.len())
}

fn main() {}
