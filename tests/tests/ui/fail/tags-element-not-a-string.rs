use routemark::route;

#[route(GET "/admin/stats", tags = [admin, "internal", 42])]
fn stats() {}

fn main() {}
