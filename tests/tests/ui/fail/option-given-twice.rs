use routemark::route;

#[route(POST "/upload", body_limit = 1024, body_limit = 2048)]
fn upload() -> &'static str {
    "ok"
}

fn main() {}
