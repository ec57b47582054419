use routemark::route;

#[route(GET "/version")]
fn version() -> &'static str
where
    String: Clone,
{
    "1.0"
}

fn main() {}
