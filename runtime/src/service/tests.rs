//! [`RouteFuture`] and [`RouteService`]: a router called as a tower service, alone or
//! behind layers, and a route's handler inside its route layers, answer without boxing what
//! they answered at once.

use std::time::Duration;

use http::StatusCode;
use tower::{Service, ServiceExt};

use super::layer::Erased;
use crate::{App, Body, RouteService, Router, route};

#[route(GET "/__route_future/fn")]
fn answered_at_once() -> &'static str {
    "at once"
}

#[route(GET "/__route_future/sleep")]
async fn waits() -> &'static str {
    tokio::time::sleep(Duration::from_millis(5)).await;
    "later"
}

fn app() -> App {
    App::with_routes(crate::routes().filter(|r| r.path().starts_with("/__route_future/")))
}

fn get(path: &str) -> http::Request<Body> {
    http::Request::get(path)
        .header("host", "test")
        .body(Body::empty())
        .unwrap()
}

async fn text(response: crate::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_router_as_a_tower_service_answers_a_request_routed_at_once_without_a_box() {
    let mut router = app().build().unwrap();
    let future = Service::call(&mut router, get("/__route_future/fn"));
    assert_eq!(format!("{future:?}"), r#"RouteFuture("answered")"#);
    let response = future.await.unwrap();
    assert_eq!(text(response).await, (StatusCode::OK, "at once".into()));

    let future = Service::call(&mut router, get("/__route_future/sleep"));
    assert_eq!(format!("{future:?}"), r#"RouteFuture("waiting")"#);
    let response = future.await.unwrap();
    assert_eq!(text(response).await, (StatusCode::OK, "later".into()));
}

#[tokio::test]
async fn a_router_kept_as_a_route_service_is_called_unboxed_and_any_other_service_boxed() {
    let router: Router = app().build().unwrap();
    let mut routing = RouteService::new(router);
    assert!(matches!(routing.0, Erased::Router(_)));
    let future = Service::call(&mut routing, get("/__route_future/fn"));
    assert_eq!(format!("{future:?}"), r#"RouteFuture("answered")"#);
    assert_eq!(
        text(future.await.unwrap()).await,
        (StatusCode::OK, "at once".into())
    );

    let other = RouteService::new(tower::service_fn(|_: http::Request<Body>| async {
        Ok::<_, std::convert::Infallible>("from a service")
    }));
    assert!(matches!(other.0, Erased::Service(_)));
    let response = other.oneshot(get("/anything")).await.unwrap();
    assert_eq!(
        text(response).await,
        (StatusCode::OK, "from a service".into())
    );
}

#[tokio::test]
async fn behind_a_global_layer_both_kinds_of_handler_answer() {
    let router = app()
        .layer(tower::util::MapRequestLayer::new(|request| request))
        .build()
        .unwrap();
    for (path, expected) in [
        ("/__route_future/fn", "at once"),
        ("/__route_future/sleep", "later"),
    ] {
        let response = router.clone().oneshot(get(path)).await.unwrap();
        assert_eq!(
            text(response).await,
            (StatusCode::OK, expected.into()),
            "{path}"
        );
    }
    let response = router.oneshot(get("/__route_future/none")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

fn test_route(path: &str) -> &'static crate::Route {
    crate::routes().find(|r| r.path() == path).unwrap()
}

#[tokio::test]
async fn a_handler_inside_route_layers_is_called_unboxed_and_a_fn_handler_answers_at_once() {
    let handler = |path| {
        super::entry::handler_service(
            test_route(path),
            std::sync::Arc::default(),
            1024,
            Duration::from_secs(5),
            None,
        )
    };
    let mut at_once = handler("/__route_future/fn");
    assert!(matches!(at_once.0, Erased::Handler(_)));
    let future = Service::call(&mut at_once, get("/__route_future/fn"));
    assert_eq!(format!("{future:?}"), r#"RouteFuture("answered")"#);
    assert_eq!(
        text(future.await.unwrap()).await,
        (StatusCode::OK, "at once".into())
    );

    let mut later = handler("/__route_future/sleep");
    let future = Service::call(&mut later, get("/__route_future/sleep"));
    assert_eq!(format!("{future:?}"), r#"RouteFuture("waiting")"#);
    assert_eq!(
        text(future.await.unwrap()).await,
        (StatusCode::OK, "later".into())
    );
}

#[tokio::test]
async fn behind_a_route_layer_both_kinds_of_handler_answer() {
    let router = app()
        .route_layer(tower::util::MapRequestLayer::new(|request| request))
        .build()
        .unwrap();
    for (path, expected) in [
        ("/__route_future/fn", "at once"),
        ("/__route_future/sleep", "later"),
    ] {
        let response = router.clone().oneshot(get(path)).await.unwrap();
        assert_eq!(
            text(response).await,
            (StatusCode::OK, expected.into()),
            "{path}"
        );
    }
}
