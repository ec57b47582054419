use routemark::route;

#[route(GET "/admin/stats", tags = ["admin", ""])]
fn stats() {}

fn main() {}
