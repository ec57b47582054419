//! Routes register themselves, from this crate and from a linked library crate, and the
//! annotated functions stay ordinary functions.

// Names the library crate so the linker keeps it, and with it its routes.
use routemark_extra_routes as _;

use routemark::{Method, MethodSet, State, route};

#[derive(Clone)]
struct Db;

/// A route declared here, with state, to check every descriptor field.
#[route(GET | POST "/registration/items/<id>?<verbose>")]
async fn item(id: u32, verbose: Option<bool>, State(_db): State<Db>) -> String {
    format!("item {id} verbose={verbose:?}")
}

#[test]
fn descriptor_records_everything_about_the_route() {
    let route = routemark::routes()
        .find(|r| r.name() == "item")
        .expect("`item` is registered");
    assert_eq!(
        route.methods(),
        MethodSet::single(Method::Get).with(Method::Post)
    );
    assert_eq!(route.path(), "/registration/items/<id>?<verbose>");
    assert_eq!(route.path_without_query(), "/registration/items/<id>");
    assert_eq!(route.module_path(), "registration");
    assert_eq!(route.crate_name(), "registration");
    assert_eq!(route.file(), "tests/tests/registration.rs");
    assert_eq!(route.line(), 13);
    assert_eq!(route.location(), "tests/tests/registration.rs:13");
    assert_eq!(route.body_limit(), None);
    let state: Vec<&str> = route.state().iter().map(|s| s.type_name()).collect();
    assert_eq!(state, ["registration::Db"]);
    assert_eq!(route.state()[0].type_id(), std::any::TypeId::of::<Db>());
}

#[test]
fn routes_of_a_linked_library_crate_are_collected() {
    let mut extra: Vec<(String, &str, &str)> = routemark::routes()
        .filter(|r| r.crate_name() == "routemark_extra_routes")
        .map(|r| (r.methods().to_string(), r.path(), r.name()))
        .collect();
    extra.sort();
    assert_eq!(
        extra,
        [
            ("GET".to_owned(), "/extra/hello", "extra_hello"),
            ("GET".to_owned(), "/extra/orders", "extra_acme_orders"),
            ("GET | POST".to_owned(), "/extra/items/<id>", "extra_item"),
        ]
    );
}

#[test]
fn every_route_of_the_program_is_collected_once() {
    let mut names: Vec<&str> = routemark::routes().map(|r| r.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["extra_acme_orders", "extra_hello", "extra_item", "item"]
    );
}

#[tokio::test]
async fn annotated_functions_stay_callable() {
    assert_eq!(
        item(7, Some(true), State(Db)).await,
        "item 7 verbose=Some(true)"
    );
    assert_eq!(
        routemark_extra_routes::extra_hello(),
        "hello from routemark-extra-routes"
    );
    assert_eq!(routemark_extra_routes::extra_item(3).await, "extra item 3");
}

#[tokio::test]
async fn collected_routes_serve_requests() {
    let client = routemark::testing::TestClient::new(
        routemark::App::new()
            .state(Db)
            .build()
            .expect("table builds"),
    );
    let res = client.get("/extra/items/9").send().await;
    assert_eq!(
        (res.status().as_u16(), res.text()),
        (200, "extra item 9".into())
    );
    let res = client
        .post("/registration/items/5?verbose=false")
        .send()
        .await;
    assert_eq!(res.text(), "item 5 verbose=Some(false)");
}
