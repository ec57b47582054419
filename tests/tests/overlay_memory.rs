//! Old tables are freed: the process's memory after 10,000 overlay swaps is no higher than
//! after 100. Alone in its test binary, so that no other test's allocations move the RSS.

use routemark::{App, Router, route};

#[route(GET "/mem/users/<id>")]
fn user(id: String) -> String {
    format!("user {id}")
}

#[route(GET "/mem/users/me")]
fn me() -> &'static str {
    "me"
}

#[route(GET "/mem/checkout")]
fn checkout() -> &'static str {
    "v1"
}

#[route(GET "/mem/checkout/v2")]
fn checkout_v2() -> &'static str {
    "v2"
}

fn router() -> Router {
    App::with_routes(routemark::routes()).build().unwrap()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn old_tables_are_freed() {
    let router = router();
    let overlay = r#"{ "routes": { "GET /mem/users/me": { "enabled": false }, "GET /mem/people/<id>": { "alias_of": "GET /mem/users/<id>" }, "GET /mem/checkout": { "split": { "GET /mem/checkout/v2": 5 } } } }"#;
    for n in 0..100 {
        router
            .apply_overlay(if n % 2 == 0 { overlay } else { "{}" }, "warm")
            .unwrap();
    }
    let after_100 = rss_kib();
    for n in 0..10_000 {
        router
            .apply_overlay(if n % 2 == 0 { overlay } else { "{}" }, "many")
            .unwrap();
    }
    let after_10_000 = rss_kib();
    eprintln!("RSS {after_100} KiB after 100 swaps, {after_10_000} KiB after 10,000");
    // A leak of even one table per swap would be megabytes here.
    assert!(
        after_10_000 <= after_100 + 1024,
        "RSS {after_100} KiB after 100 swaps, {after_10_000} KiB after 10,000"
    );
}
