use routemark::http::StatusCode;
use routemark::{Body, FromRequest, FromRequestParts, HttpError, RequestParts, route};

/// The caller's API key, from the `x-api-key` header.
struct ApiKey(String);

impl FromRequestParts for ApiKey {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        parts
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|key| ApiKey(key.to_owned()))
            .ok_or_else(|| HttpError::new(StatusCode::UNAUTHORIZED, "missing `x-api-key`"))
    }
}

/// A body extractor of our own: the body's length, unread.
struct Upload(usize);

impl FromRequest for Upload {
    type Rejection = StatusCode;

    async fn from_request(parts: RequestParts, _body: Body) -> Result<Self, StatusCode> {
        Ok(Upload(parts.headers().len()))
    }
}

#[route(GET "/whoami")]
fn whoami(ApiKey(key): ApiKey) -> String {
    format!("key {key}")
}

#[route(POST "/uploads/<name>")]
async fn upload(ApiKey(key): ApiKey, name: String, Upload(len): Upload) -> String {
    format!("{key} {name} {len}")
}

fn main() {
    assert_eq!(whoami(ApiKey("k".into())), "key k");
    assert_eq!(routemark::routes().count(), 2);
}
