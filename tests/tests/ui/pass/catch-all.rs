use routemark::route;

#[route(GET "/files/<path..>")]
fn file(path: String) -> String {
    format!("file {path}")
}

#[route(GET "/users/<id>/files/<rest..>?<download>")]
fn user_file(id: u64, rest: std::path::PathBuf, download: Option<bool>) -> String {
    format!("{id} {} {download:?}", rest.display())
}

fn main() {
    assert_eq!(file("a/b.txt".into()), "file a/b.txt");
    assert_eq!(user_file(1, "x/y".into(), Some(true)), "1 x/y Some(true)");
    assert!(routemark::routes().any(|r| r.path() == "/files/<path..>"));
}
