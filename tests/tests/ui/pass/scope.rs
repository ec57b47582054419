// `#[scope]` prefixes every route of its module: nested modules, nested scopes (outer prefix
// first), routes in function bodies, the scope's own `/`, and query parameters.
use routemark::{route, scope};

#[scope("/api/v1")]
mod v1 {
    use routemark::route;

    #[route(GET "/books/<id>?<page>")]
    pub fn book(id: u64, page: Option<u32>) -> String {
        format!("{id} {page:?}")
    }

    #[route(GET "/")]
    pub fn root() -> &'static str {
        "root"
    }

    pub mod plain {
        #[routemark::route(GET "/plain")]
        pub fn plain() -> &'static str {
            "plain"
        }
    }

    #[routemark::scope("/admin")]
    pub mod admin {
        #[::routemark::route(POST "/users")]
        pub fn create() -> &'static str {
            "created"
        }

        pub fn in_body() {
            #[routemark::route(GET "/in-body")]
            fn inner() -> &'static str {
                "inner"
            }
        }
    }
}

// The same path as a scoped route, without the prefix: a different route.
#[route(GET "/books/<id>?<page>")]
fn unscoped(id: u64, page: Option<u32>) -> String {
    format!("{id} {page:?}")
}

fn main() {
    let mut paths: Vec<&str> = routemark::routes().map(|r| r.path()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/api/v1",
            "/api/v1/admin/in-body",
            "/api/v1/admin/users",
            "/api/v1/books/<id>?<page>",
            "/api/v1/plain",
            "/books/<id>?<page>",
        ]
    );
    assert_eq!(v1::book(1, None), unscoped(1, None));
    assert_eq!(v1::root(), "root");
    assert_eq!(v1::plain::plain(), "plain");
    assert_eq!(v1::admin::create(), "created");
    v1::admin::in_body();
}
