use routemark::{Text, route};

#[route(POST "/reports/<id>", timeout = "2s", fallback = queued)]
async fn save_report(id: u64, Text(body): Text) -> String {
    format!("saved report {id}: {body}")
}

// A fallback never reads the body: the handler may have read it already.
async fn queued(id: u64, Text(body): Text) -> String {
    format!("queued report {id}: {body}")
}

fn main() {}
