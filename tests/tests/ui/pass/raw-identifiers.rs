use routemark::route;

#[route(GET "/git/<ref>/tree/<type>?<match>")]
fn tree(r#ref: String, r#type: String, r#match: Option<String>) -> String {
    format!("{} {} {:?}", r#ref, r#type, r#match)
}

#[route(GET "/loops/<loop>")]
fn r#loop(r#loop: u8) -> String {
    r#loop.to_string()
}

fn main() {
    assert_eq!(tree("main".into(), "blob".into(), None), "main blob None");
    assert_eq!(r#loop(3), "3");
    assert!(routemark::routes().any(|r| r.path() == "/git/<ref>/tree/<type>?<match>"));
    assert!(routemark::routes().any(|r| r.name() == "r#loop"));
}
