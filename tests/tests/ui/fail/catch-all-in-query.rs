use routemark::route;

#[route(GET "/search?<terms..>")]
fn search(terms: String) -> String {
    terms
}

fn main() {}
