use routemark::route;

const ADMIN: [&str; 1] = ["admin"];

#[route(GET "/admin/stats", tags = ADMIN)]
fn stats() {}

fn main() {
    let _ = ADMIN;
}
