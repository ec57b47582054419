use routemark::route;
use routemark::http::Method;

#[route(GET "/reports/<id>", concurrency = 8, fallback = cached_report)]
async fn report(id: u64, method: Method) -> String {
    format!("{method} report {id}")
}

async fn cached_report(method: Method, id: u64) -> String {
    format!("{method} cached report {id}")
}

fn main() {}
