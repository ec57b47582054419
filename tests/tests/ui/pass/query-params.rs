use routemark::route;

#[route(GET "/search?<q>&<page>&<per_page>")]
fn search(q: String, page: Option<u32>, per_page: Option<u32>) -> String {
    format!("{q} {} {}", page.unwrap_or(1), per_page.unwrap_or(20))
}

#[route(GET "/users/<id>/posts?<since>")]
fn posts_since(id: u64, since: std::option::Option<i64>) -> String {
    format!("{id} {since:?}")
}

fn main() {
    assert_eq!(search("rust".into(), None, Some(50)), "rust 1 50");
    assert_eq!(posts_since(1, Some(-5)), "1 Some(-5)");
    let paths: Vec<_> = routemark::routes().map(|r| r.path()).collect();
    assert!(
        paths.contains(&"/search?<q>&<page>&<per_page>"),
        "{paths:?}"
    );
    let route = routemark::routes()
        .find(|r| r.name() == "posts_since")
        .expect("`posts_since` is registered");
    assert_eq!(route.path_without_query(), "/users/<id>/posts");
}
