//! Multi-tenant routing over TCP: for each tenancy (header, host, path prefix), every
//! combination of request tenant and route (shared, overridden, each tenant's own), and the
//! spoofing attempts, each with its exact answer. Every handler records the request's probe
//! id, so each case also proves which handler ran: the expected one, or none.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use routemark::http::HeaderMap;
use routemark::{App, MatchedRoute, Problem, Router, State, Tenancy, Tenant, route};
use routemark_extra_routes as _;
use support::{raw, spawn};

/// `(probe id, handler)` for every handler call.
static CALLS: Mutex<Vec<(u64, &'static str)>> = Mutex::new(Vec::new());
static NEXT_PROBE: AtomicU64 = AtomicU64::new(1);

fn called(handler: &'static str, headers: &HeaderMap) -> &'static str {
    let probe = headers
        .get("x-probe")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    CALLS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((probe, handler));
    handler
}

fn calls_of(probe: u64) -> Vec<&'static str> {
    CALLS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(p, _)| *p == probe)
        .map(|(_, h)| *h)
        .collect()
}

#[derive(Clone)]
struct Db(&'static str);

// Shared routes.

#[route(GET "/orders")]
fn shared_orders(headers: HeaderMap) -> &'static str {
    called("shared_orders", &headers)
}

#[route(GET "/shared")]
fn shared_only(headers: HeaderMap) -> &'static str {
    called("shared_only", &headers)
}

#[route(GET "/items/<id>")]
fn shared_item(id: u32, headers: HeaderMap) -> String {
    format!("{} {id}", called("shared_item", &headers))
}

#[route(GET "/db")]
fn shared_db(State(db): State<Db>, headers: HeaderMap) -> String {
    format!("{} {}", called("shared_db", &headers), db.0)
}

#[route(GET "/matched")]
fn shared_matched(matched: MatchedRoute, uri: routemark::http::Uri, headers: HeaderMap) -> String {
    format!(
        "{} tenant={:?} prefix={:?} uri={uri}",
        called("shared_matched", &headers),
        matched.tenant(),
        matched.stripped_prefix()
    )
}

// acme: overrides `/orders`, has its own route, and a state.

#[route(GET "/orders", tenant = "acme")]
fn acme_orders(headers: HeaderMap) -> &'static str {
    called("acme_orders", &headers)
}

#[route(GET "/acme-only", tenant = "acme")]
fn acme_only(headers: HeaderMap) -> &'static str {
    called("acme_only", &headers)
}

#[route(GET "/whoami", tenant = "acme")]
fn acme_whoami(tenant: Tenant, headers: HeaderMap) -> String {
    format!("{} {tenant}", called("acme_whoami", &headers))
}

#[route(POST "/items/<id>", tenant = "acme")]
fn acme_post_item(id: u32, headers: HeaderMap) -> String {
    format!("{} {id}", called("acme_post_item", &headers))
}

#[route(GET "/tenant-db", tenant = "acme")]
fn acme_db(State(db): State<Db>, headers: HeaderMap) -> String {
    format!("{} {}", called("acme_db", &headers), db.0)
}

// globex: overrides `/orders` too, and has its own route.

#[route(GET "/orders", tenant = "globex")]
fn globex_orders(headers: HeaderMap) -> &'static str {
    called("globex_orders", &headers)
}

#[route(GET "/globex-only", tenant = "globex")]
fn globex_only(headers: HeaderMap) -> &'static str {
    called("globex_only", &headers)
}

#[route(GET "/items/<id>", tenant = "globex")]
fn globex_item(id: u32, headers: HeaderMap) -> String {
    format!("{} {id}", called("globex_item", &headers))
}

/// The routes of the matrix (the property test below has its own; the cross-crate
/// conflict test adds the other crate's).
fn matrix_routes() -> impl Iterator<Item = &'static routemark::Route> {
    routemark::routes()
        .filter(|r| !r.name().starts_with("p_") && !r.name().starts_with("x_"))
        .filter(|r| r.crate_name() == "tenants")
}

// Same tenant, method and path as `routemark_extra_routes::extra_acme_orders`: legal in
// this crate, a conflict in the program. The same path for globex is not.
#[route(GET "/extra/orders", tenant = "acme")]
fn x_acme_orders() -> &'static str {
    "acme orders"
}

#[route(GET "/extra/orders", tenant = "globex")]
fn x_globex_orders() -> &'static str {
    "globex orders"
}

#[route(GET "/extra/orders")]
fn x_shared_orders() -> &'static str {
    "shared orders"
}

