use routemark::http::StatusCode;
use routemark::{Json, State, route};

#[derive(Clone)]
struct Db {
    prefix: &'static str,
}

#[derive(serde::Deserialize)]
struct NewUser {
    name: String,
}

#[route(POST "/users/<team>")]
async fn create_user(
    team: String,
    State(db): State<Db>,
    Json(user): Json<NewUser>,
) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!("{}{team}/{}", db.prefix, user.name),
    )
}

#[route(GET "/square/<n>")]
fn square(mut n: u32) -> String {
    n *= n;
    n.to_string()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let db = Db { prefix: "db:" };
    let user = NewUser { name: "ada".into() };
    let (status, body) = create_user("core".into(), State(db), Json(user)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, "db:core/ada");
    assert_eq!(square(12), "144");
}
