use std::borrow::Cow;
use std::path::Path;

use routemark::route;

#[route(GET "/items/<id>/<raw>/<dir>?<page>")]
fn item(id: &u64, raw: &[u8], dir: Cow<'_, Path>, page: Option<&mut str>) -> String {
    format!("{id} {raw:?} {dir:?} {page:?}")
}

fn main() {}