#[test]
fn conflicts_across_crates_are_per_tenant() {
    let routes = routemark::routes()
        .filter(|r| r.name().starts_with("x_") || r.crate_name() == "routemark_extra_routes");
    let err = App::with_routes(routes)
        .tenancy(Tenancy::header("x-tenant"))
        .build()
        .expect_err("acme's route is declared twice");
    assert_eq!(
        err.to_string(),
        "1 problem in the route table:
error: routes of tenant `acme` conflict on `GET /extra/orders`:
  `GET /extra/orders` (routemark_extra_routes::extra_acme_orders) at tests/extra-routes/src/lib.rs:20
  `GET /extra/orders` (tenants::x_acme_orders) at tests/tests/tenants.rs:133
"
    );
}

fn app(tenancy: Tenancy) -> Router {
    App::with_routes(matrix_routes())
        .tenancy(tenancy)
        .state(Db("shared-db"))
        .tenant_state("acme", Db("acme-db"))
        .build()
        .expect("the table builds")
}

/// What a case must answer: a status, and the body exactly (a handler's text) or the
/// message of a framework error; `handler` is the one handler that ran, if any.
struct Expect {
    status: u16,
    body: &'static str,
    handler: Option<&'static str>,
}

const fn ok(handler: &'static str, body: &'static str) -> Expect {
    Expect {
        status: 200,
        body,
        handler: Some(handler),
    }
}

const fn refused(status: u16, message: &'static str) -> Expect {
    Expect {
        status,
        body: message,
        handler: None,
    }
}

/// Sends `head` (request line and headers, without the final blank line) with a fresh
/// probe id and `connection: close`, and checks the answer and the handler calls.
async fn case(addr: std::net::SocketAddr, head: &str, expect: &Expect) {
    let probe = NEXT_PROBE.fetch_add(1, Ordering::Relaxed);
    let request = format!("{head}\r\nx-probe: {probe}\r\nconnection: close\r\n\r\n");
    let answer = raw(addr, request.as_bytes()).await;
    let statuses = answer.statuses();
    assert_eq!(statuses, [expect.status], "{head:?}\n{}", answer.text);
    let body = answer.body();
    if expect.handler.is_some() {
        assert_eq!(body, expect.body, "{head:?}");
    } else {
        let error: serde_json::Value = serde_json::from_str(body).expect(body);
        assert_eq!(error["message"], expect.body, "{head:?}");
    }
    let expected_calls: Vec<&str> = expect.handler.into_iter().collect();
    assert_eq!(calls_of(probe), expected_calls, "{head:?}");
}

fn no_route(path: &str) -> String {
    format!("no route matches `{path}`")
}

/// The route side of the matrix: a path and, per request tenant (none, acme, globex), the
/// handler that answers it (`None`: `404`).
/// `(handler, body)` of the route that answers.
type Answer = Option<(&'static str, &'static str)>;

const MATRIX: [(&str, [Answer; 3]); 6] = [
    // Shared only: every tenant reaches it.
    (
        "/shared",
        [
            Some(("shared_only", "shared_only")),
            Some(("shared_only", "shared_only")),
            Some(("shared_only", "shared_only")),
        ],
    ),
    // Shared, overridden by both tenants.
    (
        "/orders",
        [
            Some(("shared_orders", "shared_orders")),
            Some(("acme_orders", "acme_orders")),
            Some(("globex_orders", "globex_orders")),
        ],
    ),
    // acme's own.
    ("/acme-only", [None, Some(("acme_only", "acme_only")), None]),
    // globex's own.
    (
        "/globex-only",
        [None, None, Some(("globex_only", "globex_only"))],
    ),
    // Shared with a parameter, overridden by globex only.
    (
        "/items/7",
        [
            Some(("shared_item", "shared_item 7")),
            Some(("shared_item", "shared_item 7")),
            Some(("globex_item", "globex_item 7")),
        ],
    ),
    // State per tenant on a shared route.
    (
        "/db",
        [
            Some(("shared_db", "shared_db shared-db")),
            Some(("shared_db", "shared_db acme-db")),
            Some(("shared_db", "shared_db shared-db")),
        ],
    ),
];

/// The request for `path` as tenant `tenant` (`None`: no tenant) under each tenancy.
#[derive(Clone, Copy)]
enum Mode {
    Header,
    Host,
    PathPrefix,
}

