//! Extractors that read the body: [`Json`], [`Text`] and `Bytes`.

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderValue};
use http_body_util::{BodyExt, Limited};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::FromRequest;
use crate::Body;
use crate::body::BodyTimeout;
use crate::request::RequestParts;
use crate::response::{HttpError, IntoResponse, Response};

fn too_large(limit: usize) -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than the limit of {limit} bytes"),
    )
}

/// Reads the whole body, refusing more than the route's body limit: first from
/// `Content-Length` before reading anything, then while streaming.
pub(crate) async fn read_body(parts: &RequestParts, body: Body) -> Result<Bytes, HttpError> {
    let limit = parts.body_limit();
    let declared = parts
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(limit)),
        Err(e) => match e.downcast_ref::<BodyTimeout>() {
            Some(timeout) => Err(HttpError::new(
                StatusCode::REQUEST_TIMEOUT,
                timeout.to_string(),
            )),
            None => Err(HttpError::bad_request(format!(
                "failed to read the request body: {e}"
            ))),
        },
    }
}

/// The raw body.
impl FromRequest for Bytes {
    type Rejection = HttpError;

    async fn from_request(parts: RequestParts, body: Body) -> Result<Self, HttpError> {
        read_body(&parts, body).await
    }
}

/// The request body as UTF-8 text, or the response body as `text/plain; charset=utf-8`.
/// A request body that is not UTF-8 is `400 Bad Request`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl FromRequest for Text {
    type Rejection = HttpError;

    async fn from_request(parts: RequestParts, body: Body) -> Result<Self, HttpError> {
        let bytes = read_body(&parts, body).await?;
        String::from_utf8(bytes.into())
            .map(Text)
            .map_err(|_| HttpError::bad_request("request body is not valid UTF-8"))
    }
}

impl IntoResponse for Text {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// JSON in and out.
///
/// As an argument (the last one), it reads the body as JSON into `T`:
///
/// - `415 Unsupported Media Type` unless `Content-Type` is `application/json` (or
///   `application/<anything>+json`);
/// - `400 Bad Request` when the body is not JSON at all;
/// - `422 Unprocessable Entity` when it is JSON of the wrong shape, with serde's message
///   (the field and the expected type);
/// - `413 Payload Too Large` over the body limit.
///
/// As a return value it serialises `T` with `content-type: application/json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

fn is_json(value: Option<&HeaderValue>) -> bool {
    let Some(mime) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = mime.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    type Rejection = HttpError;

    async fn from_request(parts: RequestParts, body: Body) -> Result<Self, HttpError> {
        if !is_json(parts.headers().get(header::CONTENT_TYPE)) {
            return Err(HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a request with `content-type: application/json`",
            ));
        }
        let bytes = read_body(&parts, body).await?;
        serde_json::from_slice(&bytes).map(Json).map_err(|e| {
            use serde_json::error::Category;
            match e.classify() {
                Category::Data => HttpError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("JSON body does not match the expected shape: {e}"),
                ),
                Category::Syntax | Category::Eof | Category::Io => {
                    HttpError::bad_request(format!("request body is not valid JSON: {e}"))
                }
            }
        })
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => {
                let mut res = Response::new(Body::from(bytes));
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                res
            }
            Err(e) => HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("failed to serialise the response as JSON: {e}"),
            )
            .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        for (ct, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/problem+json", true),
            ("text/json", false),
            ("application/jsonx", false),
            ("application/+json", false),
            ("text/plain", false),
        ] {
            assert_eq!(is_json(Some(&HeaderValue::from_static(ct))), ok, "{ct}");
        }
        assert!(!is_json(None));
    }
}
