use routemark::route;

#[route(GET "/search?<q>&<page>")]
fn search(q: String) -> String {
    q
}

fn main() {}
