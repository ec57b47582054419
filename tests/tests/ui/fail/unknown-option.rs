use routemark::route;

#[route(POST "/upload", body_limt = 1024)]
fn upload() -> &'static str {
    "ok"
}

fn main() {}
