//! Sending requests to an application in-process, without a socket.
//!
//! ```standalone_crate
//! use routemark::{route, testing::TestClient, App, Json};
//!
//! #[route(POST "/echo/<name>")]
//! async fn echo(name: String, Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "name": name, "body": body }))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let client = TestClient::new(App::new().build().unwrap());
//! let res = client.post("/echo/ada").json(&serde_json::json!([1, 2])).send().await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.json::<serde_json::Value>()["body"], serde_json::json!([1, 2]));
//! # }
//! ```

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;

use crate::Body;
use crate::dispatch::answers::Failed;
use crate::service::{HttpService, RouteService};

/// A client that calls a [`Router`](crate::Router) (or any tower service) directly: the same
/// dispatch, layers, extractors and error responses as over TCP, without the connection
/// layer (timeouts, header limits).
#[derive(Clone, Debug)]
pub struct TestClient {
    service: RouteService,
}

impl TestClient {
    /// A client for `service`: a [`Router`](crate::Router) (from
    /// [`App::build`](crate::App::build), layers included), or any tower service of
    /// `http::Request<Body>`. A panic in the service is answered `500`, as by the server.
    pub fn new<S>(service: S) -> TestClient
    where
        S: HttpService,
    {
        TestClient {
            service: RouteService::new(service),
        }
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, uri: &str) -> TestRequest {
        TestRequest {
            service: self.service.clone(),
            builder: http::Request::builder()
                .method(method)
                .uri(uri)
                .header(http::header::HOST, "test.local"),
            body: Body::empty(),
        }
    }

    /// Starts a `GET` request.
    pub fn get(&self, uri: &str) -> TestRequest {
        self.request(Method::GET, uri)
    }

    /// Starts a `POST` request.
    pub fn post(&self, uri: &str) -> TestRequest {
        self.request(Method::POST, uri)
    }

    /// Starts a `PUT` request.
    pub fn put(&self, uri: &str) -> TestRequest {
        self.request(Method::PUT, uri)
    }

    /// Starts a `DELETE` request.
    pub fn delete(&self, uri: &str) -> TestRequest {
        self.request(Method::DELETE, uri)
    }

    /// Starts a `PATCH` request.
    pub fn patch(&self, uri: &str) -> TestRequest {
        self.request(Method::PATCH, uri)
    }

    /// Starts a `HEAD` request.
    pub fn head(&self, uri: &str) -> TestRequest {
        self.request(Method::HEAD, uri)
    }

    /// Starts an `OPTIONS` request.
    pub fn options(&self, uri: &str) -> TestRequest {
        self.request(Method::OPTIONS, uri)
    }
}

/// A request being built by a [`TestClient`].
#[derive(Debug)]
pub struct TestRequest {
    service: RouteService,
    builder: http::request::Builder,
    body: Body,
}

impl TestRequest {
    /// Adds a header.
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not a valid header name or value (a bug in the test).
    #[must_use]
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        let name = HeaderName::try_from(name).expect("invalid header name");
        let value = HeaderValue::try_from(value).expect("invalid header value");
        self.builder = self.builder.header(name, value);
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Body>) -> TestRequest {
        self.body = body.into();
        self
    }

    /// Sets a text body and `content-type: text/plain; charset=utf-8`, as a [`Text`](crate::Text)
    /// argument reads it.
    #[must_use]
    pub fn text(self, text: impl Into<String>) -> TestRequest {
        self.header(CONTENT_TYPE.as_str(), "text/plain; charset=utf-8")
            .body(text.into())
    }

    /// Adds `authorization: Bearer {token}`.
    ///
    /// # Panics
    ///
    /// When `token` is not a valid header value (a bug in the test).
    #[must_use]
    #[track_caller]
    pub fn bearer(self, token: &str) -> TestRequest {
        self.header(
            http::header::AUTHORIZATION.as_str(),
            &format!("Bearer {token}"),
        )
    }

    /// Sets a JSON body and `content-type: application/json`.
    ///
    /// # Panics
    ///
    /// When `value` cannot be serialised.
    #[must_use]
    #[track_caller]
    pub fn json(self, value: &impl serde::Serialize) -> TestRequest {
        let bytes = serde_json::to_vec(value).expect("value cannot be serialised as JSON");
        self.header(CONTENT_TYPE.as_str(), "application/json")
            .body(bytes)
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    ///
    /// When the request built is invalid (a bad URI in the test) or the response body fails.
    pub async fn send(self) -> TestResponse {
        let request = self.builder.body(self.body).expect("invalid test request");
        let response = self
            .service
            .call_caught(request, Failed::Service("the service under test"))
            .await;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .expect("response body failed")
            .to_bytes();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// A response received by a [`TestClient`], body read.
#[derive(Clone, Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name` as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    ///
    /// When the body is not JSON of type `T`.
    #[track_caller]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not the expected JSON ({e}): {}",
                self.text()
            )
        })
    }
}
