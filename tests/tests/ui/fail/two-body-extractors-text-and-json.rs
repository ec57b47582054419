use routemark::{Json, Text, route};

#[derive(serde::Deserialize)]
struct NewBook {
    title: String,
}

#[route(POST "/books")]
async fn create_book(Text(raw): Text, Json(book): Json<NewBook>) -> String {
    format!("{raw} {}", book.title)
}

fn main() {}
