use routemark::route;

#[route(POST "/upload", body_limit = "1MB")]
fn upload() -> &'static str {
    "ok"
}

fn main() {}
