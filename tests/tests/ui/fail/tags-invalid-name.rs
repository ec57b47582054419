use routemark::route;

#[route(GET "/admin/stats", tags = ["admin area", "2fa", "ops"])]
fn stats() {}

fn main() {}
