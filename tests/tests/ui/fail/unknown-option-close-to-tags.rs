use routemark::route;

#[route(GET "/admin/stats", tag = ["admin"])]
fn stats() {}

fn main() {}
