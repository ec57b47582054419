use routemark::route;

#[route(GET "/reports/<id>", fallback = cached_report)]
fn report(id: u64) -> String {
    format!("report {id}")
}

fn cached_report(id: u64) -> String {
    format!("cached report {id}")
}

fn main() {}
