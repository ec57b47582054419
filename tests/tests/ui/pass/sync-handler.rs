use routemark::route;

#[route(GET "/add/<a>/<b>")]
fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

// More parameters than the runtime's `nowN` take: the route's own shim, still without a
// future.
#[route(GET "/nine/<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>?<i>")]
#[allow(clippy::too_many_arguments)]
fn nine(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: Option<u8>) -> String {
    [a, b, c, d, e, f, g, h, i.unwrap_or(0)]
        .iter()
        .map(u8::to_string)
        .collect()
}

fn main() {
    assert_eq!(add(2, 3), "5");
    assert_eq!(nine(1, 2, 3, 4, 5, 6, 7, 8, None), "123456780");
    assert!(routemark::routes().any(|r| r.name() == "add"));
    assert!(routemark::routes().any(|r| r.name() == "nine"));
}
