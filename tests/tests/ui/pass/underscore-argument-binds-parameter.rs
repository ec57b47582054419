// `_path` receives `<path..>` and `_page` receives `?<page>`: the leading `_` says the
// handler may not use it, as everywhere in Rust, and `#![deny(unused)]` stays quiet.
#![deny(unused)]

use routemark::route;

#[route(GET "/legacy/<path..>")]
fn legacy(_path: String) -> &'static str {
    "gone"
}

#[route(GET "/books/<id>?<page>")]
fn book(id: u64, _page: Option<u32>) -> String {
    id.to_string()
}

// An argument named exactly like the parameter wins over `_`-prefixed lookalikes.
#[route(GET "/items/<item>")]
fn item(item: u64) -> String {
    item.to_string()
}

fn main() {
    assert_eq!(legacy("a/b".into()), "gone");
    assert_eq!(book(3, None), "3");
    assert_eq!(item(4), "4");
    let paths: Vec<&str> = routemark::routes().map(|r| r.path()).collect();
    assert!(paths.contains(&"/books/<id>?<page>"), "{paths:?}");
}
