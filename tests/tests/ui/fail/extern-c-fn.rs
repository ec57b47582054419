use routemark::route;

#[route(GET "/version")]
extern "C" fn version() -> u32 {
    1
}

fn main() {}
