use routemark::{State, route};

#[derive(Clone)]
struct Db;

#[route(GET "/users/<id>")]
fn get_user(State(_db): State<Db>) -> String {
    String::new()
}

fn main() {}
