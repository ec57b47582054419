use routemark::route;

#[route(GET "/admin/stats", tags = ["admin"], tags = ["internal"])]
fn stats() {}

fn main() {}
