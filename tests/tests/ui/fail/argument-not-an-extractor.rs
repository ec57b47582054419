use routemark::route;

#[route(POST "/upload")]
fn upload(data: Vec<u8>) -> String {
    data.len().to_string()
}

fn main() {}
