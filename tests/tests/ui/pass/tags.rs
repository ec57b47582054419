use routemark::{Route, Text, route};

#[route(GET "/admin/stats", tags = ["admin", "internal"])]
fn stats() {}

#[route(POST "/admin/users", body_limit = 1024, tags = ["admin", "write-ops", "v2_api",])]
fn create_user(Text(body): Text) -> String {
    body
}

#[route(DELETE "/admin/users/<id>", tags = [r"admin"], body_limit = 16)]
fn delete_user(id: u64) -> String {
    id.to_string()
}

#[route(GET "/health")]
fn health() {}

fn route(name: &str) -> &'static Route {
    routemark::routes()
        .find(|r| r.name() == name)
        .expect("registered")
}

fn main() {
    assert_eq!(route("stats").tags(), ["admin", "internal"]);
    assert_eq!(route("stats").body_limit(), None);

    let create = route("create_user");
    assert_eq!(create.tags(), ["admin", "write-ops", "v2_api"]);
    assert_eq!(create.options().tags(), create.tags());
    assert_eq!(create.options().body_limit(), Some(1024));
    assert_eq!(create.body_limit(), Some(1024));

    assert_eq!(route("delete_user").tags(), ["admin"]);
    assert_eq!(route("delete_user").body_limit(), Some(16));

    assert!(route("health").tags().is_empty());
    assert_eq!(route("health").options().body_limit(), None);

    let debug = format!("{:?}", route("stats"));
    assert!(debug.contains(r#"tags: ["admin", "internal"]"#), "{debug}");
    let debug = format!("{:?}", route("create_user").options());
    assert_eq!(
        debug,
        r#"RouteOptions { body_limit: Some(1024), tags: ["admin", "write-ops", "v2_api"], timeout: None, concurrency: None, breaker: None, fallback: false }"#
    );

    let mut admin: Vec<&str> = routemark::routes()
        .filter(|r| r.tags().contains(&"admin"))
        .map(Route::name)
        .collect();
    admin.sort_unstable();
    assert_eq!(admin, ["create_user", "delete_user", "stats"]);
}
