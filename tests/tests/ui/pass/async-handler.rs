use routemark::route;

#[route(GET "/users/<id>")]
async fn get_user(id: u64) -> String {
    tokio::task::yield_now().await;
    format!("user {id}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(get_user(7).await, "user 7");
    assert!(routemark::routes().any(|r| r.path() == "/users/<id>"));
}
