use routemark::route;

#[route(GET "/health")]
fn health() -> &'static str {
    "ok"
}

fn main() {
    #[route(GET "/health")]
    fn local_health() -> &'static str {
        "also ok"
    }
}
