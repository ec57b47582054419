use routemark::route;

struct Page(u32);
struct Lang(String);

#[route(GET "/search?<page>&<lang>")]
fn search(page: Page, lang: Option<Lang>) -> String {
    format!("{} {:?}", page.0, lang.map(|l| l.0))
}

fn main() {}
