use routemark::route;

#[route(GET "/admin/stats", tags = ["admin", "internal", "admin"])]
fn stats() {}

fn main() {}
