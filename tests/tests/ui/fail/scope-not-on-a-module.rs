use routemark::scope;

#[scope("/api")]
fn handler() {}

fn main() {}
