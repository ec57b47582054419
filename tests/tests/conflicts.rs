//! Problems of the whole table that only `App` can see: a route that conflicts with one of
//! another crate, and state that was never provided. Both are reported at once, with
//! `file:line`, and the server refuses to start.

use routemark::{App, Problem, State, route};
use routemark_extra_routes as _;

/// Same method and path as `routemark_extra_routes::extra_hello`: legal in this crate, a
/// conflict in the program.
#[route(GET "/extra/hello")]
fn hello_again() -> &'static str {
    "again"
}

/// Shares `POST` with `GET | POST "/extra/items/<id>"`; parameter names do not matter.
#[route(POST | PUT "/extra/items/<item>")]
fn post_item(item: u32) -> String {
    item.to_string()
}

#[derive(Clone)]
struct Config;

#[route(GET "/config")]
fn config(State(_config): State<Config>) -> &'static str {
    "config"
}

#[test]
fn build_reports_every_problem_at_once() {
    let err = App::new().build().expect_err("the table has problems");
    // Routes are sorted by crate, path and location, so the report is deterministic.
    assert_eq!(
        err.to_string(),
        "4 problems in the route table:
error: routes conflict on `GET /extra/hello`:
  `GET /extra/hello` (conflicts::hello_again) at tests/tests/conflicts.rs:10
  `GET /extra/hello` (routemark_extra_routes::extra_hello) at tests/extra-routes/src/lib.rs:7
error: routes conflict on `POST /extra/items/<>`:
  `POST | PUT /extra/items/<item>` (conflicts::post_item) at tests/tests/conflicts.rs:16
  `GET | POST /extra/items/<id>` (routemark_extra_routes::extra_item) at tests/extra-routes/src/lib.rs:13
error: route `GET /config` needs `State<conflicts::Config>`, which was never provided
  `config` at tests/tests/conflicts.rs:24; call `App::state` with a `conflicts::Config`
error: route `GET /guarded` needs `State<conflicts::AuthConfig>`, which was never provided
  `guarded` at tests/tests/conflicts.rs:137; call `App::state` with a `conflicts::AuthConfig`
"
    );
    let kinds: Vec<&str> = err
        .problems()
        .iter()
        .map(|p| match p {
            Problem::Conflict { .. } => "conflict",
            Problem::MissingState { .. } => "state",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["conflict", "conflict", "state", "state"]);
}

#[test]
fn check_reports_conflicts_but_not_state() {
    let err = routemark::check().expect_err("conflicts are found");
    assert_eq!(err.problems().len(), 2, "{err}");
}

#[test]
fn providing_state_and_dropping_a_conflicting_crate_builds() {
    let app = App::with_routes(routemark::routes().filter(|r| r.crate_name() == "conflicts"))
        .state(Config)
        .state(AuthConfig("s3cret"));
    assert_eq!(app.routes().len(), 4);
    app.build().expect("no problem is left");
}

#[tokio::test]
async fn serve_refuses_to_start_and_binds_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = App::new().serve(addr.to_string()).await.unwrap_err();
    assert!(matches!(err, routemark::Error::Build(_)), "{err}");
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// `fn main() -> Result<(), routemark::Error>` prints the error's `Debug` (`Error: {err:?}`),
/// as does `check().unwrap()`: both are the readable report; `{:#?}` keeps the structure.
#[test]
fn debug_of_an_error_is_its_report() {
    let err = routemark::check().expect_err("conflicts are found");
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(format!("{err:#?}").starts_with("BuildError {\n    problems: ["));
    let err = routemark::Error::from(err);
    assert_eq!(
        format!("{err:?}"),
        "2 problems in the route table:
error: routes conflict on `GET /extra/hello`:
  `GET /extra/hello` (conflicts::hello_again) at tests/tests/conflicts.rs:10
  `GET /extra/hello` (routemark_extra_routes::extra_hello) at tests/extra-routes/src/lib.rs:7
error: routes conflict on `POST /extra/items/<>`:
  `POST | PUT /extra/items/<item>` (conflicts::post_item) at tests/tests/conflicts.rs:16
  `GET | POST /extra/items/<id>` (routemark_extra_routes::extra_item) at tests/extra-routes/src/lib.rs:13
"
    );
    assert!(format!("{err:#?}").starts_with("Build(\n    BuildError {"));
}

mod support;

use routemark::http::StatusCode;
use routemark::{FromRequestParts, HttpError, RequestParts, StateRequirement};

/// What a custom extractor reads from the state.
#[derive(Clone)]
struct AuthConfig(&'static str);

/// An extractor that reads `AuthConfig` and says so in its `STATE`.
struct Admin;

impl FromRequestParts for Admin {
    type Rejection = HttpError;
    const STATE: &'static [StateRequirement] = &[StateRequirement::of::<AuthConfig>()];

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        let Some(AuthConfig(token)) = parts.state::<AuthConfig>() else {
            return Err(HttpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no config",
            ));
        };
        match parts.headers().get("authorization") {
            Some(sent) if sent == token => Ok(Admin),
            _ => Err(HttpError::new(StatusCode::UNAUTHORIZED, "not an admin")),
        }
    }
}

#[route(GET "/guarded")]
fn guarded(_admin: Admin) -> &'static str {
    "welcome"
}

/// The state an extractor declares is part of the route's needs: listed by `Route::state`,
/// checked at start-up, and served once provided.
#[tokio::test]
async fn state_declared_by_an_extractor_is_checked_at_start_up() {
    let route = routemark::routes()
        .find(|r| r.path() == "/guarded")
        .unwrap();
    let needs: Vec<&str> = route.state().iter().map(|s| s.type_name()).collect();
    assert_eq!(needs, ["conflicts::AuthConfig"]);

    let ours = || routemark::routes().filter(|r| r.crate_name() == "conflicts");
    let err = App::with_routes(ours()).state(Config).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the route table:
error: route `GET /guarded` needs `State<conflicts::AuthConfig>`, which was never provided
  `guarded` at tests/tests/conflicts.rs:137; call `App::state` with a `conflicts::AuthConfig`
"
    );

    let router = App::with_routes(ours())
        .state(Config)
        .state(AuthConfig("s3cret"))
        .build()
        .unwrap();
    let server = support::spawn(router).await;
    let get = |token: &str| {
        format!("GET /guarded HTTP/1.1\r\nHost: test\r\nauthorization: {token}\r\n\r\n")
            .into_bytes()
    };
    let res = support::raw(server.addr, &get("s3cret")).await;
    assert_eq!((res.statuses(), res.body()), (vec![200], "welcome"));
    let res = support::raw(server.addr, &get("guess")).await;
    assert_eq!(res.statuses(), [401]);
    server.shutdown().await;
}
