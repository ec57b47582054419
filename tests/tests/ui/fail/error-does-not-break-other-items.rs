use routemark::route;

#[route(GET "/users/<id>")]
fn get_user(user_id: u64) -> String {
    format_user(user_id)
}

fn format_user(id: u64) -> String {
    format!("user {id}")
}

fn main() {
    assert_eq!(get_user(7), format_user(7));
}
