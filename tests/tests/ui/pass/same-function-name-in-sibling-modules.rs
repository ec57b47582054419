mod users {
    use routemark::route;

    #[route(GET "/users")]
    pub fn list() -> &'static str {
        "users"
    }

    pub mod admin {
        #[routemark::route(GET "/admin/users")]
        pub fn list() -> &'static str {
            "admin users"
        }
    }
}

mod posts {
    use routemark::route;

    #[route(GET "/posts")]
    pub fn list() -> &'static str {
        "posts"
    }
}

fn main() {
    assert_eq!(users::list(), "users");
    assert_eq!(users::admin::list(), "admin users");
    assert_eq!(posts::list(), "posts");
    let mut handlers: Vec<_> = routemark::routes()
        .map(|r| format!("{}::{}", r.module_path(), r.name()))
        .collect();
    handlers.sort_unstable();
    assert_eq!(handlers.len(), 3);
    assert!(
        handlers.iter().all(|h| h.ends_with("::list")),
        "{handlers:?}"
    );
    assert!(
        handlers.iter().any(|h| h.ends_with("::users::admin::list")),
        "{handlers:?}"
    );
}
