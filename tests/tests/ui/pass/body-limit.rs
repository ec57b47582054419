use routemark::{Text, route};

#[route(POST "/upload", body_limit = 10_485_760)]
async fn upload(Text(body): Text) -> String {
    body.len().to_string()
}

#[route(POST "/small", body_limit = 1024,)]
fn small(Text(body): Text) -> String {
    body
}

#[route(GET "/default")]
fn default_limit() {}

fn main() {
    let limit = |name: &str| {
        routemark::routes()
            .find(|r| r.name() == name)
            .map(routemark::Route::body_limit)
            .expect("registered")
    };
    assert_eq!(limit("upload"), Some(10 * 1024 * 1024));
    assert_eq!(limit("small"), Some(1024));
    assert_eq!(limit("default_limit"), None);
}
