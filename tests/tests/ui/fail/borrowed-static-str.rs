use std::borrow::Cow;

use routemark::route;

#[route(GET "/users/<name>?<lang>")]
fn user(name: &'static str, lang: Cow<'static, str>) -> String {
    format!("{name} {lang}")
}

fn main() {}
