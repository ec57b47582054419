use routemark::route;

#[route(GET "/add/<a>/<b>")]
fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

fn main() {
    assert_eq!(add(2, 3), "5");
    assert!(routemark::routes().any(|r| r.name() == "add"));
}
