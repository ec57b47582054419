use routemark::route;

#[route(GET "/users/<name>?<lang>")]
fn user(name: &String, lang: Option<&String>) -> String {
    format!("{name} {lang:?}")
}

fn main() {}
