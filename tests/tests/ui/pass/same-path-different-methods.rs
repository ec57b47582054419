use routemark::route;

#[route(GET "/users/<id>")]
fn get_user(id: u64) -> String {
    format!("get {id}")
}

#[route(PUT | PATCH "/users/<user_id>")]
fn update_user(user_id: u64) -> String {
    format!("update {user_id}")
}

#[route(DELETE "/users/<id>")]
fn delete_user(id: u64) -> String {
    format!("delete {id}")
}

fn main() {
    let mut all = routemark::MethodSet::EMPTY;
    for route in routemark::routes() {
        assert!(all.intersection(route.methods()).is_empty());
        all = all.union(route.methods());
    }
    assert_eq!(all.to_string(), "GET | PUT | PATCH | DELETE");
}