fn request(mode: Mode, tenant: Option<&str>, path: &str) -> (String, String) {
    match (mode, tenant) {
        (Mode::Header, None) => (format!("GET {path} HTTP/1.1\r\nhost: test"), path.into()),
        (Mode::Header, Some(t)) => (
            format!("GET {path} HTTP/1.1\r\nhost: test\r\nx-tenant: {t}"),
            path.into(),
        ),
        (Mode::Host, None) => (
            format!("GET {path} HTTP/1.1\r\nhost: example.com"),
            path.into(),
        ),
        (Mode::Host, Some(t)) => (
            format!("GET {path} HTTP/1.1\r\nhost: {t}.example.com"),
            path.into(),
        ),
        (Mode::PathPrefix, None) => (format!("GET {path} HTTP/1.1\r\nhost: test"), path.into()),
        (Mode::PathPrefix, Some(t)) => {
            let full = format!("/{t}{path}");
            (format!("GET {full} HTTP/1.1\r\nhost: test"), full)
        }
    }
}

fn tenancy(mode: Mode) -> Tenancy {
    match mode {
        Mode::Header => Tenancy::header("x-tenant"),
        Mode::Host => Tenancy::host([
            ("acme.example.com", "acme"),
            ("globex.example.com", "globex"),
        ]),
        Mode::PathPrefix => Tenancy::path_prefix(),
    }
}

