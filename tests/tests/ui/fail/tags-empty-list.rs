use routemark::route;

#[route(GET "/admin/stats", tags = [])]
fn stats() {}

fn main() {}
