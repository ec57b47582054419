use routemark::route;

#[route(GET | POST "/orders/<id>", tenant = "globex")]
fn globex_order(id: u64) -> String {
    id.to_string()
}

#[route(POST "/orders/<order>", tenant = "globex")]
fn post_globex_order(order: u64) -> String {
    order.to_string()
}

fn main() {}
