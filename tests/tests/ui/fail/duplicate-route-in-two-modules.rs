mod users {
    #[routemark::route(GET "/users/<id>")]
    pub fn get_user(id: u64) -> String {
        id.to_string()
    }
}

mod admin {
    #[routemark::route(GET "/users/<id>")]
    pub fn get_user(id: u64) -> String {
        format!("admin view of {id}")
    }
}

fn main() {}