/// Every (request tenant × route) combination of one tenancy, and an undeclared tenant.
async fn matrix(mode: Mode) {
    let server = spawn(app(tenancy(mode))).await;
    for (path, answers) in MATRIX {
        for (tenant, answer) in [None, Some("acme"), Some("globex")]
            .into_iter()
            .zip(answers)
        {
            let (head, target) = request(mode, tenant, path);
            let expect = match answer {
                Some((handler, body)) => ok(handler, body),
                None => Expect {
                    status: 404,
                    body: Box::leak(no_route(&target).into_boxed_str()),
                    handler: None,
                },
            };
            case(server.addr, &head, &expect).await;
        }
        // A tenant nobody declared: `404 unknown tenant` when the request names it (header);
        // a host outside the map names no tenant, and neither does a first segment that is
        // no tenant.
        let (head, target) = request(mode, Some("initech"), path);
        let expect = match mode {
            Mode::Header => refused(404, "unknown tenant `initech`"),
            Mode::Host => match answers[0] {
                Some((handler, body)) => ok(handler, body),
                None => Expect {
                    status: 404,
                    body: Box::leak(no_route(&target).into_boxed_str()),
                    handler: None,
                },
            },
            Mode::PathPrefix => Expect {
                status: 404,
                body: Box::leak(no_route(&target).into_boxed_str()),
                handler: None,
            },
        };
        case(server.addr, &head, &expect).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn header_tenancy_matrix() {
    matrix(Mode::Header).await;
}

#[tokio::test]
async fn host_tenancy_matrix() {
    matrix(Mode::Host).await;
}

#[tokio::test]
async fn path_prefix_tenancy_matrix() {
    matrix(Mode::PathPrefix).await;
}

#[tokio::test]
async fn header_tenancy_spoofing() {
    let server = spawn(app(Tenancy::header("x-tenant"))).await;
    let addr = server.addr;
    let cases = [
        // Header names are case-insensitive; tenant names are not.
        (
            "GET /acme-only HTTP/1.1\r\nhost: test\r\nX-Tenant: acme",
            ok("acme_only", "acme_only"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: test\r\nx-tenant: ACME",
            refused(404, "unknown tenant `ACME`"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: acme\r\nx-tenant: globex",
            refused(400, "the `x-tenant` header is sent twice; send one"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: acme\r\nX-TENANT: acme",
            refused(400, "the `x-tenant` header is sent twice; send one"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: acme,globex",
            refused(400, "the `x-tenant` header names several tenants; name one"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: acme, globex",
            refused(400, "the `x-tenant` header names several tenants; name one"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: ",
            refused(400, "the `x-tenant` header is empty; name one tenant"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: test\r\nx-tenant: acme ",
            ok("acme_only", "acme_only"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: test\r\nx-tenant: ac%6de",
            refused(404, "unknown tenant `ac%6de`"),
        ),
        // Other tenant sources mean nothing under header tenancy.
        (
            "GET /acme-only HTTP/1.1\r\nhost: acme.example.com",
            refused(404, "no route matches `/acme-only`"),
        ),
        (
            "GET /acme/acme-only HTTP/1.1\r\nhost: test",
            refused(404, "no route matches `/acme/acme-only`"),
        ),
        (
            "GET /globex-only HTTP/1.1\r\nhost: test\r\nx-tenant: acme",
            refused(404, "no route matches `/globex-only`"),
        ),
        // The extractor sees the request's tenant.
        (
            "GET /whoami HTTP/1.1\r\nhost: test\r\nx-tenant: acme",
            ok("acme_whoami", "acme_whoami acme"),
        ),
        (
            "GET /tenant-db HTTP/1.1\r\nhost: test\r\nx-tenant: acme",
            ok("acme_db", "acme_db acme-db"),
        ),
        (
            "GET /matched HTTP/1.1\r\nhost: test\r\nx-tenant: globex",
            ok(
                "shared_matched",
                "shared_matched tenant=Some(\"globex\") prefix=None uri=/matched",
            ),
        ),
        (
            "GET /matched HTTP/1.1\r\nhost: test",
            ok(
                "shared_matched",
                "shared_matched tenant=None prefix=None uri=/matched",
            ),
        ),
        // Methods are per tenant too: acme's `POST /items/<id>` beside the shared `GET`.
        (
            "POST /items/3 HTTP/1.1\r\nhost: test\r\nx-tenant: acme\r\ncontent-length: 0",
            ok("acme_post_item", "acme_post_item 3"),
        ),
        (
            "POST /items/3 HTTP/1.1\r\nhost: test\r\nx-tenant: globex\r\ncontent-length: 0",
            refused(
                405,
                "method `POST` is not allowed here; allowed: GET, HEAD, OPTIONS",
            ),
        ),
        (
            "POST /items/3 HTTP/1.1\r\nhost: test\r\ncontent-length: 0",
            refused(
                405,
                "method `POST` is not allowed here; allowed: GET, HEAD, OPTIONS",
            ),
        ),
    ];
    for (head, expect) in &cases {
        case(addr, head, expect).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn host_tenancy_spoofing() {
    let server = spawn(app(tenancy(Mode::Host))).await;
    let addr = server.addr;
    let cases = [
        (
            "GET /acme-only HTTP/1.1\r\nhost: ACME.Example.COM",
            ok("acme_only", "acme_only"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: acme.example.com:8080",
            ok("acme_only", "acme_only"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: acme.example.com.",
            ok("acme_only", "acme_only"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: acme.example.com.:443",
            ok("acme_only", "acme_only"),
        ),
        // Tenant headers are ignored.
        (
            "GET /orders HTTP/1.1\r\nhost: acme.example.com\r\nx-tenant: globex",
            ok("acme_orders", "acme_orders"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: example.com\r\nx-tenant: acme",
            refused(404, "no route matches `/acme-only`"),
        ),
        // Near misses of a mapped host name no tenant.
        (
            "GET /acme-only HTTP/1.1\r\nhost: acme.example.com.evil.net",
            refused(404, "no route matches `/acme-only`"),
        ),
        (
            "GET /acme-only HTTP/1.1\r\nhost: xacme.example.com",
            refused(404, "no route matches `/acme-only`"),
        ),
        // The absolute-form target and `Host` must agree.
        (
            "GET http://globex.example.com/orders HTTP/1.1\r\nhost: acme.example.com",
            refused(
                400,
                "the request target and the `Host` header name different hosts",
            ),
        ),
        (
            "GET http://globex.example.com/globex-only HTTP/1.1\r\nhost: GLOBEX.example.com:80",
            ok("globex_only", "globex_only"),
        ),
        // Two `Host` headers never reach routing.
        (
            "GET /orders HTTP/1.1\r\nhost: acme.example.com\r\nhost: globex.example.com",
            refused(
                400,
                "an HTTP/1.1 request must have exactly one `Host` header",
            ),
        ),
        (
            "GET /matched HTTP/1.1\r\nhost: acme.example.com",
            ok(
                "shared_matched",
                "shared_matched tenant=Some(\"acme\") prefix=None uri=/matched",
            ),
        ),
    ];
    for (head, expect) in &cases {
        case(addr, head, expect).await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn path_prefix_tenancy_spoofing() {
    let server = spawn(app(Tenancy::path_prefix())).await;
    let addr = server.addr;
    let not_found = |path: &'static str| {
        refused(
            404,
            Box::leak(format!("no route matches `{path}`").into_boxed_str()),
        )
    };
    let cases = [
        (
            "GET /ACME/acme-only HTTP/1.1\r\nhost: test",
            not_found("/ACME/acme-only"),
        ),
        (
            "GET /%61cme/acme-only HTTP/1.1\r\nhost: test",
            not_found("/%61cme/acme-only"),
        ),
        (
            "GET /acme%2Facme-only HTTP/1.1\r\nhost: test",
            not_found("/acme%2Facme-only"),
        ),
        (
            "GET /acme/../globex/globex-only HTTP/1.1\r\nhost: test",
            not_found("/acme/../globex/globex-only"),
        ),
        (
            "GET /globex/../acme/acme-only HTTP/1.1\r\nhost: test",
            not_found("/globex/../acme/acme-only"),
        ),
        (
            "GET /acme/%2e%2e/globex/globex-only HTTP/1.1\r\nhost: test",
            not_found("/acme/%2e%2e/globex/globex-only"),
        ),
        (
            "GET /acme/globex/globex-only HTTP/1.1\r\nhost: test",
            not_found("/acme/globex/globex-only"),
        ),
        (
            "GET /acme//acme-only HTTP/1.1\r\nhost: test",
            not_found("/acme//acme-only"),
        ),
        ("GET /acme HTTP/1.1\r\nhost: test", not_found("/acme")),
        (
            "GET /acme-only HTTP/1.1\r\nhost: test",
            not_found("/acme-only"),
        ),
        // Under path-prefix tenancy a tenant header means nothing.
        (
            "GET /acme/orders HTTP/1.1\r\nhost: test\r\nx-tenant: globex",
            ok("acme_orders", "acme_orders"),
        ),
        (
            "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: globex",
            ok("shared_orders", "shared_orders"),
        ),
        // The prefix is stripped before matching, and shown by `MatchedRoute`.
        (
            "GET /acme/matched?x=1 HTTP/1.1\r\nhost: test",
            ok(
                "shared_matched",
                "shared_matched tenant=Some(\"acme\") prefix=Some(\"/acme\") uri=/matched?x=1",
            ),
        ),
        (
            "GET /acme/whoami HTTP/1.1\r\nhost: test",
            ok("acme_whoami", "acme_whoami acme"),
        ),
    ];
    for (head, expect) in &cases {
        case(addr, head, expect).await;
    }
    server.shutdown().await;
}

#[test]
fn a_tenant_no_route_declares_is_a_build_error() {
    let err = App::with_routes(matrix_routes())
        .tenancy(Tenancy::host([
            ("acme.example.com", "acme"),
            ("globex.example.com", "globx"),
        ]))
        .state(Db("shared"))
        .tenant_state("acmee", Db("typo"))
        .build()
        .expect_err("typos are refused");
    assert_eq!(
        err.to_string(),
        "2 problems in the route table:
error: `App::tenant_state` names tenant `acmee`, which no route declares; did you mean `acme`?
error: `Tenancy::host` names tenant `globx`, which no route declares; did you mean `globex`?
"
    );
    assert!(
        err.problems()
            .iter()
            .all(|p| matches!(p, Problem::Tenancy { .. }))
    );
}

#[test]
fn an_invalid_tenancy_header_is_a_build_error() {
    let err = App::with_routes(matrix_routes())
        .tenancy(Tenancy::header("x tenant"))
        .state(Db("shared"))
        .build()
        .expect_err("not a header name");
    assert_eq!(
        err.to_string(),
        "1 problem in the route table:
error: `Tenancy::header(\"x tenant\")` is not a valid header name; use letters, digits and `-`, as in `x-tenant`
"
    );
}

#[test]
fn missing_state_is_checked_per_tenant() {
    // acme's `/tenant-db` has its `Db` from `tenant_state`, the shared `/db` has none.
    let err = App::with_routes(matrix_routes())
        .tenancy(Tenancy::header("x-tenant"))
        .tenant_state("acme", Db("acme-db"))
        .build()
        .expect_err("the shared route lacks its state");
    let missing: Vec<&str> = err
        .problems()
        .iter()
        .filter_map(|p| match p {
            Problem::MissingState { route, .. } => Some(route.name()),
            _ => None,
        })
        .collect();
    assert_eq!(missing, ["shared_db"]);
}

#[test]
fn start_up_table_groups_by_tenant_and_warns_of_unreachable_routes() {
    let router = App::with_routes(matrix_routes())
        .tenancy(Tenancy::host([("acme.example.com", "acme")]))
        .state(Db("shared"))
        .build()
        .expect("builds");
    let table = router.route_table();
    let groups: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("  crate ") || l.starts_with("  tenant "))
        .collect();
    assert_eq!(
        groups,
        [
            "  crate tenants",
            "  tenant acme, crate tenants",
            "  tenant globex, crate tenants",
        ],
        "{table}"
    );
    let warnings: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: route `globex:GET /globex-only` of tenant `globex` is unreachable: no host of `Tenancy::host` maps to it",
            "warning: route `globex:GET /items/<id>` of tenant `globex` is unreachable: no host of `Tenancy::host` maps to it",
            "warning: route `globex:GET /orders` of tenant `globex` is unreachable: no host of `Tenancy::host` maps to it",
        ],
        "{table}"
    );
}

#[test]
fn without_tenancy_tenant_routes_are_unreachable_and_reported() {
    let router = App::with_routes(matrix_routes())
        .state(Db("shared"))
        .build()
        .expect("builds");
    let table = router.route_table();
    let warned: HashSet<&str> = table
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    assert_eq!(
        warned,
        HashSet::from([
            "acme:GET /orders",
            "acme:GET /acme-only",
            "acme:GET /whoami",
            "acme:POST /items/<id>",
            "acme:GET /tenant-db",
            "globex:GET /orders",
            "globex:GET /globex-only",
            "globex:GET /items/<id>",
        ])
    );
}

// The routes of the property test: the same few shapes in the shared table and in two
// tenants, parameters and catch-alls included, so that tenant routes, shared ones and
// overrides compete for the same paths.

#[route(GET "/p/a")]
fn p_s1(headers: HeaderMap) -> &'static str {
    called("p_s1", &headers)
}

#[route(GET "/p/<x>")]
fn p_s2(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_s2", &headers)
}

#[route(GET "/p/<x..>")]
fn p_s3(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_s3", &headers)
}

#[route(POST "/q")]
fn p_s4(headers: HeaderMap) -> &'static str {
    called("p_s4", &headers)
}

#[route(GET "/q/<x>/b")]
fn p_s5(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_s5", &headers)
}

#[route(GET "/p/a", tenant = "acme")]
fn p_a1(headers: HeaderMap) -> &'static str {
    called("p_a1", &headers)
}

#[route(GET "/p/<x>", tenant = "acme")]
fn p_a2(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_a2", &headers)
}

#[route(POST "/q", tenant = "acme")]
fn p_a3(headers: HeaderMap) -> &'static str {
    called("p_a3", &headers)
}

#[route(GET "/q/<x>/b", tenant = "acme")]
fn p_a4(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_a4", &headers)
}

#[route(GET "/p/<x..>", tenant = "acme")]
fn p_a5(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_a5", &headers)
}

#[route(GET "/p/a", tenant = "globex")]
fn p_g1(headers: HeaderMap) -> &'static str {
    called("p_g1", &headers)
}

#[route(GET "/p/<x..>", tenant = "globex")]
fn p_g2(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_g2", &headers)
}

#[route(GET "/q", tenant = "globex")]
fn p_g3(headers: HeaderMap) -> &'static str {
    called("p_g3", &headers)
}

#[route(GET "/q/<x>/b", tenant = "globex")]
fn p_g4(x: String, headers: HeaderMap) -> &'static str {
    let _ = x;
    called("p_g4", &headers)
}

fn probe_pool() -> Vec<&'static routemark::Route> {
    let mut pool: Vec<_> = routemark::routes()
        .filter(|r| r.name().starts_with("p_"))
        .collect();
    pool.sort_by_key(|r| r.name());
    pool
}

const PROBE_PATHS: [&str; 9] = [
    "/p/a", "/p/b", "/p/a/b", "/p/", "/q", "/q/x/b", "/q/x", "/p", "/r",
];
const PROBE_TENANTS: [Option<&str>; 4] = [None, Some("acme"), Some("globex"), Some("initech")];

/// Whether `route` serves `method` on `path`.
fn serves(route: &routemark::Route, method: &str, path: &str) -> bool {
    let template = routemark::PathTemplate::parse(route.path()).expect("valid");
    route.methods().iter().any(|m| m.as_str() == method) && template.match_path(path).is_some()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// For a random table (any subset of the pool) under a random tenancy, every request
    /// reaches a route of its own tenant or a shared one, never another tenant's; it reaches
    /// its tenant's route whenever one serves it, and a shared one when only that does.
    #[test]
    fn the_handler_reached_is_one_the_tenant_may_reach(
        subset in proptest::collection::vec(proptest::bool::ANY, 14),
        mode in 0..3usize,
        requests in proptest::collection::vec((0..4usize, 0..9usize, proptest::bool::ANY), 1..12),
    ) {
        let pool = probe_pool();
        let table: Vec<_> = pool.iter().zip(&subset).filter(|(_, on)| **on).map(|(r, _)| *r).collect();
        let mode = [Mode::Header, Mode::Host, Mode::PathPrefix][mode];
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            // `tenant_state` is left out: the subset may declare no acme route.
            let router = App::with_routes(table.iter().copied())
                .tenancy(tenancy(mode))
                .probes(false)
                .metrics(false)
                .build();
            let router = match (router, mode) {
                (Ok(router), _) => router,
                // A host map naming a tenant the subset does not declare.
                (Err(err), Mode::Host) => {
                    assert!(err.problems().iter().all(|p| matches!(p, Problem::Tenancy { .. })));
                    return;
                }
                (Err(err), _) => panic!("{err}"),
            };
            let server = spawn(router).await;
            for (tenant, path, post) in requests {
                let tenant = PROBE_TENANTS[tenant];
                let path = PROBE_PATHS[path];
                let method = if post { "POST" } else { "GET" };
                let (head, target) = request(mode, tenant, path);
                let head = head.replacen("GET", method, 1);
                let probe = NEXT_PROBE.fetch_add(1, Ordering::Relaxed);
                let request = format!("{head}\r\nx-probe: {probe}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let answer = raw(server.addr, request.as_bytes()).await;
                let status = answer.statuses()[0];
                let calls = calls_of(probe);
                // The tenant the request names, when one of the table's (`initech` never is).
                let named = tenant.filter(|t| table.iter().any(|r| r.tenant() == Some(*t)));
                let own = table.iter().find(|r| named.is_some() && r.tenant() == named && serves(r, method, path));
                // A prefix that is no tenant of the table stays in the path.
                let looked_up = if named.is_some() { path } else { target.as_str() };
                let shared = table.iter().any(|r| r.tenant().is_none() && serves(r, method, looked_up));
                if status == 200 {
                    let reached = table.iter().find(|r| r.name() == answer.body()).expect("a handler's name");
                    assert!(reached.tenant().is_none() || reached.tenant() == named, "{head}: {}", reached.name());
                    assert_eq!(calls, [reached.name()]);
                    if own.is_some() {
                        assert_eq!(reached.tenant(), named, "{head}: the tenant's own route wins");
                    }
                } else {
                    assert!(calls.is_empty(), "{head}: {calls:?}");
                    let unknown = matches!(mode, Mode::Header) && tenant.is_some() && named.is_none();
                    assert!(unknown || (own.is_none() && !shared), "{head}: {status}\n{}", answer.text);
                    assert!(matches!(status, 404 | 405), "{head}: {status}");
                }
            }
            server.shutdown().await;
        });
    }
}

#[tokio::test]
async fn metrics_label_tenant_routes_with_their_tenant() {
    let server = spawn(app(Tenancy::header("x-tenant"))).await;
    let addr = server.addr;
    case(
        addr,
        "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: acme",
        &ok("acme_orders", "acme_orders"),
    )
    .await;
    case(
        addr,
        "GET /orders HTTP/1.1\r\nhost: test\r\nx-tenant: globex",
        &ok("globex_orders", "globex_orders"),
    )
    .await;
    case(
        addr,
        "GET /orders HTTP/1.1\r\nhost: test",
        &ok("shared_orders", "shared_orders"),
    )
    .await;
    let scrape = raw(
        addr,
        b"GET /metrics HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
    )
    .await;
    let counts: Vec<&str> = scrape
        .text
        .lines()
        .filter(|l| {
            l.starts_with("http_server_request_duration_seconds_count{")
                && l.contains("http_route=\"/orders\"")
        })
        .collect();
    assert_eq!(
        counts,
        [
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/orders\",http_response_status_code=\"200\"} 1",
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/orders\",http_response_status_code=\"200\",tenant=\"acme\"} 1",
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_route=\"/orders\",http_response_status_code=\"200\",tenant=\"globex\"} 1",
        ],
        "{}",
        scrape.text
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tenants_are_isolated_through_layers_too() {
    type Request = routemark::http::Request<routemark::Body>;
    // Both layer stacks: the router behind `App::layer` and the layered route entries.
    let router = App::with_routes(matrix_routes())
        .tenancy(Tenancy::path_prefix())
        .state(Db("shared-db"))
        .tenant_state("acme", Db("acme-db"))
        .layer(tower::util::MapRequestLayer::new(|req: Request| req))
        .route_layer(tower::util::MapRequestLayer::new(|req: Request| req))
        .build()
        .expect("builds");
    let server = spawn(router).await;
    let cases = [
        (
            "GET /acme/db HTTP/1.1\r\nhost: test",
            ok("shared_db", "shared_db acme-db"),
        ),
        (
            "GET /globex/db HTTP/1.1\r\nhost: test",
            ok("shared_db", "shared_db shared-db"),
        ),
        (
            "GET /acme/tenant-db HTTP/1.1\r\nhost: test",
            ok("acme_db", "acme_db acme-db"),
        ),
        (
            "GET /globex/acme-only HTTP/1.1\r\nhost: test",
            refused(404, "no route matches `/globex/acme-only`"),
        ),
        (
            "GET /acme/matched HTTP/1.1\r\nhost: test",
            ok(
                "shared_matched",
                "shared_matched tenant=Some(\"acme\") prefix=Some(\"/acme\") uri=/matched",
            ),
        ),
        (
            "GET /globex/orders HTTP/1.1\r\nhost: test",
            ok("globex_orders", "globex_orders"),
        ),
    ];
    for (head, expect) in &cases {
        case(server.addr, head, expect).await;
    }
    server.shutdown().await;
}

/// A shared route under a tenant's name, for the path-prefix warning below.
#[route(GET "/acme/report")]
fn x_shared_under_acme(headers: HeaderMap) -> &'static str {
    called("x_shared_under_acme", &headers);
    "shadowed"
}

#[tokio::test]
async fn path_prefix_warns_of_a_shared_route_under_a_tenant_name() {
    let routes = routemark::routes()
        .filter(|r| r.name() == "x_shared_under_acme" || r.name() == "acme_only");
    let router = App::with_routes(routes)
        .tenancy(Tenancy::path_prefix())
        .build()
        .expect("builds");
    let table = router.route_table();
    let warnings: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: shared route `GET /acme/report` starts with tenant `acme`, which path-prefix tenancy strips first: it answers at `/acme/acme/report` only"
        ],
        "{table}"
    );
    let server = spawn(router).await;
    case(
        server.addr,
        "GET /acme/report HTTP/1.1\r\nhost: test",
        &refused(404, "no route matches `/acme/report`"),
    )
    .await;
    case(
        server.addr,
        "GET /acme/acme/report HTTP/1.1\r\nhost: test",
        &ok("x_shared_under_acme", "shadowed"),
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_admin_view_groups_routes_by_tenant_with_their_identities() {
    let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let admin: std::net::SocketAddr = format!("127.0.0.1:{admin_port}").parse().unwrap();
    let server = routemark::Server::bind("127.0.0.1:0").await.unwrap();
    let app = App::with_routes(matrix_routes())
        .tenancy(Tenancy::header("x-tenant"))
        .state(Db("shared-db"))
        .admin_addr(admin);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        tokio::select! {
            served = app.serve_on(server) => served,
            _ = rx => Ok(()),
        }
    });
    let mut answer = None;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(admin).await.is_ok() {
            answer = Some(
                raw(
                    admin,
                    b"GET /routes HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
                )
                .await,
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let answer = answer.expect("the admin listener answers");
    assert_eq!(answer.statuses(), [200], "{}", answer.text);
    let json: serde_json::Value = serde_json::from_str(answer.body()).unwrap();
    let rows: Vec<(String, String)> = json["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["template"] == "/orders")
        .map(|r| {
            (
                r["identity"][0].as_str().unwrap().to_owned(),
                r["tenant"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("GET /orders".to_owned(), "null".to_owned()),
            ("acme:GET /orders".to_owned(), "\"acme\"".to_owned()),
            ("globex:GET /orders".to_owned(), "\"globex\"".to_owned()),
        ]
    );
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

/// The overlay addresses a tenant's routes as `tenant:METHOD /template`: switched off for
/// that tenant only, an alias inside the tenant, never across tenants.
#[tokio::test]
async fn overlay_identities_are_per_tenant() {
    let router = app(Tenancy::header("x-tenant"));
    let server = spawn(router.clone()).await;
    let client = reqwest::Client::new();
    let get = |path: &'static str, tenant: &'static str| {
        let request = client.get(server.url(path)).header("x-tenant", tenant);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(get("/orders", "acme").await, (200, "acme_orders".into()));
    router
        .apply_overlay(
            r#"{ "routes": {
                "acme:GET /orders": { "enabled": false },
                "acme:GET /acme-alias": { "alias_of": "acme:GET /acme-only" }
            } }"#,
            "tenants",
        )
        .unwrap();
    // acme's override is off: its requests reach the shared route underneath.
    assert_eq!(get("/orders", "acme").await, (200, "shared_orders".into()));
    assert_eq!(
        get("/orders", "globex").await,
        (200, "globex_orders".into())
    );
    assert_eq!(get("/acme-alias", "acme").await, (200, "acme_only".into()));
    assert_eq!(get("/acme-alias", "globex").await.0, 404);
    let problems: Vec<String> = router
        .apply_overlay(
            r#"{ "routes": {
                "globex:GET /stolen": { "alias_of": "acme:GET /acme-only" },
                "acme:GET /globex-only": { "enabled": false }
            } }"#,
            "cross",
        )
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            "`acme:GET /globex-only` is not a route; did you mean `acme:GET /acme-only`?",
            "alias `globex:GET /stolen` and its target `acme:GET /acme-only` belong to different tenants; an alias serves its target's tenant",
        ]
    );
    server.shutdown().await;
}
