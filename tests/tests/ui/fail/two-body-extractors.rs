use routemark::{Json, Text, route};

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
}

#[route(POST "/users")]
async fn create_user(Json(user): Json<NewUser>, Text(note): Text) -> String {
    format!("{} {note}", user.name)
}

fn main() {}
