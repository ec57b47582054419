//! Where a handler is first polled: in the service's `call` over HTTP/1 in a task of the
//! runtime (`run::poll_in_call`), else where the request's future is polled.

use std::sync::Mutex;
use std::time::Duration;

use http::{StatusCode, Version};

use crate::{App, Body, Router, route};

/// The keys of the requests whose handler ran, as far as it ran before its first `await`.
static STARTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn started(key: &str) -> bool {
    STARTED.lock().unwrap().iter().any(|k| k == key)
}

#[route(GET "/__poll_in_call/mark/<key>")]
async fn mark(key: String) -> String {
    STARTED.lock().unwrap().push(key.clone());
    key
}

#[route(GET "/__poll_in_call/yield/<key>")]
async fn yield_once(key: String) -> String {
    STARTED.lock().unwrap().push(key.clone());
    // Wakes the waker of this poll (the one that does nothing, when polled in `call`) and
    // waits to be polled again.
    tokio::task::yield_now().await;
    format!("{key} after yielding")
}

#[route(GET "/__poll_in_call/sleep")]
async fn sleep() -> &'static str {
    tokio::time::sleep(Duration::from_millis(20)).await;
    "slept"
}

#[route(GET "/__poll_in_call/panic")]
async fn panics() -> &'static str {
    STARTED.lock().unwrap().push("panic".into());
    panic!("the handler panicked on its first poll")
}

fn router() -> Router {
    App::with_routes(crate::routes().filter(|r| r.path().starts_with("/__poll_in_call/")))
        .build()
        .unwrap()
}

fn request(path: &str, version: Version) -> http::Request<Body> {
    let request = http::Request::get(path).version(version);
    let request = match version {
        Version::HTTP_2 => request,
        _ => request.header("host", "test"),
    };
    request.body(Body::empty()).unwrap()
}

async fn text(response: crate::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// In a task, an HTTP/1.1 request's async handler runs when the request is routed, before
/// its future is polled: one that finishes then is the answer itself. Over HTTP/2 it runs
/// where the future is polled (a stream's task of its own).
#[tokio::test]
async fn in_a_task_an_http1_handler_is_first_polled_in_call_and_an_http2_one_is_not() {
    let router = router();
    tokio::spawn(async move {
        let future = router.handle(request("/__poll_in_call/mark/h1-task", Version::HTTP_11));
        assert!(started("h1-task"), "not polled in call over HTTP/1.1");
        assert_eq!(text(future.await).await, (StatusCode::OK, "h1-task".into()));

        let future = router.handle(request("/__poll_in_call/mark/h2-task", Version::HTTP_2));
        assert!(!started("h2-task"), "polled in call over HTTP/2");
        assert_eq!(text(future.await).await, (StatusCode::OK, "h2-task".into()));
        assert!(started("h2-task"));
    })
    .await
    .unwrap();
}

/// Outside a task (here `block_on`'s future), the handler is not polled in `call`: it may
/// need the runtime, which a future built outside one reaches only once polled.
#[tokio::test]
async fn outside_a_task_a_handler_is_first_polled_where_its_future_is() {
    let router = router();
    let future = router.handle(request("/__poll_in_call/mark/no-task", Version::HTTP_11));
    assert!(!started("no-task"), "polled in call outside a task");
    assert_eq!(text(future.await).await, (StatusCode::OK, "no-task".into()));
    assert!(started("no-task"));
}

/// A handler whose first poll, in `call`, woke the waker that does nothing, and one that
/// registered it with a timer: each is polled again with its task's waker and answers.
#[tokio::test]
async fn a_handler_that_waits_after_its_first_poll_in_call_is_polled_again_and_answers() {
    let router = router();
    tokio::spawn(async move {
        let future = router.handle(request("/__poll_in_call/yield/y", Version::HTTP_11));
        assert!(started("y"), "not polled in call");
        let answer = tokio::time::timeout(Duration::from_secs(5), future)
            .await
            .expect("the handler was never polled again");
        assert_eq!(
            text(answer).await,
            (StatusCode::OK, "y after yielding".into())
        );

        let future = router.handle(request("/__poll_in_call/sleep", Version::HTTP_11));
        let answer = tokio::time::timeout(Duration::from_secs(5), future)
            .await
            .expect("the sleeping handler was never woken");
        assert_eq!(text(answer).await, (StatusCode::OK, "slept".into()));
    })
    .await
    .unwrap();
}

/// A panic in the first poll, in `call`, is the handler's `500`, as in any other poll.
#[tokio::test]
async fn a_panic_in_the_first_poll_in_call_is_a_500() {
    let router = router();
    tokio::spawn(async move {
        let future = router.handle(request("/__poll_in_call/panic", Version::HTTP_11));
        assert!(started("panic"), "not polled in call");
        let (status, body) = text(future.await).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["status"], 500);
        assert_eq!(body["error"], "Internal Server Error");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("the handler failed (request id ") && message.ends_with(')'),
            "{message}"
        );
    })
    .await
    .unwrap();
}

/// The route method of a request's method, by tag, is the one its text names.
#[test]
fn a_request_method_maps_to_the_route_method_its_text_names() {
    let tokens = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PURGE",
        "get", "GETS",
    ];
    for token in tokens {
        let method = http::Method::from_bytes(token.as_bytes()).unwrap();
        assert_eq!(
            super::route_method(&method),
            routemark_path::Method::from_token(token),
            "{token}"
        );
    }
    for method in routemark_path::Method::ALL {
        let request = http::Method::from_bytes(method.as_str().as_bytes()).unwrap();
        assert_eq!(super::route_method(&request), Some(method));
    }
}
