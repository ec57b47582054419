use routemark::http::HeaderMap;
use routemark::route;

struct Session;

#[route(GET "/me")]
fn me(session: Session, headers: HeaderMap) -> String {
    let _ = session;
    headers.len().to_string()
}

fn main() {}
