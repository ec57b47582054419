use routemark::route;

#[route(GET "/reports/<id>", breaker, fallback = cached_report)]
fn report(id: u64) -> String {
    format!("report {id}")
}

// `String`, where the handler takes `u64`.
fn cached_report(id: String) -> String {
    format!("cached report {id}")
}

fn main() {}
